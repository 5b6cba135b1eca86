/**
 * A detached job with the real worker and a tiny model on the CPU: followed through its folder only
 * (as a reloaded window does), stopped with SIGTERM (adapter saved, `stopped`), resumed to `done`,
 * and a worker killed outright shows as failed with its log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readJob, type JobSnapshot } from '../../src/core/jobs/jobState';
import { launchJob, readLaunch } from '../../src/core/jobs/launch';
import { venvPython } from '../../src/core/worker';
import { repoRoot, requireShared } from './paths';

const python = venvPython(repoRoot);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-jobs-launch-'));
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(dir, 'tiny')], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONPATH: join(repoRoot, 'trainer') },
  });
  const lines = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 8);
  writeFileSync(join(dir, 'pairs.jsonl'), lines.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function jobFile(name: string, steps: number): string {
  const file = join(dir, `${name}.tune.json`);
  writeFileSync(file, JSON.stringify({
    model: 'tiny', train_file: 'pairs.jsonl', output_dir: `jobs/${name}`, max_length: 64, max_prompt_length: 24,
    per_device_train_batch_size: 2, max_steps: steps, save_steps: 5, device: 'cpu',
  }));
  return file;
}

async function until(what: string, dirPath: string, ok: (s: JobSnapshot) => boolean, timeoutMs = 90_000): Promise<JobSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = readJob(dirPath);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ state: s.state, step: s.step, message: s.message, lastLog: s.lastLog })}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('launch → running with progress → SIGTERM → stopped with an adapter → run again → done', async () => {
  const config = jobFile('stoppable', 40);
  const jobDir = join(dir, 'jobs', 'stoppable');
  const { child, record } = await launchJob({ python, repoRoot, configPath: config, jobDir });
  child.removeAllListeners(); // followed through the folder only, like a window that did not start it
  assert.deepEqual(readLaunch(jobDir), record);
  const running = await until('progress', jobDir, (s) => s.state === 'running' && s.step >= 2);
  assert.equal(running.totalSteps, 40);
  process.kill(record.pid, 'SIGTERM');
  const stopped = await until('stopped', jobDir, (s) => s.state !== 'running');
  assert.equal(stopped.state, 'stopped', stopped.message);
  assert.ok(stopped.step >= 2 && stopped.step < 40, `stopped at ${stopped.step}`);
  assert.ok(existsSync(join(jobDir, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');

  await launchJob({ python, repoRoot, configPath: config, jobDir });
  const doneSnap = await until('done', jobDir, (s) => s.state === 'done' || s.state === 'failed');
  assert.equal(doneSnap.state, 'done', `${doneSnap.message}\n${doneSnap.lastLog.join('\n')}`);
  assert.equal(doneSnap.step, 40);
  const events = readFileSync(join(jobDir, 'events.jsonl'), 'utf8');
  assert.match(events, new RegExp(`"code": "resumed", "message": "resumed from [^"]*step-0*${stopped.step}`), 'the second run resumed from the stop checkpoint');
});

test('a worker killed outright is failed, with the end of its log; a bad config fails with the trainer\'s words', async () => {
  const config = jobFile('killed', 400);
  const jobDir = join(dir, 'jobs', 'killed');
  const { record } = await launchJob({ python, repoRoot, configPath: config, jobDir });
  await until('progress', jobDir, (s) => s.step >= 1);
  process.kill(record.pid, 'SIGKILL');
  const failed = await until('failed', jobDir, (s) => s.state !== 'running');
  assert.equal(failed.state, 'failed');
  assert.match(failed.message!, /ended without reporting a result/);
  assert.match(failed.lastLog.join('\n'), /step \d+\/400/);

  const bad = join(dir, 'bad.tune.json');
  writeFileSync(bad, JSON.stringify({ model: 'tiny', train_file: 'pairs.jsonl', output_dir: 'jobs/bad', betta: 0.2 }));
  await launchJob({ python, repoRoot, configPath: bad, jobDir: join(dir, 'jobs', 'bad') });
  const refused = await until('the config error', join(dir, 'jobs', 'bad'), (s) => s.state !== 'running');
  assert.equal(refused.state, 'failed');
  assert.equal(refused.message, 'config error: unknown config key `betta` Did you mean `beta`?');
});
