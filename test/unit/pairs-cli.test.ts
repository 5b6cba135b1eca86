/**
 * `styletune pairs` end to end: generation through the real Python worker with a tiny model the test
 * builds, on four real prompts of human-like-dpo (max_new_tokens 16), cancel, usage errors, and the
 * built bundle (dist/cli.js) on real roleplay dialogues.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runPairs } from '../../src/cli/pairs';
import { venvPython } from '../../src/core/worker';
import { repoRoot, requireShared } from './paths';

const python = venvPython(repoRoot);
const CLI = join(repoRoot, 'dist', 'cli.js');
let dir: string;
let prompts: string;

function capture(onWrite?: (all: string) => void) {
  const chunks: string[] = [];
  return {
    write: (s: string) => {
      chunks.push(s);
      onWrite?.(chunks.join(''));
    },
    text: () => chunks.join(''),
  };
}

const readJsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

before(() => {
  if (!existsSync(python)) throw new Error(`${python} missing: run \`bash scripts/setup-python.sh\` first`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-pairs-cli-'));
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(dir, 'tiny')], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Pair lines carry a `prompt`, which is all generation reads from them.
  const lines = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 4);
  prompts = join(dir, 'prompts.jsonl');
  writeFileSync(prompts, lines.join('\n') + '\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const gen = ['--model-dir', 'tiny', '--max-new-tokens', '16', '--device', 'cpu', '--python', python];

test('contrast with generation: every prompt answered twice, each pair kept or dropped with a reason', async () => {
  const out = capture();
  const err = capture();
  const code = await runPairs(['contrast', 'prompts.jsonl', '--out', 'contrast.jsonl', '--dropped', 'dropped.jsonl', '--json', ...gen], { stdout: out, stderr: err, cwd: dir, handleSignals: false });
  assert.equal(code, 0, err.text());
  const summary = JSON.parse(out.text().trim());
  assert.equal(summary.cases, 4);
  const kept = readJsonl(join(dir, 'contrast.jsonl'));
  const dropped = readJsonl(join(dir, 'dropped.jsonl'));
  assert.equal(kept.length, summary.kept);
  assert.equal(kept.length + dropped.length, 4);
  const reasons = Object.entries(summary.dropped as Record<string, number>).reduce((n, [, v]) => n + v, 0);
  assert.equal(reasons, dropped.length);
  // A random tiny model never ends its answer before 16 tokens: both answers are cut off.
  assert.equal(summary.dropped.truncated, 4, JSON.stringify(summary));
  const original = readJsonl(prompts);
  for (const d of dropped) {
    assert.equal(d.reason, 'truncated');
    assert.equal(d.prompt, original[d.line - 1].prompt, 'the user prompt, without the system prompt');
    assert.equal(typeof d.chosen, 'string');
    assert.notEqual(d.chosen, d.rejected);
  }
  assert.match(err.text(), /generating answers 8\/8/);

  // --allow-truncated keeps what the reward agrees with; margin 0 keeps every pair it does not contradict.
  const out2 = capture();
  const err2 = capture();
  assert.equal(await runPairs(['contrast', 'prompts.jsonl', '--out', 'contrast2.jsonl', '--allow-truncated', '--margin', '0', '--json', ...gen], { stdout: out2, stderr: err2, cwd: dir, handleSignals: false }), 0, err2.text());
  const s2 = JSON.parse(out2.text().trim());
  assert.equal(s2.kept + s2.dropped.disagreed, 4, JSON.stringify(s2));
  for (const p of readJsonl(join(dir, 'contrast2.jsonl'))) assert.ok(p.gap >= 0 && p.chosen_score - p.rejected_score === p.gap);
});

test('ranked with generation: N samples per prompt, best vs worst, scores and sample numbers kept', async () => {
  const err = capture();
  const code = await runPairs(['ranked', 'prompts.jsonl', '--out', 'ranked.jsonl', '--candidates', 'cands.jsonl', '--num-samples', '3', '--best-worst', ...gen], { stderr: err, cwd: dir, handleSignals: false });
  assert.equal(code, 0, err.text());
  const pairs = readJsonl(join(dir, 'ranked.jsonl'));
  assert.equal(pairs.length, 4, err.text());
  const original = readJsonl(prompts);
  for (const p of pairs) {
    assert.equal(p.prompt, original[p.chosen_line - 1].prompt);
    assert.equal(p.chosen_line, p.rejected_line);
    assert.ok(p.chosen_score > p.rejected_score);
    assert.ok([0, 1, 2].includes(p.chosen_index) && [0, 1, 2].includes(p.rejected_index) && p.chosen_index !== p.rejected_index);
  }
  assert.match(err.text(), /4 pairs from 4 of 4 groups \(12 candidates\); rule: best vs worst/);

  // The candidates file holds every answer with its score, and ranking it again gives the same pairs.
  const cands = readJsonl(join(dir, 'cands.jsonl'));
  assert.equal(cands.length, 4);
  for (const c of cands) {
    assert.equal(c.responses.length, 3);
    assert.equal(c.scores.length, 3);
    assert.equal(c.prompt, original[c.line - 1].prompt);
  }
  const again = capture();
  assert.equal(await runPairs(['ranked', 'cands.jsonl', '--out', 'again.jsonl', '--best-worst'], { stderr: again, cwd: dir, handleSignals: false }), 0, again.text());
  const strip = (p: Record<string, any>) => [p.prompt, p.chosen, p.rejected, p.chosen_score, p.rejected_score, p.chosen_index, p.rejected_index];
  assert.deepEqual(readJsonl(join(dir, 'again.jsonl')).map(strip), pairs.map(strip));
});

test('cancel during generation writes nothing and exits 130', async () => {
  const abort = new AbortController();
  const err = capture((all) => {
    if (/started: /.test(all)) abort.abort();
  });
  const code = await runPairs(['ranked', 'prompts.jsonl', '--out', 'cancelled.jsonl', '--num-samples', '2', ...gen], { stderr: err, cwd: dir, handleSignals: false, signal: abort.signal });
  assert.equal(code, 130, err.text());
  assert.match(err.text(), /cancelled; nothing was written/);
  assert.ok(!existsSync(join(dir, 'cancelled.jsonl')));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp file left behind');
});

test('ranked on dialogues whose speakers are not the scored role: each line names its roles, the summary the roles to choose from', async () => {
  const lines = readFileSync(requireShared('topical-chat/dialogues.jsonl'), 'utf8').split('\n').slice(0, 6);
  writeFileSync(join(dir, 'topical.jsonl'), lines.join('\n') + '\n');
  const run = async (...extra: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runPairs(['ranked', 'topical.jsonl', '--group-by', 'source', '--out', 'topical-pairs.jsonl', ...extra], { stdout: out, stderr: err, cwd: dir, handleSignals: false });
    return { code, err: err.text() };
  };
  const wrong = await run();
  assert.equal(wrong.code, 0, wrong.err);
  assert.match(wrong.err, /topical\.jsonl:1:1: warning: has no turn by `assistant` to score \(roles here: agent_1, agent_2; choose the role with --role \/ styletune\.role\); left out/);
  assert.match(wrong.err, /\n {2}6 candidates left out: no turn by the scored role; roles found instead: agent_1, agent_2 \(choose one with --role \/ styletune\.role\)\n/);
  assert.match(wrong.err, /groups? skipped: fewer than two candidates to compare/);
  assert.equal(readJsonl(join(dir, 'topical-pairs.jsonl')).length, 0);
  const right = await run('--role', 'agent_1');
  assert.equal(right.code, 0, right.err);
  assert.doesNotMatch(right.err, /left out/);
  assert.match(right.err, /\(6 candidates\)/);
});

test('usage errors exit 2 and say what to do', async () => {
  const cases: [string[], RegExp][] = [
    [['ranked', 'prompts.jsonl'], /ranked needs --out/],
    [['ranked', 'prompts.jsonl', '--out', 'x.jsonl', '--best-worst', '--k', '1'], /--best-worst cannot be combined/],
    [['ranked', 'prompts.jsonl', '--out', 'x.jsonl', '--num-samples', '3'], /--num-samples needs --model-dir/],
    [['ranked', 'prompts.jsonl', '--out', 'x.jsonl', '--k=-1'], /--k must be a number ≥ 0, got -1/],
    [['ranked', 'prompts.jsonl', '--out', 'prompts.jsonl'], /must not overwrite the input file/],
    [['ranked', 'nope.jsonl', '--out', 'x.jsonl'], /input file not found/],
    [['contrast', 'prompts.jsonl', '--out', 'no/such/dir/x.jsonl'], /the folder for .* does not exist/],
    [['shuffle'], /unknown pairs command 'shuffle'/],
  ];
  for (const [argv, message] of cases) {
    const err = capture();
    assert.equal(await runPairs(argv, { stderr: err, cwd: dir, handleSignals: false }), 2, argv.join(' '));
    assert.match(err.text(), message);
  }
  const out = capture();
  assert.equal(await runPairs(['ranked', '--help'], { stdout: out }), 0);
  assert.match(out.text(), /Usage: styletune pairs ranked FILE --out OUT\.jsonl/);
});

test('the bundle: pairs ranked on real roleplay dialogues per persona, summary as JSON', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs)`);
  // Three personas' dialogues from across the file (it is ordered by model and epoch).
  const lines = readFileSync(requireShared('roleplay/judge_scored.jsonl'), 'utf8').split('\n').filter((l) => /"dialogue_id": [012],/.test(l));
  assert.ok(lines.length > 60, `${lines.length} dialogues`);
  const file = join(dir, 'roleplay3.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const r = spawnSync(process.execPath, [CLI, 'pairs', 'ranked', file, '--group-by', 'dialogue_id', '--out', join(dir, 'rp.pairs.jsonl'), '--max-per-group', '5', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.groups, 3);
  assert.equal(summary.candidates, lines.length);
  assert.equal(summary.pairs, 15);
  const pairs = readJsonl(join(dir, 'rp.pairs.jsonl'));
  assert.equal(pairs.length, 15);
  assert.deepEqual(new Set(pairs.map((p) => p.group)), new Set(['dialogue_id=0', 'dialogue_id=1', 'dialogue_id=2']));
  const cliMain = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(cliMain.stdout, /pairs ranked\|contrast/);
});
