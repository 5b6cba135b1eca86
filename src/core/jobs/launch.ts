/**
 * Starts a DPO job so that it outlives the editor window: the worker runs detached (its own session),
 * with stdout and stderr going to files in the job folder instead of pipes to the extension host. A
 * window reload ends the host; a worker writing to a pipe of a dead host would die of a broken pipe.
 * Whoever wants to follow the job tails events.jsonl, whichever window started it.
 *
 * launch.json in the job folder records the run: pid + start-time token (so a reused pid is not taken
 * for our worker), the config file (Resume runs it again), and where events.jsonl stood at launch.
 *
 * Several processes (data-parallel, one per GPU) run under `accelerate launch`; its pid is the one
 * recorded. It forwards SIGTERM to every rank, so Stop, the stop step and `stopped` work as with one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic';
import { workerEnv } from '../worker/python';
import { processStartToken } from './process';

export const LAUNCH_FILE = 'launch.json';
/** The worker's own stdout: the same events as events.jsonl, plus errors from before the job folder was set up. */
export const STDOUT_FILE = 'worker-stdout.jsonl';
/** The worker's stderr: the human log, plus Python's own crash output. */
export const STDERR_FILE = 'worker-stderr.log';

export interface LaunchRecord {
  version: 1;
  pid: number;
  /** processStartToken(pid) right after the spawn; absent where the platform has none. */
  token?: string;
  /** The job file that was run; Resume runs it again. */
  config: string;
  python: string;
  /** ms since the epoch. */
  startedAt: number;
  /** Size of events.jsonl before this run: its events start there. */
  eventsOffset: number;
  /** Set when Stop was asked for (ms since the epoch). */
  stopRequestedAt?: number;
  /** Set when the worker did not stop within the grace period and was killed (ms since the epoch). */
  killedAt?: number;
  /** What `processes` the job was started with (see workerArgs); absent: 1. */
  processes?: number;
}

export interface LaunchOptions {
  python: string;
  /** The folder that holds trainer/ (put on PYTHONPATH). */
  repoRoot: string;
  configPath: string;
  jobDir: string;
  env?: NodeJS.ProcessEnv;
  /** Data-parallel processes: see workerArgs. Default 1. */
  processes?: number;
}

/**
 * The interpreter's arguments for a DPO job. `processes` 1: the worker itself. N > 1: N ranks under
 * `accelerate launch --multi_gpu` (one per GPU; on a machine without GPUs, N CPU ranks over gloo).
 * 0: `accelerate launch` picks, one rank per visible GPU (a single process on one GPU or none).
 */
export function workerArgs(configPath: string, processes = 1): string[] {
  const dpo = ['-m', 'styletune_trainer', 'dpo', '--config', configPath];
  if (processes === 1) return dpo;
  if (!Number.isInteger(processes) || processes < 0) throw new Error(`processes must be a whole number ≥ 0, got ${processes}`);
  const ranks = processes > 1 ? ['--multi_gpu', '--num_processes', String(processes)] : [];
  // The trainer chooses its own dtype; the flags spelled out also keep accelerate from warning about each default.
  return ['-m', 'accelerate.commands.launch', ...ranks, '--num_machines', '1', '--mixed_precision', 'no', '--dynamo_backend', 'no', ...dpo];
}

export async function launchJob(o: LaunchOptions): Promise<{ child: ChildProcess; record: LaunchRecord }> {
  mkdirSync(o.jobDir, { recursive: true });
  const env = workerEnv({ repoRoot: o.repoRoot, env: o.env });
  const events = join(o.jobDir, 'events.jsonl');
  const eventsOffset = existsSync(events) ? statSync(events).size : 0;
  const out = openSync(join(o.jobDir, STDOUT_FILE), 'w');
  const err = openSync(join(o.jobDir, STDERR_FILE), 'w');
  let child: ChildProcess;
  try {
    child = spawn(o.python, workerArgs(o.configPath, o.processes), {
      cwd: dirname(o.configPath),
      env,
      shell: false,
      stdio: ['ignore', out, err],
      detached: true,
      windowsHide: true,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (e) => reject(new Error(`could not start ${o.python}: ${e.message}`)));
  });
  child.unref();
  const record: LaunchRecord = {
    version: 1, pid, token: processStartToken(pid), config: o.configPath, python: o.python, startedAt: Date.now(), eventsOffset,
    ...(o.processes !== undefined && o.processes !== 1 ? { processes: o.processes } : {}),
  };
  await writeLaunch(o.jobDir, record);
  return { child, record };
}

export function writeLaunch(jobDir: string, record: LaunchRecord): Promise<void> {
  return writeFileAtomic(join(jobDir, LAUNCH_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** The job folder's launch record, or undefined when it has none (a job run by the CLI) or it is unreadable. */
export function readLaunch(jobDir: string): LaunchRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(jobDir, LAUNCH_FILE), 'utf8')) as Partial<LaunchRecord>;
    if (r.version !== 1 || typeof r.pid !== 'number' || typeof r.config !== 'string' || typeof r.startedAt !== 'number') return undefined;
    return { eventsOffset: 0, python: '', ...r } as LaunchRecord;
  } catch {
    return undefined;
  }
}
