/**
 * Runs the Python training worker as a child process (no shell) and turns its stdout into typed,
 * validated events. Shared by the CLI (`styletune tune`) and the extension; no `vscode` import.
 *
 *   const w = startWorker({ python, repoRoot, args: ['dpo', '--config', 'job.json'] },
 *                         { onEvent: (e) => ..., onLog: (line) => ... });
 *   await w.stop();            // SIGTERM: the worker finishes its step and saves; SIGKILL after the grace time
 *   const r = await w.result;  // { outcome: 'done' | 'error' | 'crashed', ... }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic';
import { lines } from '../lines';
import type { DoneEvent, ErrorEvent, WorkerEvent } from './events';
import { workerEnv } from './python';
import { parseEventLine } from './schema';

export interface WorkerSpec {
  python: string;
  /** Arguments after `-m styletune_trainer`, e.g. ['dpo', '--config', 'job.json']. */
  args: string[];
  /** The checkout holding trainer/; put on PYTHONPATH so any interpreter with the deps can run it. */
  repoRoot?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Own process group (default on POSIX): a terminal's Ctrl-C then reaches only us, and we forward a
   * single SIGTERM. Otherwise the worker would see two signals, which it takes as "stop now".
   */
  detached?: boolean;
}

/**
 * A callback may return a promise (a CLI writing to a slow pipe): the worker's output is then not read
 * further until it settles, so a paused reader pauses the worker rather than filling our memory.
 */
export interface WorkerCallbacks {
  onEvent?: (event: WorkerEvent) => unknown;
  /** stderr lines and protocol problems, for a log view. */
  onLog?: (line: string) => unknown;
  /** A stdout line that is not a valid event (a bug on one side of the protocol). */
  onInvalidLine?: (line: string, reason: string) => void;
}

export interface WorkerResult {
  outcome: 'done' | 'error' | 'crashed';
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  done?: DoneEvent;
  error?: ErrorEvent;
  /** The last lines of stderr, for crash reports. */
  lastLog: string[];
  /** One plain-words sentence (plus the last log lines for a crash). */
  message: string;
}

export interface WorkerHandle {
  readonly pid: number | undefined;
  readonly result: Promise<WorkerResult>;
  /** Asks the worker to stop (SIGTERM), escalating to SIGKILL after `graceMs`; resolves with the result. */
  stop(graceMs?: number): Promise<WorkerResult>;
}

const LOG_TAIL = 40;
export const DEFAULT_STOP_GRACE_MS = 60_000;

export function startWorker(spec: WorkerSpec, cb: WorkerCallbacks = {}): WorkerHandle {
  const env = workerEnv({ repoRoot: spec.repoRoot, env: spec.env });
  const lastLog: string[] = [];
  const log = (line: string): unknown => {
    lastLog.push(line);
    if (lastLog.length > LOG_TAIL) lastLog.shift();
    return cb.onLog?.(line);
  };
  let done: DoneEvent | undefined;
  let error: ErrorEvent | undefined;
  let jobDir: string | undefined;
  let exited = false;

  const child: ChildProcess = spawn(spec.python, ['-m', 'styletune_trainer', ...spec.args], {
    cwd: spec.cwd,
    env,
    shell: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
    detached: spec.detached ?? process.platform !== 'win32',
  });
  // Detached children outlive us; if we exit first, ask the worker to save and stop.
  const onParentExit = (): void => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', onParentExit);

  const onStdoutLine = (line: string): unknown => {
    if (!line.trim()) return;
    const parsed = parseEventLine(line);
    if ('error' in parsed) {
      const wait = log(`[styletune] invalid worker event (${parsed.error}): ${line.slice(0, 500)}`);
      cb.onInvalidLine?.(line, parsed.error);
      return wait;
    }
    const e = parsed.event;
    if (e.event === 'started' && e.job_dir) jobDir = e.job_dir;
    if (e.event === 'done') done = e;
    if (e.event === 'error') error = e;
    return cb.onEvent?.(e);
  };
  lines(child.stdout!, onStdoutLine);
  lines(child.stderr!, log);

  const result = new Promise<WorkerResult>((resolveResult) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
      if (exited) return;
      exited = true;
      process.off('exit', onParentExit);
      void finish(code, signal, err).then(resolveResult);
    };
    // A failed spawn (no such interpreter) may emit 'error' without 'close'.
    child.once('error', (err) => {
      if (child.pid === undefined) settle(null, null, err);
    });
    child.once('close', (code, signal) => settle(code, signal));
  });

  const finish = async (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): Promise<WorkerResult> => {
    const base = { exitCode, signal, lastLog: [...lastLog] };
    if (spawnError && !done && !error) {
      const err: ErrorEvent = {
        version: 1, event: 'error', time: Date.now() / 1000, kind: 'environment',
        message: `could not start the trainer with ${spec.python}: ${spawnError.message}`,
        hint: 'Run `bash scripts/setup-python.sh`, or point --python / STYLETUNE_PYTHON at a working interpreter.',
      };
      return { ...base, outcome: 'error', error: err, message: `${err.message}. ${err.hint}` };
    }
    if (done) {
      return { ...base, outcome: 'done', done, message: done.stopped ? `stopped at step ${done.step ?? 0}; adapter saved` : 'finished' };
    }
    if (error) return { ...base, outcome: 'error', error, message: `${error.kind} error: ${error.message}. ${error.hint}` };
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const message = `the trainer ${how} without reporting a result` +
      (lastLog.length ? `; last log lines:\n${lastLog.slice(-15).join('\n')}` : ' and wrote no log');
    // Written before the result is handed out: whoever reads the job folder next sees the failure.
    if (jobDir) await markFailed(jobDir, how, lastLog);
    return { ...base, outcome: 'crashed', message };
  };

  const stop = async (graceMs = DEFAULT_STOP_GRACE_MS): Promise<WorkerResult> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) {
          log(`[styletune] the trainer did not stop within ${graceMs} ms; sending SIGKILL`);
          child.kill('SIGKILL');
        }
      }, graceMs);
      timer.unref?.();
      try {
        return await result;
      } finally {
        clearTimeout(timer);
      }
    }
    return result;
  };

  return { pid: child.pid, result, stop };
}

/**
 * A worker that dies leaves its job folder saying so, with the log lines that explain it. Atomic like
 * every other status.json write (jobState.ts): a reader never sees half a file, and a crash of ours
 * mid-write leaves the trainer's last status rather than an unreadable one.
 */
async function markFailed(jobDir: string, how: string, lastLog: string[]): Promise<void> {
  if (!existsSync(jobDir)) return;
  try {
    await writeFileAtomic(join(jobDir, 'status.json'), JSON.stringify({
      state: 'failed', kind: 'crashed', message: `the trainer ${how}`, time: Date.now() / 1000, last_log: lastLog,
    }, null, 2) + '\n');
  } catch {
    // The job folder may be read-only or gone; the crash is still reported to the caller.
  }
}
