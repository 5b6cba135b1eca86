/**
 * The jobs this workspace knows: started here, or found again after a window reload through the job
 * folders remembered in workspaceState. A running job is followed by tailing its events.jsonl and
 * train.log (the worker runs detached and writes to files, see src/core/jobs/launch.ts) and by checking
 * every few seconds that its process still lives; one that died without a word becomes `failed`.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ModelCache } from '../modelCache';
import { FileTail, parseEventLines } from '../../core/jobs/eventsFile';
import { readJobFile } from '../../core/jobs/jobFile';
import { absorb, absorbPhase, markJobFailed, readJob, type JobSnapshot } from '../../core/jobs/jobState';
import { progressText } from '../../core/jobs/format';
import { launchJob, readLaunch, writeLaunch } from '../../core/jobs/launch';
import { isProcessAlive } from '../../core/jobs/process';
import { setting } from '../settings';
import { trainerPython } from '../trainerPython';
import { confirmJobPaths, type ConfirmOptions } from './confine';
import { welcomeDone } from '../welcome';

const STATE_KEY = 'styletune.jobs';
const ALIVE_POLL_MS = 2000;
/** After Stop, how long the worker gets to finish its step and save before it is killed. */
const STOP_GRACE_MS = 120_000;

export interface JobServices {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  /** The active reward model, for scoring the style probe's replies in the job view. */
  models?: ModelCache;
}

class Tracked implements vscode.Disposable {
  tail: FileTail | undefined;
  logTail: FileTail | undefined;
  timer: ReturnType<typeof setInterval> | undefined;
  child: ChildProcess | undefined;
  channel: vscode.LogOutputChannel | undefined;
  progressDone: (() => void) | undefined;
  killTimer: ReturnType<typeof setTimeout> | undefined;
  constructor(public snap: JobSnapshot) {}

  unfollow(): void {
    this.tail?.close();
    this.logTail?.close();
    if (this.timer) clearInterval(this.timer);
    if (this.killTimer) clearTimeout(this.killTimer);
    this.tail = this.logTail = this.timer = this.killTimer = undefined;
    this.progressDone?.();
    this.progressDone = undefined;
  }

  dispose(): void {
    this.unfollow();
    this.channel?.dispose();
  }
}

export class JobManager implements vscode.Disposable {
  private readonly jobs = new Map<string, Tracked>();
  private readonly starting = new Set<string>();
  private readonly changed = new vscode.EventEmitter<JobSnapshot | undefined>();
  /** Fires with the job whose state or progress changed (undefined: the list changed). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento, readonly s: JobServices) {}

  /** Finds the remembered jobs again and follows the ones still running (a window reload lands here). */
  restore(): void {
    for (const dir of this.memento.get<string[]>(STATE_KEY, [])) {
      if (!existsSync(dir)) continue;
      this.track(dir, { announce: true });
    }
    this.changed.fire(undefined);
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((t) => t.snap).sort((a, b) => (b.launch?.startedAt ?? 0) - (a.launch?.startedAt ?? 0));
  }

  get(dir: string): JobSnapshot | undefined {
    return this.jobs.get(dir)?.snap;
  }

  /** The job in `dir`, followed from now on if it was not yet (a job view opened for it, a revived panel). */
  async ensure(dir: string): Promise<JobSnapshot> {
    const known = this.jobs.get(dir);
    if (known) return known.snap;
    const t = this.track(dir, { announce: false });
    await this.remember(dir);
    this.changed.fire(undefined);
    return t.snap;
  }

  /**
   * Starts the job file (or runs it again: the trainer resumes from the newest checkpoint); undefined
   * when the user declined a path outside the workspace (confine.ts).
   */
  async start(configPath: string, o: ConfirmOptions = {}): Promise<JobSnapshot | undefined> {
    const file = readJobFile(configPath);
    if (!(await confirmJobPaths(file, this.memento, o))) {
      this.s.log.info(`Not starting ${configPath}: a path outside the workspace was not confirmed`);
      return undefined;
    }
    // A double click on Start must not launch two workers into one folder.
    if (this.starting.has(file.jobDir)) throw new Error(`the job in ${file.jobDir} is starting already.`);
    this.starting.add(file.jobDir);
    try {
      return await this.launch(configPath, file.jobDir);
    } finally {
      this.starting.delete(file.jobDir);
    }
  }

  private async launch(configPath: string, jobDir: string): Promise<JobSnapshot> {
    const current = this.jobs.get(jobDir)?.snap ?? (existsSync(jobDir) ? readJob(jobDir) : undefined);
    if (current && (current.state === 'running' || current.state === 'stopping')) {
      throw new Error(`the job in ${jobDir} is already running (pid ${current.pid}). Stop it first, or use another output_dir.`);
    }
    const py = await trainerPython(this.s.extensionPath, vscode.Uri.file(configPath));
    const processes = setting('tuning.processes', vscode.Uri.file(configPath));
    const ranks = processes === 1 ? '' : processes === 0 ? ' under accelerate launch (one process per GPU)' : ` under accelerate launch (${processes} processes)`;
    this.s.log.info(`Starting DPO job ${jobDir} from ${configPath} with ${py.describe}${ranks}`);
    const { child, record } = await launchJob({ python: py.path, repoRoot: this.s.extensionPath, configPath, jobDir, processes });
    await this.remember(jobDir);
    const t = this.track(jobDir, { announce: true });
    t.child = child;
    child.once('exit', (code, signal) => {
      this.s.log.info(`Job ${jobDir}: worker ${record.pid} exited (${signal ?? `code ${code}`})`);
      void this.refresh(jobDir);
    });
    this.changed.fire(undefined);
    welcomeDone('tune');
    return t.snap;
  }

  async resume(dir: string): Promise<JobSnapshot | undefined> {
    const snap = this.get(dir) ?? readJob(dir);
    const config = snap.configFile;
    if (!config || !existsSync(config)) {
      throw new Error(`cannot resume ${dir}: its job file ${config ?? '(none recorded)'} is gone. Start it again from a *.tune.json file.`);
    }
    return this.start(config);
  }

  /** Asks the worker to stop: it finishes its step, saves a checkpoint and the adapter, and ends as `stopped`. */
  async stop(dir: string): Promise<void> {
    const t = this.jobs.get(dir);
    const snap = t?.snap ?? readJob(dir);
    const launch = readLaunch(dir);
    if (snap.state !== 'running' || snap.pid === undefined) return;
    this.s.log.info(`Stopping job ${dir} (SIGTERM to ${snap.pid})`);
    if (launch) await writeLaunch(dir, { ...launch, stopRequestedAt: Date.now() });
    const pid = snap.pid;
    try {
      process.kill(pid, 'SIGTERM');
    } catch (e) {
      this.s.log.warn(`Job ${dir}: SIGTERM failed: ${(e as Error).message}`);
    }
    if (t) {
      t.killTimer = setTimeout(async () => {
        const now = readJob(dir);
        if (now.state === 'stopping') {
          this.s.log.warn(`Job ${dir}: the worker did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
          const record = readLaunch(dir);
          if (record) await writeLaunch(dir, { ...record, killedAt: Date.now() }).catch(() => undefined);
          try {
            // The whole process group (the worker was started detached, as its leader): under accelerate
            // launch the ranks are the launcher's children and must not outlive it.
            process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
          } catch {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      }, STOP_GRACE_MS);
    }
    await this.refresh(dir);
  }

  /** Drops a finished job from the list (its folder stays on disk). */
  async forget(dir: string): Promise<void> {
    this.jobs.get(dir)?.dispose();
    this.jobs.delete(dir);
    await this.memento.update(STATE_KEY, this.memento.get<string[]>(STATE_KEY, []).filter((d) => d !== dir));
    this.changed.fire(undefined);
  }

  /** The job's log channel, filled from train.log when it is new. */
  showLog(dir: string): void {
    const t = this.jobs.get(dir) ?? this.track(dir, { announce: false });
    this.channel(t).show(true);
  }

  private channel(t: Tracked): vscode.LogOutputChannel {
    if (!t.channel) {
      t.channel = vscode.window.createOutputChannel(`StyleTune Job: ${t.snap.name}`, { log: true });
      // A job not being followed: show its whole log once (a followed one's tail fills the channel).
      if (!t.logTail) new FileTail(join(t.snap.dir, 'train.log'), 0, (lines) => lines.forEach((l) => logLine(t.channel!, l))).close();
    }
    return t.channel;
  }

  private async remember(dir: string): Promise<void> {
    const dirs = this.memento.get<string[]>(STATE_KEY, []).filter((d) => d !== dir);
    await this.memento.update(STATE_KEY, [dir, ...dirs].slice(0, 50));
  }

  private track(dir: string, o: { announce: boolean }): Tracked {
    let t = this.jobs.get(dir);
    if (!t) {
      t = new Tracked(readJob(dir));
      this.jobs.set(dir, t);
    } else {
      t.snap = readJob(dir);
    }
    if ((t.snap.state === 'running' || t.snap.state === 'stopping') && !t.timer) this.follow(t, o.announce);
    else if (t.snap.state === 'failed') void this.recordFailure(t.snap);
    return t;
  }

  private follow(t: Tracked, announce: boolean): void {
    const { dir } = t.snap;
    const offset = t.snap.launch?.eventsOffset ?? 0;
    t.tail = new FileTail(join(dir, 'events.jsonl'), offset, (lines, first) => {
      const { events, problems } = parseEventLines(join(dir, 'events.jsonl'), lines, first);
      for (const p of problems) this.s.log.warn(`${p.file}:${p.line}: not a valid trainer event (${p.reason})`);
      let ended = false;
      for (const e of events) {
        absorb(t.snap, e);
        absorbPhase(t.snap, e);
        if (e.event === 'progress') t.snap.etaS = e.eta_s;
        else if (e.event === 'done' || e.event === 'error') ended = true;
      }
      this.changed.fire(t.snap);
      if (ended) setTimeout(() => void this.refresh(dir), 300);
    });
    const log = join(dir, 'train.log');
    // A channel that exists already shows the log so far (an earlier run of this job): go on from the end.
    const from = t.channel && existsSync(log) ? statSync(log).size : 0;
    t.channel ??= vscode.window.createOutputChannel(`StyleTune Job: ${t.snap.name}`, { log: true });
    const channel = t.channel;
    t.logTail = new FileTail(log, from, (lines) => lines.forEach((l) => logLine(channel, l)));
    t.timer = setInterval(() => {
      const { pid, launch } = t.snap;
      if (pid !== undefined && !isProcessAlive(pid, launch?.pid === pid ? launch.token : undefined)) void this.refresh(dir);
    }, ALIVE_POLL_MS);
    if (announce) this.announce(t);
  }

  /** A progress notification with ETA and Cancel (= Stop) while the job runs. */
  private announce(t: Tracked): void {
    const { dir, name } = t.snap;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `StyleTune: tuning ${name}`, cancellable: true },
      (progress, token) => new Promise<void>((resolve) => {
        let shown = 0;
        const sub = this.onDidChange((snap) => {
          if (!snap || snap.dir === dir) update();
        });
        const finish = (): void => {
          sub.dispose();
          resolve();
        };
        t.progressDone = finish;
        token.onCancellationRequested(() => void this.stop(dir));
        const update = (): void => {
          const s = t.snap;
          if (s.state !== 'running' && s.state !== 'stopping') return finish();
          const pct = s.totalSteps ? (100 * s.step) / s.totalSteps : 0;
          progress.report({ message: progressText(s), increment: pct - shown });
          shown = pct;
        };
        update();
      }),
    );
  }

  /** Reads the job folder again; ends following when the job is over. */
  async refresh(dir: string): Promise<JobSnapshot | undefined> {
    const t = this.jobs.get(dir);
    if (!t) return undefined;
    t.snap = readJob(dir);
    if (t.snap.state !== 'running' && t.snap.state !== 'stopping') {
      t.unfollow();
      if (t.snap.state === 'failed') await this.recordFailure(t.snap);
      this.s.log.info(`Job ${dir}: ${t.snap.state}${t.snap.message ? ` (${t.snap.message})` : ''}`);
    }
    this.changed.fire(t.snap);
    return t.snap;
  }

  private async recordFailure(snap: JobSnapshot): Promise<void> {
    try {
      await markJobFailed(snap);
    } catch (e) {
      this.s.log.warn(`Job ${snap.dir}: could not record the failure in status.json: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    // The workers keep running: a reload or the next window reattaches to them.
    for (const t of this.jobs.values()) t.dispose();
    this.jobs.clear();
    this.changed.dispose();
  }
}

/** One train.log line ("YYYY-MM-DD HH:MM:SS text") into the log channel, which adds its own time. */
function logLine(channel: vscode.LogOutputChannel, line: string): void {
  const text = line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, '');
  if (/^error \(|Traceback|^\s*hint:/.test(text)) channel.error(text);
  else if (/^\[warning\]/.test(text)) channel.warn(text);
  else channel.info(text);
}
