/** Job folders, job files and the *.tune.json schema (src/core/jobs), on real files in a temp folder. */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileTail, lastLines, readEventsFile } from '../../src/core/jobs/eventsFile';
import { progressText, stateText } from '../../src/core/jobs/format';
import { describeOutside, isInside, pathsOutside } from '../../src/core/jobs/confine';
import { defaultJobName, JobFileError, parseJobFile, PRESETS, quickJobFile } from '../../src/core/jobs/jobFile';
import { markJobFailed, readJob } from '../../src/core/jobs/jobState';
import { writeLaunch, type LaunchRecord } from '../../src/core/jobs/launch';
import { mergePoints } from '../../src/core/jobs/points';
import { plainNumber } from '../../src/core/plainNumber';
import { isProcessAlive, processStartToken } from '../../src/core/jobs/process';
import { venvPython, workerEnv } from '../../src/core/worker';
import type { Point } from '../../webview/job/protocol';
import { isHostMessage, isViewMessage, METRICS } from '../../webview/job/protocol';
import { repoRoot } from './paths';

const root = mkdtempSync(join(tmpdir(), 'styletune-jobs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(root, `job${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const t0 = 1_800_000_000;
const ev = (event: string, fields: Record<string, unknown>, time = t0) => JSON.stringify({ version: 1, event, time, ...fields });
const progress = (step: number, total: number, extra: Record<string, unknown> = {}) => ev('progress', {
  step, total_steps: total, epoch: step / total, loss: 0.69 - step * 0.01, 'rewards/chosen': -0.01 * step, 'rewards/rejected': -0.02 * step,
  'rewards/margins': 0.01 * step, 'rewards/accuracies': 0.75, 'logps/chosen': -100, 'logps/rejected': -110, learning_rate: 1e-4,
  grad_norm: 1.5, tokens_per_s: 800, eta_s: (total - step) * 0.5, elapsed_s: step * 0.5, gpu_mem_bytes: null, ...extra,
});
const started = (total: number) => ev('started', { command: 'dpo', device: 'cpu', model: '/m/tiny', num_processes: 1, total_steps: total, preset: null });
const done = (step: number, total: number, stopped: boolean, dir: string) => ev('done', {
  command: 'dpo', stopped, output: join(dir, 'adapter'), adapter: join(dir, 'adapter'), step, total_steps: total, metrics: { loss: 0.6 },
});

function launch(dir: string, over: Partial<LaunchRecord> = {}): LaunchRecord {
  const r: LaunchRecord = { version: 1, pid: 4242, token: 'tok', config: join(dir, 'job.tune.json'), python: 'python', startedAt: t0 * 1000, eventsOffset: 0, ...over };
  return r;
}

// ---- the *.tune.json schema against the trainer's DPOConfig ---------------------------------------

test('the *.tune.json schema lists exactly the keys of DPOConfig, with its defaults and presets', () => {
  const python = venvPython(repoRoot);
  const code = 'import dataclasses, json; from styletune_trainer.config import DPOConfig, PRESETS, LOSS_TYPES, SCHEDULERS;'
    + 'print(json.dumps({"fields": {f.name: f.default for f in dataclasses.fields(DPOConfig)}, "presets": list(PRESETS), "presetSettings": PRESETS, "loss": list(LOSS_TYPES), "sched": list(SCHEDULERS)}))';
  const py = JSON.parse(execFileSync(python, ['-c', code], { env: workerEnv({ repoRoot }), encoding: 'utf8' })) as {
    fields: Record<string, unknown>; presets: string[]; presetSettings: Record<string, unknown>; loss: string[]; sched: string[];
  };
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'tune.schema.json'), 'utf8'));
  const props = schema.properties as Record<string, { default?: unknown; enum?: unknown[]; description?: string }>;
  assert.deepEqual(Object.keys(props).sort(), Object.keys(py.fields).sort(), 'schema keys = DPOConfig fields');
  for (const [k, dflt] of Object.entries(py.fields)) {
    assert.ok(props[k].description, `${k} has a description`);
    if (['model', 'train_file', 'output_dir'].includes(k)) continue; // required, no default
    assert.deepEqual(props[k].default, dflt, `default of ${k}`);
  }
  assert.deepEqual(props.preset.enum, [...py.presets, null]);
  assert.deepEqual(PRESETS.map((p) => p.name), py.presets, 'the quick pick offers the trainer\'s presets');
  assert.deepEqual(Object.fromEntries(PRESETS.map((p) => [p.name, p.settings])), py.presetSettings, 'the wizard\'s summary uses the trainer\'s preset settings');
  assert.deepEqual(props.loss_type.enum, py.loss);
  assert.deepEqual(props.lr_scheduler_type.enum, py.sched);
  assert.deepEqual(schema.required, ['model', 'train_file', 'output_dir']);
  assert.equal(schema.additionalProperties, false, 'the trainer rejects unknown keys, so the schema marks them');
});

test('package.json validates *.tune.json with the shipped schema, and .vscodeignore ships it with the trainer', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.jsonValidation.find((j: { fileMatch: string }) => j.fileMatch === '*.tune.json'), { fileMatch: '*.tune.json', url: './schemas/tune.schema.json' });
  const ignore = readFileSync(join(repoRoot, '.vscodeignore'), 'utf8');
  for (const line of ['!schemas/*.json', '!trainer/styletune_trainer/*.py', '!dist/webview/*.css']) assert.ok(ignore.includes(line), line);
});

// ---- job files ------------------------------------------------------------------------------------

test('a job file resolves output_dir against its folder, as the trainer does', () => {
  const f = parseJobFile('/w/jobs/a.tune.json', JSON.stringify({ model: 'm', train_file: 'p.jsonl', output_dir: 'runs/one' }));
  assert.equal(f.jobDir, '/w/jobs/runs/one');
  assert.equal(parseJobFile('/w/a.tune.json', JSON.stringify({ model: 'm', train_file: 'p', output_dir: '/abs/out' })).jobDir, '/abs/out');
});

test('job file problems name the file, line and column and say what is expected', () => {
  const bad = '{\n  "model": "m",\n  "train_file": "p.jsonl",\n}\n';
  assert.throws(() => parseJobFile('/w/x.tune.json', bad), (e: unknown) => {
    assert.ok(e instanceof JobFileError);
    assert.equal(e.line, 4);
    assert.match(e.message, /^\/w\/x\.tune\.json:4:1: not valid JSON: .*trailing comma.*no comments or trailing commas/);
    return true;
  });
  assert.throws(() => parseJobFile('/w/x.tune.json', '{\n  "model": "m",\n  "train_file": "p",\n  "output_dir": ""\n}'),
    /x\.tune\.json:4:3: "output_dir" must be a non-empty string \(the job folder\)/);
  assert.throws(() => parseJobFile('/w/x.tune.json', '[1]'), /x\.tune\.json:1:1: a job file is one JSON object/);
});

test('the quick-pick job file carries absolute data paths and runs in its own folder', () => {
  const q = quickJobFile({ model: '/m/tiny', trainFile: '/d/p.jsonl', jobDir: '/w/jobs/j1', preset: 'hal' });
  assert.equal(q.path, '/w/jobs/j1/job.tune.json');
  assert.deepEqual(JSON.parse(q.text), { model: '/m/tiny', train_file: '/d/p.jsonl', output_dir: '.', preset: 'hal' });
  assert.equal(parseJobFile(q.path, q.text).jobDir, '/w/jobs/j1');
  assert.equal(defaultJobName('/d/my pairs.pairs.jsonl', new Date(2026, 10, 22, 5, 7)), 'my-pairs-2026-11-22-0507');
});

// ---- job folder state ------------------------------------------------------------------------------

test('a running job: alive pid with its token, step and ETA from the last progress event', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'events.jsonl'), [started(10), progress(1, 10), progress(2, 10)].join('\n') + '\n');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', pid: 4242, time: t0 }));
  return writeLaunch(dir, launch(dir)).then(() => {
    const calls: [number, string | undefined][] = [];
    const s = readJob(dir, { alive: (pid, token) => (calls.push([pid, token]), true) });
    assert.deepEqual(calls, [[4242, 'tok']], 'the token guards against a reused pid');
    assert.equal(s.state, 'running');
    assert.equal(s.step, 2);
    assert.equal(s.totalSteps, 10);
    assert.equal(s.etaS, 4);
    assert.equal(progressText(s), 'step 2/10 · loss 0.670 · ETA 4 s');
    assert.equal(stateText(s), 'running 2/10 · ETA 4 s');
  });
});

test('a job whose process died while status.json says running is failed, with its last log lines', async () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'events.jsonl'), [started(10), progress(1, 10), progress(2, 10)].join('\n') + '\n');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', pid: 4242, time: t0 + 1 }));
  writeFileSync(join(dir, 'train.log'), Array.from({ length: 30 }, (_, i) => `2026-11-22 05:00:00 line ${i + 1}`).join('\n') + '\n');
  await writeLaunch(dir, launch(dir));
  const s = readJob(dir, { alive: () => false });
  assert.equal(s.state, 'failed');
  assert.equal(s.step, 2);
  assert.match(s.message!, /ended without reporting a result .*Resume starts from scratch \(no checkpoint yet\)/);
  assert.equal(s.lastLog.length, 20);
  assert.equal(s.lastLog.at(-1), '2026-11-22 05:00:00 line 30');
  await markJobFailed(s);
  const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
  assert.equal(status.state, 'failed');
  assert.equal(status.last_log.length, 20);
  assert.equal(readJob(dir, { alive: () => false }).message, s.message, 'the recorded failure reads back the same');
  await writeLaunch(dir, launch(dir, { startedAt: Date.now() + 60_000 })); // a later run, so the recorded failure is not its own
  mkdirSync(join(dir, 'checkpoints', 'step-000002'), { recursive: true });
  assert.match(readJob(dir, { alive: () => false }).message!, /Resume continues from step 2\./);
});

test('a worker started directly and killed: its status.json saying running is repaired by the first reader', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'events.jsonl'), [started(10), progress(1, 10), progress(2, 10)].join('\n') + '\n');
  // No launch record (run by `styletune tune` or `python -m styletune_trainer`); pid 4242 with its start token.
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', pid: 4242, token: 'tok-4242', time: t0 }));
  mkdirSync(join(dir, 'checkpoints', 'step-000002'), { recursive: true });
  const calls: [number, string | undefined][] = [];
  assert.equal(readJob(dir, { alive: (pid, token) => (calls.push([pid, token]), true) }).state, 'running');
  assert.deepEqual(calls, [[4242, 'tok-4242']], 'the token from status.json guards against a reused pid');
  assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state, 'running', 'a live worker is left alone');
  const s = readJob(dir, { alive: () => false });
  assert.equal(s.state, 'failed');
  assert.match(s.message!, /ended without reporting a result .*Resume continues from step 2\./);
  const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
  assert.equal(status.state, 'failed');
  assert.equal(status.kind, 'crashed');
  assert.equal(status.pid, 4242);
  assert.equal(status.message, s.message);
  assert.equal(status.step, 2);
  assert.equal(readJob(dir, { alive: () => true }).state, 'failed', 'once repaired, a reused pid does not make it run again');
});

test('done and stopped come from this run\'s done event; an earlier run\'s does not count', async () => {
  const dir = freshDir();
  const first = [started(10), progress(1, 10), done(1, 10, true, dir)].join('\n') + '\n';
  writeFileSync(join(dir, 'events.jsonl'), first);
  await writeLaunch(dir, launch(dir));
  assert.equal(readJob(dir, { alive: () => false }).state, 'stopped');
  // Resumed: the new run starts after the first run's bytes and ends done.
  await writeLaunch(dir, launch(dir, { eventsOffset: Buffer.byteLength(first), startedAt: (t0 + 60) * 1000 }));
  assert.equal(readJob(dir, { alive: () => true }).state, 'running');
  assert.equal(readJob(dir, { alive: () => false }).state, 'failed', 'the resumed run died before its own done event');
  appendFileSync(join(dir, 'events.jsonl'), [progress(2, 10), progress(10, 10), done(10, 10, false, dir)].join('\n') + '\n');
  const s = readJob(dir, { alive: () => false });
  assert.equal(s.state, 'done');
  assert.equal(s.step, 10);
  assert.equal(s.adapter, join(dir, 'adapter'));
  await writeLaunch(dir, launch(dir, { eventsOffset: Buffer.byteLength(first), stopRequestedAt: Date.now() }));
  assert.equal(readJob(dir, { alive: () => true }).state, 'stopping');
});

test('Stop while loading: the tree says loading…, then stopping…, then stopped before step 1', async () => {
  const dir = freshDir();
  await writeLaunch(dir, launch(dir));
  writeFileSync(join(dir, 'events.jsonl'), ev('log', { level: 'info', code: 'loading', message: 'tokenizing 98960 pairs' }) + '\n');
  const loading = readJob(dir, { alive: () => true });
  assert.equal(loading.state, 'running');
  assert.equal(stateText(loading), 'loading…');
  assert.equal(progressText(loading), 'tokenizing 98960 pairs…');
  await writeLaunch(dir, launch(dir, { stopRequestedAt: Date.now() }));
  const stopping = readJob(dir, { alive: () => true });
  assert.equal(stateText(stopping), 'stopping…');
  assert.equal(progressText(stopping), 'stopping: nothing to save yet, ending now…');
  // The worker's own end of a stop while loading (styletune_trainer/jobdir.py stopped_before_training).
  appendFileSync(join(dir, 'events.jsonl'), ev('done', { command: 'dpo', stopped: true, output: dir, step: 0, metrics: {} }) + '\n');
  const stopped = readJob(dir, { alive: () => false });
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.adapter, undefined, 'no adapter: nothing was trained');
  assert.equal(stateText(stopped), 'stopped before step 1');
  assert.equal(stopped.message, 'Stopped before the first step. Resume starts from scratch (no checkpoint yet).');
});

test('Stop that ends the worker before it can answer (Python still starting, or killed after the grace period) is stopped, not failed', async () => {
  const dir = freshDir();
  await writeLaunch(dir, launch(dir, { stopRequestedAt: Date.now() }));
  const s = readJob(dir, { alive: () => false });
  assert.equal(s.state, 'stopped');
  assert.match(s.message!, /ended on Stop before reporting a result\. Resume starts from scratch/);
  // A resumed job killed after the grace period: its checkpoints are where Resume goes on.
  writeFileSync(join(dir, 'events.jsonl'), [started(10), progress(1, 10), progress(2, 10)].join('\n') + '\n');
  mkdirSync(join(dir, 'checkpoints', 'step-000002'), { recursive: true });
  await writeLaunch(dir, launch(dir, { stopRequestedAt: Date.now(), killedAt: Date.now() }));
  const killed = readJob(dir, { alive: () => false });
  assert.equal(killed.state, 'stopped');
  assert.equal(killed.resumeStep, 2);
  assert.match(killed.message!, /was killed; steps after the newest checkpoint are lost\. Resume continues from step 2\./);
  assert.equal(stateText(killed), 'stopped at 2/10');
});

test('an error before the job folder was set up (a bad config) is read from the worker\'s stdout', async () => {
  const dir = freshDir();
  await writeLaunch(dir, launch(dir));
  writeFileSync(join(dir, 'worker-stdout.jsonl'), ev('error', { kind: 'config', message: 'unknown config key `betta`', hint: 'Did you mean `beta`?' }) + '\n');
  writeFileSync(join(dir, 'worker-stderr.log'), 'error (config): unknown config key `betta`\n');
  const s = readJob(dir, { alive: () => false });
  assert.equal(s.state, 'failed');
  assert.equal(s.message, 'config error: unknown config key `betta` Did you mean `beta`?');
  assert.deepEqual(s.lastLog, ['error (config): unknown config key `betta`'], 'no train.log yet: the stderr capture');
});

test('a job run by the CLI (no launch record) is followed through status.json\'s pid', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'events.jsonl'), [started(4), progress(1, 4)].join('\n') + '\n');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'running', pid: 777, time: t0 }));
  const running = readJob(dir, { alive: (pid) => pid === 777 });
  assert.equal(running.state, 'running');
  assert.equal(running.pid, 777, 'Stop signals this pid');
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ state: 'done', pid: 777, time: t0, step: 4, adapter: join(dir, 'adapter') }));
  assert.equal(readJob(dir, { alive: () => false }).state, 'done');
});

test('invalid lines in events.jsonl are reported with their line number, valid ones kept', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'events.jsonl'), [started(4), '{"oops": 1}', 'not json', progress(1, 4)].join('\n') + '\n' + progress(2, 4).slice(0, 30));
  const r = readEventsFile(join(dir, 'events.jsonl'));
  assert.equal(r.events.length, 2, 'the unfinished last line waits');
  assert.deepEqual(r.problems.map((p) => p.line), [2, 3]);
  assert.match(r.problems[1].reason, /not JSON/);
  const later = readEventsFile(join(dir, 'events.jsonl'), r.size);
  assert.deepEqual(later.events, []);
});

test('lastLines reads the end of a big log', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'train.log'), Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
  assert.deepEqual(lastLines(join(dir, 'train.log'), 3), ['line 19997', 'line 19998', 'line 19999']);
  assert.deepEqual(lastLines(join(dir, 'missing.log'), 3), []);
});

test('FileTail hands over complete lines as they are appended, with line numbers, and starts over on truncation', async () => {
  const dir = freshDir();
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, 'a\nb\n');
  const got: [string[], number][] = [];
  const tail = new FileTail(file, 2, (lines, first) => got.push([lines, first]), 50);
  const waitFor = async (count: number) => {
    for (let i = 0; i < 100 && got.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  };
  await waitFor(1);
  assert.deepEqual(got, [[['b'], 2]]);
  appendFileSync(file, 'c\nd');
  await waitFor(2);
  assert.deepEqual(got[1], [['c'], 3]);
  appendFileSync(file, '\n');
  await waitFor(3);
  assert.deepEqual(got[2], [['d'], 4]);
  writeFileSync(file, 'x\n');
  await waitFor(4);
  tail.close();
  assert.deepEqual(got[3], [['x'], 1]);
});

test('chart points: one per step in order; a step repeated by a resumed run takes the later value', () => {
  const parse = (lines: string[]) => readEventsFromLines(lines);
  const pts: Point[] = [];
  let r = mergePoints(pts, parse([progress(1, 5), progress(2, 5), progress(3, 5)]));
  assert.equal(r.rewritten, false);
  r = mergePoints(pts, parse([progress(3, 5, { loss: 0.1 }), progress(4, 5)]));
  assert.equal(r.rewritten, true);
  assert.deepEqual(pts.map((p) => p.step), [1, 2, 3, 4]);
  assert.equal(pts[2].loss, 0.1);
  assert.ok(pts.every((p) => METRICS.every((m) => m.key in p)), 'every metric the table explains is in a point');
});

function readEventsFromLines(lines: string[]) {
  const dir = freshDir();
  writeFileSync(join(dir, 'e.jsonl'), lines.join('\n') + '\n');
  return readEventsFile(join(dir, 'e.jsonl')).events;
}

test('the job view protocol accepts only well-formed messages', () => {
  assert.ok(isViewMessage({ type: 'action', action: 'stop' }));
  assert.ok(!isViewMessage({ type: 'action', action: 'rm -rf' }));
  assert.ok(isViewMessage({ type: 'rendered', step: 3, points: 3 }));
  assert.ok(!isHostMessage({ type: 'job', job: { name: 'x', dir: '/x', state: 'exploded', step: 0, lastLog: [] } }));
  assert.ok(isHostMessage({ type: 'job', job: { name: 'x', dir: '/x', state: 'failed', step: 0, lastLog: ['a'], preset: null, resumeStep: 0 } }));
  assert.ok(!isHostMessage({ type: 'job', job: { name: 'x', dir: '/x', state: 'failed', step: 0, lastLog: ['a'], resumeStep: 0, activity: 3 } }));
  assert.ok(!isHostMessage({ type: 'points', reset: true, points: [{ step: 1 }] }));
});

test('METRICS explains rewards/chosen going negative, the usual misreading', () => {
  assert.match(METRICS.find((m) => m.key === 'rewards/chosen')!.explain, /negative is normal/);
});

// ---- processes ---------------------------------------------------------------------------------

test('isProcessAlive: this process yes, with its token; a token of another start no; an ended child no', async () => {
  const token = processStartToken(process.pid);
  assert.ok(isProcessAlive(process.pid, token));
  if (token !== undefined) assert.ok(!isProcessAlive(process.pid, `${token}0`), 'same pid, other start time: not ours');
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  assert.ok(!isProcessAlive(child.pid!));
  assert.ok(!isProcessAlive(-1));
});

test('pathsOutside: inside the job file\'s folder or a root is fine; ../, absolute paths and symlinks that lead out are not', () => {
  const ws = mkdtempSync(join(tmpdir(), 'styletune-confine-'));
  try {
    const home = join(ws, 'home');
    const repo = join(ws, 'repo');
    mkdirSync(join(repo, 'jobs'), { recursive: true });
    mkdirSync(home);
    symlinkSync(home, join(repo, 'link'));
    const job = (config: Record<string, unknown>) => ({ path: join(repo, 'jobs', 'a.tune.json'), config: { model: 'm', train_file: 't.jsonl', output_dir: 'out', ...config }, jobDir: '' });
    assert.deepEqual(pathsOutside(job({}), []), []);
    assert.deepEqual(pathsOutside(job({ output_dir: '../x' }), [repo]), [], 'inside a root');
    assert.deepEqual(pathsOutside(job({ output_dir: '../x' }), []).map((o) => [o.key, o.path, o.writes]), [['output_dir', join(repo, 'x'), true]]);
    assert.deepEqual(pathsOutside(job({ output_dir: join(home, 'x'), model: home }), [repo]).map((o) => o.key), ['output_dir', 'model']);
    assert.deepEqual(pathsOutside(job({ output_dir: '../link/new/dir' }), [repo]).map((o) => o.path), [join(home, 'new', 'dir')], 'a symlink that leads out');
    // `link/..` is home's parent, as the trainer resolves it, not repo by the letters.
    assert.deepEqual(pathsOutside(job({ output_dir: '../link/../escaped' }), [repo]).map((o) => o.path), [join(ws, 'escaped')]);
    assert.deepEqual(pathsOutside(job({ train_file: '../../repo-sibling' }), [repo]).map((o) => [o.key, o.writes]), [['train_file', false]]);
    assert.equal(isInside(join(repo, '..repo'), repo), true);
    assert.equal(isInside(`${repo}-other`, repo), false);
    assert.match(describeOutside(pathsOutside(job({ output_dir: '/tmp/x' }), [repo]), 'the workspace'), /^output_dir writes to \/tmp\/x, outside the workspace\.$/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('eval events fill their step\'s eval fields; one arriving after its step was sent rewrites it', () => {
  const evalLine = (step: number, loss: number, acc: number) => JSON.stringify({
    version: 1, event: 'eval', time: 1 + step, step, total_steps: 5, pairs: 8, loss, 'rewards/chosen': 0.1, 'rewards/rejected': -0.1,
    'rewards/margins': 0.2, 'rewards/accuracies': acc,
  });
  const pts: Point[] = [];
  let r = mergePoints(pts, readEventsFromLines([progress(1, 5), progress(2, 5), evalLine(2, 0.6, 0.75)]));
  assert.equal(r.rewritten, false, 'the eval came with its step: no reset needed');
  assert.deepEqual(pts.map((p) => [p.step, p['eval/loss'], p['eval/rewards/accuracies']]), [[1, null, null], [2, 0.6, 0.75]]);
  r = mergePoints(pts, readEventsFromLines([progress(3, 5)]));
  r = mergePoints(pts, readEventsFromLines([evalLine(3, 0.5, 1)]));
  assert.equal(r.rewritten, true, 'step 3 was already drawn without its eval');
  assert.equal(pts[2]['eval/loss'], 0.5);
  // logging_steps > eval_steps: an eval at a step with no progress event gets a point of its own.
  r = mergePoints(pts, readEventsFromLines([evalLine(4, 0.4, 1)]));
  assert.deepEqual(pts.map((p) => p.step), [1, 2, 3, 4]);
  assert.equal(pts[3].loss, null);
  assert.ok(isHostMessage({ type: 'points', reset: true, points: pts }), 'points with eval fields pass the view\'s guard');
});

test('chart axis labels are plain numbers, not "000500"', () => {
  assert.equal(plainNumber(0.0005), '0.0005');
  assert.equal(plainNumber(0.000500001), '0.0005');
  assert.equal(plainNumber(-0.00125), '-0.00125');
  assert.equal(plainNumber(0.5), '0.5');
  assert.equal(plainNumber(1.25), '1.25');
  assert.equal(plainNumber(340.2), '340');
  assert.equal(plainNumber(0), '0');
  assert.equal(plainNumber(2e-6), '2.0e-6');
});
