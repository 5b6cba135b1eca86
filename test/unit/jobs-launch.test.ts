/**
 * A detached job with the real worker and a tiny model on the CPU: followed through its folder only
 * (as a reloaded window does), stopped with SIGTERM (adapter saved, `stopped`), resumed to `done`,
 * and a worker killed outright shows as failed with its log; two data-parallel CPU ranks under
 * `accelerate launch` report once and stop the same way.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readJob, type JobSnapshot } from '../../src/core/jobs/jobState';
import { launchJob, readLaunch, workerArgs } from '../../src/core/jobs/launch';
import { venvPython, workerEnv } from '../../src/core/worker';
import { until } from '../support/until';
import { repoRoot, requireShared } from './paths';

const python = venvPython(repoRoot);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-jobs-launch-'));
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(dir, 'tiny')], {
    stdio: ['ignore', 'ignore', 'pipe'], env: workerEnv({ repoRoot }),
  });
  const lines = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 8);
  writeFileSync(join(dir, 'pairs.jsonl'), lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function jobFile(name: string, steps: number): string {
  const file = join(dir, `${name}.tune.json`);
  writeFileSync(file, JSON.stringify({
    model: 'tiny', train_file: 'pairs.jsonl', output_dir: `jobs/${name}`, max_length: 64, truncate_prompt_to: 24,
    per_device_train_batch_size: 2, max_steps: steps, save_steps: 5, device: 'cpu',
  }));
  return file;
}

/** The job folder's state once `ok` holds, as any window or the CLI would read it. */
function untilJob(what: string, dirPath: string, ok: (s: JobSnapshot) => boolean, timeoutMs = 90_000): Promise<JobSnapshot> {
  return until(() => readJob(dirPath), ok, what, { timeoutMs, intervalMs: 200, show: (s) => ({ state: s.state, step: s.step, message: s.message, lastLog: s.lastLog }) });
}

test('launch → running with progress → SIGTERM → stopped with an adapter → run again → done', async () => {
  const config = jobFile('stoppable', 40);
  const jobDir = join(dir, 'jobs', 'stoppable');
  const { child, record } = await launchJob({ python, repoRoot, configPath: config, jobDir });
  child.removeAllListeners(); // followed through the folder only, like a window that did not start it
  assert.deepEqual(readLaunch(jobDir), record);
  const running = await untilJob('progress', jobDir, (s) => s.state === 'running' && s.step >= 2);
  assert.equal(running.totalSteps, 40);
  process.kill(record.pid, 'SIGTERM');
  const stopped = await untilJob('stopped', jobDir, (s) => s.state !== 'running');
  assert.equal(stopped.state, 'stopped', stopped.message);
  assert.ok(stopped.step >= 2 && stopped.step < 40, `stopped at ${stopped.step}`);
  assert.ok(existsSync(join(jobDir, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');

  await launchJob({ python, repoRoot, configPath: config, jobDir });
  // The rerun's 38 steps take ~30 s on a quiet machine and several times that at load 20: a wide limit.
  const doneSnap = await untilJob('done', jobDir, (s) => s.state === 'done' || s.state === 'failed', 300_000);
  assert.equal(doneSnap.state, 'done', `${doneSnap.message}\n${doneSnap.lastLog.join('\n')}`);
  assert.equal(doneSnap.step, 40);
  const events = readFileSync(join(jobDir, 'events.jsonl'), 'utf8');
  assert.match(events, new RegExp(`"code": "resumed", "message": "resumed from [^"]*step-0*${stopped.step}`), 'the second run resumed from the stop checkpoint');
});

test('a worker killed outright is failed, with the end of its log; a bad config fails with the trainer\'s words', async () => {
  const config = jobFile('killed', 400);
  const jobDir = join(dir, 'jobs', 'killed');
  const { record } = await launchJob({ python, repoRoot, configPath: config, jobDir });
  await untilJob('progress', jobDir, (s) => s.step >= 1);
  process.kill(record.pid, 'SIGKILL');
  const failed = await untilJob('failed', jobDir, (s) => s.state !== 'running');
  assert.equal(failed.state, 'failed');
  assert.match(failed.message!, /ended without reporting a result/);
  assert.match(failed.lastLog.join('\n'), /step \d+\/400/);

  const bad = join(dir, 'bad.tune.json');
  const badText = JSON.stringify({ model: 'tiny', train_file: 'pairs.jsonl', output_dir: 'jobs/bad', betta: 0.2 });
  writeFileSync(bad, badText);
  await launchJob({ python, repoRoot, configPath: bad, jobDir: join(dir, 'jobs', 'bad') });
  const refused = await untilJob('the config error', join(dir, 'jobs', 'bad'), (s) => s.state !== 'running');
  assert.equal(refused.state, 'failed');
  // The trainer names the file, the line and column of the key, and the key it most likely meant.
  assert.equal(refused.message, `config error: ${bad}:1:${badText.indexOf('"betta"') + 1}: unknown config key \`betta\` Did you mean \`beta\`?`);
});

test('processes: 1 runs the worker itself, N > 1 and 0 run it under accelerate launch', () => {
  assert.deepEqual(workerArgs('job.json'), ['-m', 'styletune_trainer', 'dpo', '--config', 'job.json']);
  assert.deepEqual(workerArgs('job.json', 4).slice(0, 5), ['-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '4']);
  assert.deepEqual(workerArgs('job.json', 4).slice(-5), ['-m', 'styletune_trainer', 'dpo', '--config', 'job.json']);
  assert.ok(!workerArgs('job.json', 0).includes('--num_processes'), 'accelerate picks one rank per GPU');
  assert.throws(() => workerArgs('job.json', -2), /whole number/);
});

test('two data-parallel ranks under accelerate launch: one report, SIGTERM to the launcher stops every rank with an adapter', async () => {
  const config = jobFile('ranks', 400);
  const jobDir = join(dir, 'jobs', 'ranks');
  const { child, record } = await launchJob({ python, repoRoot, configPath: config, jobDir, processes: 2 });
  child.removeAllListeners();
  assert.equal(readLaunch(jobDir)?.processes, 2);
  const running = await untilJob('progress', jobDir, (s) => s.state === 'running' && s.step >= 2, 180_000);
  assert.equal(running.totalSteps, 400);
  process.kill(record.pid, 'SIGTERM');
  const stopped = await untilJob('stopped', jobDir, (s) => s.state !== 'running');
  assert.equal(stopped.state, 'stopped', `${stopped.message}\n${stopped.lastLog.join('\n')}`);
  assert.ok(existsSync(join(jobDir, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');
  const events = readFileSync(join(jobDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; num_processes?: number; step?: number });
  const started = events.filter((e) => e.event === 'started');
  assert.equal(started.length, 1, 'only rank 0 reports');
  assert.equal(started[0].num_processes, 2);
  const steps = events.filter((e) => e.event === 'progress').map((e) => e.step);
  assert.deepEqual(steps, steps.map((_, i) => i + 1), 'one progress event per step, not one per rank');
  // No rank outlives the stop (they finish writing after rank 0 reports `done`: give them a moment).
  const ranksLeft = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes(config));
  for (const end = Date.now() + 30_000; ranksLeft().length > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(ranksLeft(), []);
});
