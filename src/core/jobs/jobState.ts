/**
 * What a job folder says about its job: running, done, stopped or failed, how far it got, and for a
 * failure the reason and the last log lines. Read from the files the trainer writes (status.json,
 * events.jsonl, train.log) and the launch record (launch.ts), so any window can tell, also after a
 * reload or for a job started by `styletune tune`.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  /** For failed jobs: what went wrong, in plain words with what to do. */
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
  problems: EventProblem[];
}

interface StatusFile {
  state?: string;
  pid?: number;
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
    dir, name: basename(dir), state: 'failed', step: 0, lastLog: [], launch, problems: all.problems,
    configFile: launch?.config ?? (existsSync(join(dir, 'config.json')) ? join(dir, 'config.json') : undefined),
  };
  for (const e of all.events) absorb(snap, e);

  const pid = launch?.pid ?? status?.pid;
  const running = pid !== undefined && alive(pid, launch && launch.pid === pid ? launch.token : undefined)
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
    snap.adapter = end.adapter ?? end.output;
    snap.step = end.step ?? snap.step;
    return snap;
  }
  if (fresh && (status.state === 'done' || status.state === 'stopped')) {
    snap.state = status.state;
    snap.adapter = status.adapter;
    snap.step = status.step ?? snap.step;
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
  } else snap.message = 'the trainer process ended without reporting a result (killed, out of memory, or the machine restarted). Resume continues from the newest checkpoint.';
  return snap;
}

function absorb(snap: JobSnapshot, e: WorkerEvent): void {
  if (e.event === 'started' && e.command === 'dpo') {
    snap.started = e;
    snap.totalSteps = e.total_steps ?? snap.totalSteps;
  } else if (e.event === 'progress') {
    snap.lastProgress = e;
    snap.step = e.step;
    snap.totalSteps = e.total_steps;
  } else if (e.event === 'done' && e.command === 'dpo') {
    snap.step = e.step ?? snap.step;
    snap.adapter = e.adapter ?? e.output;
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
