/** `styletune tune JOB.json` end to end through runTune (src/cli/tune.ts) and the real worker. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runTune } from '../../src/cli/tune';
import { parseEventLine, venvPython } from '../../src/core/worker';
import { repoRoot, requireShared } from './paths';

const python = venvPython(repoRoot);
let dir: string;
let job: string;

function capture() {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

before(() => {
  if (!existsSync(python)) throw new Error(`${python} missing: run \`bash scripts/setup-python.sh\` first`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-tune-'));
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(dir, 'tiny')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 8);
  writeFileSync(join(dir, 'pairs.jsonl'), lines.join('\n') + '\n');
  job = join(dir, 'job.json');
  // Relative paths resolve against the job file's folder.
  writeFileSync(job, JSON.stringify({
    model: 'tiny', train_file: 'pairs.jsonl', output_dir: 'out', max_length: 64, truncate_prompt_to: 24,
    per_device_train_batch_size: 4, max_steps: 2, device: 'cpu',
  }));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('tune streams valid events as JSON lines and exits 0 on done', async () => {
  const out = capture();
  const err = capture();
  const code = await runTune([job, '--python', python], { stdout: out, stderr: err, handleSignals: false });
  assert.equal(code, 0, err.text());
  const lines = out.text().trim().split('\n');
  const events = lines.map((l) => {
    const p = parseEventLine(l);
    assert.ok('event' in p, `invalid line: ${l}`);
    return p.event;
  });
  // Before `started`, only what the worker is loading (`log` events with code loading).
  const first = events.findIndex((e) => e.event !== 'log' || e.code !== 'loading');
  assert.ok(first > 0, 'the worker says what it loads');
  assert.equal(events[first].event, 'started');
  const done = events.at(-1)!;
  assert.ok(done.event === 'done' && !done.stopped && done.adapter === join(dir, 'out', 'adapter'));
  assert.match(err.text(), /step 2\/2/);
});

test('tune with probe_prompts and eval_split: valid probe and eval events, and one scored probe line per probe step on stderr', async () => {
  const probeJob = join(dir, 'probe.json');
  writeFileSync(probeJob, JSON.stringify({
    model: 'tiny', train_file: 'pairs.jsonl', output_dir: 'probe-out', max_length: 64, truncate_prompt_to: 24,
    per_device_train_batch_size: 2, max_steps: 2, device: 'cpu', eval_split: 0.25, eval_steps: 1,
    probe_prompts: ['How was your weekend?', 'Any plans tonight?'], probe_steps: 1, probe_max_new_tokens: 8,
  }));
  const out = capture();
  const err = capture();
  const code = await runTune([probeJob, '--python', python], { stdout: out, stderr: err, handleSignals: false });
  assert.equal(code, 0, err.text());
  const events = out.text().trim().split('\n').map((l) => {
    const p = parseEventLine(l);
    assert.ok('event' in p, `invalid line: ${l}`);
    return p.event;
  });
  assert.deepEqual(events.filter((e) => e.event === 'probe').map((e) => e.step), [0, 1, 2]);
  assert.deepEqual(events.filter((e) => e.event === 'eval').map((e) => e.step), [1, 2]);
  const lines = err.text().split('\n').filter((l) => l.startsWith('probe step'));
  assert.equal(lines.length, 3, err.text());
  assert.match(lines[0], /^probe step 0\/2: reward -?\d+\.\d\d · \d+ tokens/);
  assert.match(lines[2], /^probe step 2\/2: reward -?\d+\.\d\d \([+−]\d+\.\d\d since step 0\) · \d+ tokens \([+−]\d+\)/);
  assert.doesNotMatch(err.text(), /cannot score/);
});

test('tune exits non-zero with the error in plain words', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ model: 'tiny', train_file: 'pairs.jsonl', output_dir: 'bad', max_length: 16, truncate_prompt_to: 32 }));
  const out = capture();
  const err = capture();
  const code = await runTune([bad, '--python', python], { stdout: out, stderr: err, handleSignals: false });
  assert.equal(code, 1);
  const last = JSON.parse(out.text().trim().split('\n').at(-1)!);
  assert.equal(last.event, 'error');
  assert.equal(last.kind, 'config');
  assert.match(err.text(), /config error: .*`truncate_prompt_to` \(32\) must be smaller than max_length \(16\)/);
});

test('tune refuses the five bad job files of issue 16 with the field and its value, exit 1, no traceback', async () => {
  const base = { model: 'tiny', train_file: 'pairs.jsonl', max_steps: 1, device: 'cpu' };
  const same = join(dir, 'same.jsonl');
  writeFileSync(same, [1, 2, 3].map((i) => JSON.stringify({ prompt: `Q${i}?`, chosen: `A${i}.`, rejected: `A${i}.` })).join('\n') + '\n');
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['string learning rate', { learning_rate: '1e-4' }, /config error: .*bad-0\.json:1:\d+: `learning_rate` must be a number, got the string "1e-4"\.? Write the number without quotes: "learning_rate": 1e-4\./],
    ['string beta', { beta: '0.1' }, /config error: .*:1:\d+: `beta` must be a number, got the string "0\.1"/],
    ['string max_length', { max_length: '512' }, /config error: .*:1:\d+: `max_length` must be an integer or null, got the string "512"/],
    ['learning_rate true', { learning_rate: true }, /config error: .*:1:\d+: `learning_rate` must be a number, got true\.? true and false are not numbers/],
    ['chosen = rejected everywhere', { train_file: 'same.jsonl' }, /data error: .*same\.jsonl: `chosen` equals `rejected` in every pair \(3 pairs, lines 1, 2, 3\)/],
  ];
  for (const [i, [name, over, expected]] of cases.entries()) {
    const file = join(dir, `bad-${i}.json`);
    writeFileSync(file, JSON.stringify({ ...base, output_dir: `bad-${i}`, ...over }));
    const out = capture();
    const err = capture();
    const code = await runTune([file, '--python', python], { stdout: out, stderr: err, handleSignals: false });
    assert.equal(code, 1, name);
    const last = JSON.parse(out.text().trim().split('\n').at(-1)!);
    assert.equal(last.event, 'error', name);
    assert.match(err.text(), expected, name);
    assert.doesNotMatch(err.text(), /Traceback|train\.log/, name);
    assert.equal(last.detail, undefined, `${name}: no traceback in the event either`);
  }
});

test('tune usage: --help, missing job, unknown option, missing file', async () => {
  const out = capture();
  assert.equal(await runTune(['--help'], { stdout: out }), 0);
  assert.match(out.text(), /Usage: styletune tune JOB\.json/);
  const err = capture();
  assert.equal(await runTune([], { stderr: err }), 2);
  assert.match(err.text(), /missing the job config/);
  assert.equal(await runTune([job, '--gpu'], { stderr: err }), 2);
  assert.match(err.text(), /unknown option --gpu/);
  assert.equal(await runTune([join(dir, 'nope.json')], { stderr: err }), 2);
  assert.match(err.text(), /job config not found/);
  assert.equal(await runTune([job, '--python', join(dir, 'nope-python')], { stderr: err, handleSignals: false }), 1);
  assert.match(err.text(), /does not exist/);
});

test('tune refuses an output_dir outside the job file\'s folder and the current folder, before anything runs', async () => {
  const sub = join(dir, 'cloned');
  mkdirSync(sub, { recursive: true });
  const outside = join(dir, 'escaped');
  symlinkSync(dir, join(sub, 'up'));
  for (const outputDir of ['../escaped', outside, 'up/escaped', 'up/../../escaped-too']) {
    const file = join(sub, 'job.tune.json');
    writeFileSync(file, JSON.stringify({ model: '../tiny', train_file: '../pairs.jsonl', output_dir: outputDir, max_steps: 1, device: 'cpu' }));
    const err = capture();
    // No --python: the refusal must come before an interpreter is even looked for.
    const code = await runTune([file], { stderr: err, cwd: sub, env: {}, handleSignals: false });
    assert.equal(code, 2, `${outputDir}: ${err.text()}`);
    assert.match(err.text(), /^styletune tune: output_dir writes to .*escaped.*, outside .*cloned and the current folder\. Pass --allow-outside to write there\.\n$/);
    assert.equal(existsSync(outside), false);
  }
  // Reading the model and the pairs from elsewhere is fine; so is an output_dir inside, or one allowed.
  const file = join(sub, 'ok.tune.json');
  writeFileSync(file, JSON.stringify({ model: '../tiny', train_file: '../pairs.jsonl', output_dir: 'jobs/ok', max_length: 64, truncate_prompt_to: 24, per_device_train_batch_size: 4, max_steps: 1, device: 'cpu' }));
  assert.equal(await runTune([file, '--python', python], { stdout: capture(), stderr: capture(), cwd: sub, handleSignals: false }), 0);
  const allowed = join(sub, 'allowed.tune.json');
  writeFileSync(allowed, JSON.stringify({ model: '../tiny', train_file: '../pairs.jsonl', output_dir: '../escaped', max_length: 64, truncate_prompt_to: 24, per_device_train_batch_size: 4, max_steps: 1, device: 'cpu' }));
  const err = capture();
  assert.equal(await runTune([allowed, '--allow-outside', '--python', python], { stdout: capture(), stderr: err, cwd: sub, handleSignals: false }), 0, err.text());
  assert.ok(existsSync(join(outside, 'adapter')));
});
