/**
 * What a job folder says about its job: running, done, stopped or failed, how far it got, and for a
 * failure the reason and the last log lines. Read from the files the trainer writes (status.json,
 * events.jsonl, train.log) and the launch record (launch.ts), so any window can tell, also after a
 * reload or for a job started by `styletune tune`.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../atomic';
import type { ErrorEvent, ProgressEvent, StartedEvent, WorkerEvent } from '../worker/events';
import { lastLines, readEventsFile, type EventProblem } from './eventsFile';
import { readLaunch, STDERR_FILE, STDOUT_FILE, type LaunchRecord } from './launch';
import { isProcessAlive } from './process';

export type JobState = 'running' | 'stopping' | 'done' | 'stopped' | 'failed';

export interface JobSnapshot {
  dir: string;
  name: string;
  state: JobState;
  step: number;
  totalSteps?: number;
  /** For failed jobs: what went wrong, in plain words with what to do; for stopped ones, where Resume goes on. */
  message?: string;
  /** For failed jobs: the end of train.log (or of the worker's stderr when it died before writing one). */
  lastLog: string[];
  launch?: LaunchRecord;
  /** The worker's pid while it runs (from the launch record, or status.json for a job run by the CLI). */
  pid?: number;
  /** The job file to run again for Resume: the launch record's, else the folder's config.json. */
  configFile?: string;
  adapter?: string;
  started?: StartedEvent;
  lastProgress?: ProgressEvent;
  /** Seconds left by the worker's estimate, while running. */
  etaS?: number;
  /** This run has not reported `started` yet: it imports, reads, tokenizes, loads the model. */
  loading: boolean;
  /** What the worker does before its first step ("tokenizing 4948 pairs"), from its `loading` log events. */
  phase?: string;
  /** The newest checkpoint's step, where Resume continues; 0: none, Resume starts from scratch. */
  resumeStep: number;
  problems: EventProblem[];
}

interface StatusFile {
  state?: string;
  pid?: number;
  /** The worker's process start token (process.ts), written with its pid. */
  token?: string;
  time?: number;
  step?: number;
  adapter?: string;
  message?: string;
  kind?: string;
  last_log?: string[];
}

export const LOG_TAIL_LINES = 20;

function readStatus(dir: string): StatusFile | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as unknown;
    return typeof s === 'object' && s !== null ? (s as StatusFile) : undefined;
  } catch {
    return undefined;
  }
}

export function errorText(e: ErrorEvent): string {
  return `${e.kind} error: ${e.message} ${e.hint}`;
}

export interface ReadJobOptions {
  /** Replaceable for tests; the real check by default. */
  alive?: (pid: number, token?: string) => boolean;
}

export function readJob(dir: string, o: ReadJobOptions = {}): JobSnapshot {
  const alive = o.alive ?? isProcessAlive;
  const launch = readLaunch(dir);
  const status = readStatus(dir);
  const all = readEventsFile(join(dir, 'events.jsonl'));
  // This run's events: those after the launch point (earlier runs of a resumed job come before).
  const run = launch ? readEventsFile(join(dir, 'events.jsonl'), launch.eventsOffset) : all;
  const snap: JobSnapshot = {
    dir, name: basename(dir), state: 'failed', step: 0, lastLog: [], launch, problems: all.problems, resumeStep: newestCheckpoint(dir), loading: true,
    configFile: launch?.config ?? (existsSync(join(dir, 'config.json')) ? join(dir, 'config.json') : undefined),
  };
  for (const e of all.events) absorb(snap, e);
  for (const e of run.events) absorbPhase(snap, e);

  const pid = launch?.pid ?? status?.pid;
  const token = launch && launch.pid === pid ? launch.token : status?.pid === pid ? status?.token ?? undefined : undefined;
  const running = pid !== undefined && alive(pid, token)
    && (launch !== undefined || status?.state === 'running');
  if (running) {
    snap.pid = pid;
    snap.state = launch?.stopRequestedAt ? 'stopping' : 'running';
    snap.etaS = snap.lastProgress?.eta_s;
    return snap;
  }
  const end = [...run.events].reverse().find((e): e is Extract<WorkerEvent, { event: 'done' | 'error' }> =>
    (e.event === 'done' && e.command === 'dpo') || e.event === 'error');
  // status.json is this run's when it was written after the launch (time is in seconds).
  const fresh = status && (!launch || (status.time ?? 0) * 1000 >= launch.startedAt - 1000);
  if (end?.event === 'done') {
    snap.state = end.stopped ? 'stopped' : 'done';
    snap.adapter = end.adapter;
    snap.step = end.step ?? snap.step;
    if (end.stopped) snap.message = stoppedText(snap);
    return snap;
  }
  if (fresh && (status.state === 'done' || status.state === 'stopped')) {
    snap.state = status.state;
    snap.adapter = status.adapter;
    snap.step = status.step ?? snap.step;
    if (status.state === 'stopped') snap.message = stoppedText(snap);
    return snap;
  }
  if (launch?.stopRequestedAt && !end) {
    // Stop was asked for and the worker is gone without a word: it ended before its handler was in place
    // (Python still starting) or was killed after the grace period. Either way the user's stop happened.
    snap.state = 'stopped';
    snap.message = launch.killedAt
      ? `the trainer did not finish stopping in time and was killed; steps after the newest checkpoint are lost. ${resumeText(snap.resumeStep)}`
      : `the trainer ended on Stop before reporting a result. ${resumeText(snap.resumeStep)}`;
    return snap;
  }
  snap.state = 'failed';
  snap.lastLog = lastLines(join(dir, 'train.log'), LOG_TAIL_LINES);
  if (!snap.lastLog.length) snap.lastLog = lastLines(join(dir, STDERR_FILE), LOG_TAIL_LINES);
  // An error before the job folder was set up (a bad config) reached only the worker's stdout.
  const early = launch ? [...readEventsFile(join(dir, STDOUT_FILE)).events].reverse().find((e): e is ErrorEvent => e.event === 'error') : undefined;
  const error = end?.event === 'error' ? end : early;
  if (error) snap.message = errorText(error);
  else if (fresh && status.state === 'failed' && status.message) snap.message = status.message;
  else if (status?.last_log?.length && fresh) {
    snap.message = status.message ?? 'the trainer stopped without reporting a result';
    snap.lastLog = status.last_log.slice(-LOG_TAIL_LINES);
  } else snap.message = `the trainer process ended without reporting a result (killed, out of memory, or the machine restarted). ${resumeText(snap.resumeStep)}`;
  if (status?.state === 'running') repairStatus(snap, status);
  return snap;
}

/**
 * A status.json still saying `running` for a worker that is gone (killed with `kill -9`, out of memory, a
 * worker started directly and never tracked) is repaired by whoever reads it first, so the CLI, other
 * windows and later sessions see `failed` with the reason instead of a job that runs forever.
 * Best effort: a read-only folder is left as it is (the snapshot says failed either way).
 */
function repairStatus(snap: JobSnapshot, status: StatusFile): void {
  const file = join(snap.dir, 'status.json');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({
      ...status, state: 'failed', kind: 'crashed', message: snap.message, time: Date.now() / 1000, step: snap.step, last_log: snap.lastLog,
    }, null, 2) + '\n');
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** The newest checkpoint's step in the job folder (0: none), read from the checkpoint folders' names. */
export function newestCheckpoint(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'checkpoints'));
  } catch {
    return 0;
  }
  return Math.max(0, ...names.map((n) => /^step-(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])));
}

function stoppedText(s: JobSnapshot): string {
  const at = s.step > 0 ? `Stopped at step ${s.step}${s.adapter ? '; the adapter is saved' : ''}.` : 'Stopped before the first step.';
  return `${at} ${resumeText(s.resumeStep)}`;
}

/** What Resume will do: continue at the newest checkpoint, or start again. */
export function resumeText(resumeStep: number): string {
  return resumeStep > 0 ? `Resume continues from step ${resumeStep}.` : 'Resume starts from scratch (no checkpoint yet).';
}

/** This run's loading phase: the newest `loading` message until the first step. */
export function absorbPhase(snap: JobSnapshot, e: WorkerEvent): void {
  if (e.event === 'log' && e.code === 'loading') snap.phase = e.message;
  else if (e.event === 'started' || e.event === 'done' || e.event === 'error') {
    snap.loading = false;
    snap.phase = undefined;
  }
}

export function absorb(snap: JobSnapshot, e: WorkerEvent): void {
  if (e.event === 'started' && e.command === 'dpo') {
    snap.started = e;
    snap.totalSteps = e.total_steps ?? snap.totalSteps;
  } else if (e.event === 'progress') {
    snap.lastProgress = e;
    snap.step = e.step;
    snap.totalSteps = e.total_steps;
  } else if (e.event === 'done' && e.command === 'dpo') {
    snap.step = e.step ?? snap.step;
    snap.adapter = e.adapter;
  }
}

/**
 * Records in status.json that the worker died without a word, with the log lines that may explain it,
 * so the folder tells the same story to the CLI, other windows and later sessions.
 */
export async function markJobFailed(snap: JobSnapshot): Promise<void> {
  const status = readStatus(snap.dir);
  if (status?.state === 'failed' && (status.time ?? 0) * 1000 >= (snap.launch?.startedAt ?? 0)) return;
  await writeFileAtomic(join(snap.dir, 'status.json'), JSON.stringify({
    state: 'failed', kind: 'crashed', message: snap.message, pid: snap.launch?.pid ?? status?.pid,
    time: Date.now() / 1000, step: snap.step, last_log: snap.lastLog,
  }, null, 2) + '\n');
}
