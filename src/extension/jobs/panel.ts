/**
 * One job view per job folder. It follows events.jsonl from the start, so a finished job shows its whole
 * history and a running one grows step by step; the job's state comes from the JobManager. Panels come
 * back after a window reload through the serializer (the webview keeps the folder in its state).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FileTail, parseEventLines } from '../../core/jobs/eventsFile';
import { deviceText, progressText } from '../../core/jobs/format';
import type { JobSnapshot } from '../../core/jobs/jobState';
import { mergePoints } from '../../core/jobs/points';
import { movedTraits, scoreProbes } from '../../core/jobs/probe';
import type { ProbeEvent } from '../../core/worker/events';
import { acquireActiveModel } from '../modelCommands/activeModel';
import { isViewMessage, type HostMessage, type JobInfo, type Point, type ViewMessage } from '../../../webview/job/protocol';
import { WebviewHost } from '../webviewHost';
import type { JobManager } from './manager';

export const JOB_VIEW_TYPE = 'styletune.job';

/** What `styletune.openJob` returns: the state the view was last told and the newest step it drew. */
export interface JobViewSummary {
  dir: string;
  state: JobSnapshot['state'];
  step: number;
  totalSteps?: number;
  /** Newest step the webview reports as drawn (0 before its first render). */
  renderedStep: number;
  renderedPoints: number;
  /** Probe steps the view shows, and the step whose replies it shows. */
  renderedProbes: number;
  probeStep?: number;
}

export class JobPanel implements vscode.Disposable {
  private static readonly open = new Map<string, JobPanel>();
  private points: Point[] = [];
  private rendered: { step: number; points: number; probes: number; probeStep?: number } = { step: 0, points: 0, probes: 0 };
  private probeEvents: ProbeEvent[] = [];
  private probesMessage: HostMessage | undefined;
  private scoring: Promise<void> = Promise.resolve();
  private readonly tail: FileTail;
  private readonly host: WebviewHost<ViewMessage, HostMessage>;

  static show(jobs: JobManager, extensionUri: vscode.Uri, dir: string): JobPanel {
    const existing = JobPanel.open.get(dir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    return new JobPanel(jobs, extensionUri, dir);
  }

  static revive(jobs: JobManager, extensionUri: vscode.Uri, panel: vscode.WebviewPanel, dir: string): JobPanel {
    return new JobPanel(jobs, extensionUri, dir, panel);
  }

  static get(dir: string): JobPanel | undefined {
    return JobPanel.open.get(dir);
  }

  private constructor(private readonly jobs: JobManager, extensionUri: vscode.Uri, readonly dir: string, restored?: vscode.WebviewPanel) {
    const options = {
      name: `Job view ${dir}`,
      errorTitle: 'StyleTune',
      extensionUri,
      log: jobs.s.log,
      page: { bundle: 'job', title: 'StyleTune Job', bundleStylesheet: true, body: '<div id="app" aria-busy="true">Loading…</div>' },
      validate: isViewMessage,
      receive: (m: ViewMessage) => this.receive(m),
      resendsOnReady: true,
      onDispose: () => this.dispose(),
    };
    this.host = WebviewHost.open(
      restored,
      // No retainContextWhenHidden: shown again, the page gets the job, points and probes on `ready`, and
      // keeps the probe step picked and its scroll in its state.
      { viewType: JOB_VIEW_TYPE, title: `Job: ${dir.split(/[\\/]/).pop()}`, showOptions: vscode.ViewColumn.Active },
      options,
    );
    JobPanel.open.set(dir, this);
    const events = join(dir, 'events.jsonl');
    this.tail = new FileTail(events, 0, (lines, first) => {
      const { events: parsed } = parseEventLines(events, lines, first);
      const before = this.points.length;
      const { rewritten } = mergePoints(this.points, parsed);
      const probes = parsed.filter((e): e is ProbeEvent => e.event === 'probe');
      if (first === 1) this.probeEvents = []; // from the top (opened, or the file was rewritten)
      if (probes.length) {
        this.probeEvents.push(...probes);
        this.scoreProbes();
      }
      if (rewritten) this.post({ type: 'points', points: this.points, reset: true });
      else if (this.points.length > before) this.post({ type: 'points', points: this.points.slice(before), reset: false });
    }, 500);
    this.host.register(
      jobs.onDidChange((snap) => {
        if (!snap || snap.dir === dir) this.sendJob();
      }),
    );
  }

  get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  summary(): JobViewSummary {
    const s = this.jobs.get(this.dir);
    return {
      dir: this.dir, state: s?.state ?? 'failed', step: s?.step ?? 0, totalSteps: s?.totalSteps, renderedStep: this.rendered.step,
      renderedPoints: this.rendered.points, renderedProbes: this.rendered.probes, probeStep: this.rendered.probeStep,
    };
  }

  /** Scores every probe step with the active reward model (in order, one run at a time) and sends them all. */
  private scoreProbes(): void {
    const services = this.jobs.s;
    this.scoring = this.scoring.then(async () => {
      const events = [...this.probeEvents];
      if (!services.models) return;
      let lease;
      try {
        lease = await acquireActiveModel({ ...services, models: services.models }, vscode.Uri.file(this.dir));
        const steps = await scoreProbes(events, lease.model);
        const base = steps[0];
        const probes = steps.map((p) => ({
          step: p.step, reward: p.reward, empty: p.empty, tokens: p.tokens, truncated: p.truncated, maxNewTokens: p.maxNewTokens,
          moved: base && p !== base ? movedTraits(base, p, 5) : [], replies: p.replies,
        }));
        this.probesMessage = { type: 'probes', probes, model: lease.model.summary };
      } catch (e) {
        services.log.warn(`Job view ${this.dir}: cannot score the probe replies: ${(e as Error).message}`);
        this.probesMessage = { type: 'probes', probes: [], model: '', error: (e as Error).message };
      } finally {
        lease?.release();
      }
      this.post(this.probesMessage);
    });
  }

  private post(m: HostMessage): void {
    this.host.post(m);
  }

  private sendJob(): void {
    const s = this.jobs.get(this.dir);
    if (!s) return;
    // Events after the last tail poll: pick them up now, so the state and the charts agree.
    this.tail.poll();
    const info: JobInfo = {
      name: s.name, dir: s.dir, state: s.state, step: s.step, totalSteps: s.totalSteps, etaS: s.etaS,
      device: s.started && deviceText(s.started), preset: s.started?.preset, model: s.started?.model, message: s.message, lastLog: s.lastLog,
      adapter: s.adapter && existsSync(s.adapter) ? s.adapter : undefined,
      activity: s.state === 'running' || s.state === 'stopping' ? progressText(s) : undefined,
      resumeStep: s.resumeStep,
    };
    this.post({ type: 'job', job: info });
  }

  private receive(msg: ViewMessage): void {
    if (msg.type === 'ready') {
      this.sendJob();
      this.post({ type: 'points', points: this.points, reset: true });
      if (this.probesMessage) this.post(this.probesMessage);
    } else if (msg.type === 'rendered') {
      this.rendered = { step: msg.step, points: msg.points, probes: msg.probes ?? 0, probeStep: msg.probeStep };
    } else {
      const command = {
        stop: 'styletune.stopJob', resume: 'styletune.resumeJob', openFolder: 'styletune.openJobFolder',
        showLog: 'styletune.showJobLog', previewRewrite: 'styletune.previewRewrite',
      }[msg.action];
      const arg = msg.action === 'previewRewrite' ? { jobDir: this.dir } : this.dir;
      void vscode.commands.executeCommand(command, arg).then(undefined, (e: Error) => {
        void vscode.window.showErrorMessage(`StyleTune: ${e.message}`);
      });
    }
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    JobPanel.open.delete(this.dir);
    this.tail.close();
    this.host.dispose();
  }
}
