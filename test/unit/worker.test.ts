/**
 * The worker from the Node side, against the real Python trainer and a tiny model made for the test:
 * every event validated against trainer/events.schema.json, stop by signal, crash reporting.
 * Needs the project venv: `bash scripts/setup-python.sh`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  eventsValidator, findRepoRoot, parseEventLine, PythonNotFoundError, resolvePython, SchemaValidator,
  startWorker, venvPython, type WorkerEvent,
} from '../../src/core/worker';
import { repoRoot, requireShared } from './paths';

const python = venvPython(repoRoot);
let dir: string;
let model: string;
let pairs: string;

function makeJob(name: string, over: Record<string, unknown> = {}): string {
  const job = join(dir, `${name}.json`);
  writeFileSync(job, JSON.stringify({
    model, train_file: pairs, output_dir: join(dir, name), max_length: 96, truncate_prompt_to: 32,
    per_device_train_batch_size: 4, learning_rate: 5e-3, max_steps: 3, save_steps: 2, seed: 1, device: 'cpu', ...over,
  }));
  return job;
}

before(() => {
  if (!existsSync(python)) throw new Error(`${python} missing: run \`bash scripts/setup-python.sh\` first`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-worker-'));
  model = join(dir, 'tiny');
  execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', model], { stdio: ['ignore', 'ignore', 'pipe'] });
  pairs = join(dir, 'pairs.jsonl');
  const lines = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 16);
  writeFileSync(pairs, lines.join('\n') + '\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('events schema', () => {
  const progress = {
    version: 1, event: 'progress', time: 1, step: 1, total_steps: 3, epoch: 0.3, loss: 0.69,
    'rewards/chosen': 0, 'rewards/rejected': 0, 'rewards/margins': 0, 'rewards/accuracies': 0,
    'logps/chosen': -10, 'logps/rejected': -11, learning_rate: 1e-4, grad_norm: 1, tokens_per_s: 10, eta_s: 3,
    gpu_mem_bytes: null,
  };

  test('accepts a well-formed event and rejects broken ones with a reason', () => {
    assert.deepEqual(eventsValidator().validate(progress), []);
    const { loss: _loss, ...noLoss } = progress;
    const cases: [unknown, RegExp][] = [
      [noLoss, /missing required field "loss"/],
      [{ ...progress, 'rewards/accuracies': 1.5 }, /must be <= 1/],
      [{ ...progress, extra: 1 }, /unexpected field "extra"/],
      [{ ...progress, version: 2 }, /must be 1/],
      [{ version: 1, event: 'error', time: 1, kind: 'disk', message: 'm', hint: 'h' }, /must be one of/],
      [{ version: 1, event: 'error', time: 1, kind: 'oom', message: 'm' }, /missing required field "hint"/],
      [{ version: 1, event: 'bogus', time: 1 }, /.+/],
    ];
    for (const [value, reason] of cases) {
      const errors = eventsValidator().validate(value);
      assert.ok(errors.length > 0, `should reject ${JSON.stringify(value)}`);
      assert.match(errors.join('\n'), reason);
    }
    assert.match(JSON.stringify(parseEventLine('{"version": 1,')), /not JSON/);
  });

  test('refuses a schema keyword it would otherwise ignore', () => {
    assert.throws(() => new SchemaValidator({ type: 'object', patternProperties: {} }), /patternProperties/);
  });
});

describe('python resolution', () => {
  test('explicit option, then STYLETUNE_PYTHON, then the host hook, then the venv', async () => {
    const env = { STYLETUNE_PYTHON: python };
    assert.equal((await resolvePython({ explicit: python, env: {}, repoRoot })).source, 'option');
    assert.equal((await resolvePython({ env, repoRoot })).source, 'env');
    assert.equal((await resolvePython({ env: {}, repoRoot, fromHost: async () => python })).source, 'host');
    assert.equal((await resolvePython({ env: {}, repoRoot, fromHost: async () => undefined })).source, 'venv');
    await assert.rejects(resolvePython({ env: { STYLETUNE_PYTHON: '/nope/python' }, repoRoot }), /STYLETUNE_PYTHON/);
    await assert.rejects(resolvePython({ env: {}, repoRoot: dir }),
      (e: unknown) => e instanceof PythonNotFoundError && /setup-python\.sh/.test(e.hint));
    assert.equal(findRepoRoot(join(repoRoot, 'src', 'core')), repoRoot);
  });
});

describe('worker process', () => {
  test('a real DPO run: every stdout line is a valid event, ending in done', async () => {
    const events: WorkerEvent[] = [];
    const invalid: string[] = [];
    const logs: string[] = [];
    const w = startWorker({ python, repoRoot, args: ['dpo', '--config', makeJob('run')] }, {
      onEvent: (e) => events.push(e), onInvalidLine: (l, why) => invalid.push(`${why}: ${l}`), onLog: (l) => logs.push(l),
    });
    const r = await w.result;
    assert.deepEqual(invalid, []);
    assert.equal(r.outcome, 'done', r.message);
    assert.equal(r.exitCode, 0);
    const kinds = events.map((e) => e.event);
    assert.equal(kinds.find((k, i) => k !== 'log' || (events[i] as { code?: string }).code !== 'loading'), 'started', 'only loading news before started');
    assert.equal(kinds.at(-1), 'done');
    assert.deepEqual(events.filter((e) => e.event === 'progress').map((e) => (e as { step: number }).step), [1, 2, 3]);
    assert.ok(kinds.includes('checkpoint') && kinds.includes('log'));
    assert.ok(r.done?.adapter && existsSync(join(r.done.adapter, 'adapter_model.safetensors')));
    assert.ok(logs.some((l) => l.startsWith('step 3/3')), 'human-readable progress on stderr');
    // The job folder's events.jsonl holds the same events, and they validate too.
    const saved = readFileSync(join(dir, 'run', 'events.jsonl'), 'utf8').trim().split('\n');
    assert.equal(saved.length, events.length);
    for (const line of saved) assert.ok('event' in parseEventLine(line), line);
  });

  test('stop: SIGTERM ends after the current step with done.stopped and a saved adapter', async () => {
    let stopping: Promise<unknown> | undefined;
    const w: ReturnType<typeof startWorker> = startWorker({ python, repoRoot, args: ['dpo', '--config', makeJob('stop', { max_steps: 500, save_steps: 1000 })] }, {
      onEvent: (e) => {
        if (e.event === 'progress' && !stopping) stopping = w.stop(60_000);
      },
    });
    const r = await w.result;
    await stopping;
    assert.equal(r.outcome, 'done', r.message);
    assert.equal(r.done?.stopped, true);
    assert.ok((r.done?.step ?? 0) >= 1 && (r.done?.step ?? 500) < 500);
    assert.ok(existsSync(join(r.done!.adapter!, 'adapter_config.json')));
    assert.equal(JSON.parse(readFileSync(join(dir, 'stop', 'status.json'), 'utf8')).state, 'stopped');
  });

  test('a worker that dies is reported as a crash with its last log lines, and its job marked failed', async () => {
    let pid: number | undefined;
    // stdout (events) and stderr (log) are separate pipes: wait until both have shown step 1, so the
    // kill lands mid-run and the step's log line is certainly among the last lines reported.
    let progressSeen = false;
    let stepLogged = false;
    const killWhenBoth = () => {
      if (progressSeen && stepLogged && pid) process.kill(pid, 'SIGKILL');
    };
    const w = startWorker({ python, repoRoot, args: ['dpo', '--config', makeJob('crash', { max_steps: 500 })] }, {
      onEvent: (e) => {
        if (e.event === 'progress') progressSeen = true;
        killWhenBoth();
      },
      onLog: (line) => {
        if (line.includes('step 1/500')) stepLogged = true;
        killWhenBoth();
      },
    });
    pid = w.pid;
    const r = await w.result;
    assert.equal(r.outcome, 'crashed');
    assert.equal(r.signal, 'SIGKILL');
    assert.match(r.message, /killed by SIGKILL without reporting a result; last log lines:\n/);
    assert.match(r.message, /step 1\/500/);
    const status = JSON.parse(readFileSync(join(dir, 'crash', 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed');
    assert.ok(status.last_log.length > 0);
  });

  test('an error event carries kind and hint; a missing interpreter is an environment error', async () => {
    const r = await startWorker({ python, repoRoot, args: ['dpo', '--config', makeJob('bad', { model: join(dir, 'nope') })] }).result;
    assert.equal(r.outcome, 'error');
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.kind, 'environment');
    assert.match(r.error!.hint, /make-tiny-model/);
    const missing = await startWorker({ python: join(dir, 'no-python'), args: ['dpo'] }).result;
    assert.equal(missing.outcome, 'error');
    assert.equal(missing.error?.kind, 'environment');
    assert.match(missing.message, /could not start the trainer/);
  });
});
