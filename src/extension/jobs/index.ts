/**
 * Tuning from the editor: "Start DPO Tuning…" (quick picks or a *.tune.json with its CodeLens), the Jobs
 * view with Stop / Resume / Open Folder / Show Log, progress notifications, and the job view.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { JOB_FILE_SUFFIX, JobFileError } from '../../core/jobs/jobFile';
import type { PresetName } from '../../core/jobs/jobFile';
import { showTrainerPythonError, TrainerPythonError } from '../trainerPython';
import { JobFileLenses } from './codeLens';
import { registerJobFileDiagnostics } from './jobFileDiagnostics';
import type { ConfirmOptions } from './confine';
import { JobManager, type JobServices } from './manager';
import { JOB_VIEW_TYPE, JobPanel, type JobViewSummary } from './panel';
import { askQuickJob, confirmQuickJob, writeQuickJob } from './startFlow';
import { JobsTree } from './tree';

/** What `styletune.startTuning` accepts besides a job file's Uri: the quick-pick answers, for scripts and tests. */
export interface StartTuningArgs {
  model: string;
  trainFile: string;
  jobDir: string;
  preset?: PresetName;
}

/** What it returns. */
export interface StartTuningResult {
  jobDir: string;
  configFile: string;
}

function isStartArgs(v: unknown): v is StartTuningArgs {
  const o = v as Record<string, unknown>;
  return typeof v === 'object' && v !== null && typeof o.model === 'string' && typeof o.trainFile === 'string' && typeof o.jobDir === 'string';
}

/** Tree rows and the job view pass a job folder; rows pass their node. */
function dirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const o = arg as { snap?: { dir?: unknown }; dir?: unknown; jobDir?: unknown } | undefined;
  if (typeof o?.snap?.dir === 'string') return o.snap.dir;
  if (typeof o?.dir === 'string') return o.dir;
  if (typeof o?.jobDir === 'string') return o.jobDir;
  return undefined;
}

async function reportStartError(s: JobServices, err: unknown): Promise<void> {
  if (err instanceof TrainerPythonError) return showTrainerPythonError(err);
  const message = err instanceof Error ? err.message : String(err);
  s.log.error(`Start DPO Tuning: ${message}`);
  if (err instanceof JobFileError) {
    const open = 'Open Job File';
    // Not awaited: the command returns now; the notification waits for the user on its own.
    void vscode.window.showErrorMessage(`StyleTune: ${message}`, open).then(async (pick) => {
      if (pick !== open) return;
      const doc = await vscode.workspace.openTextDocument(err.file);
      const pos = new vscode.Position(err.line - 1, err.column - 1);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
    });
    return;
  }
  void vscode.window.showErrorMessage(`StyleTune: ${message}`);
}

export function registerJobs(context: vscode.ExtensionContext, s: JobServices): void {
  const jobs = new JobManager(context.workspaceState, s);
  const tree = new JobsTree(jobs);
  const lenses = new JobFileLenses(jobs);
  const extensionUri = context.extensionUri;
  const openView = async (dir: string): Promise<JobViewSummary> => {
    await jobs.ensure(dir);
    return JobPanel.show(jobs, extensionUri, dir).summary();
  };

  const startFile = async (file: string, o: ConfirmOptions = {}): Promise<StartTuningResult | undefined> => {
    const snap = await jobs.start(file, o);
    if (!snap) return undefined;
    await openView(snap.dir);
    return { jobDir: snap.dir, configFile: file };
  };

  const startTuning = async (arg?: unknown): Promise<StartTuningResult | undefined> => {
    try {
      if (arg instanceof vscode.Uri) {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === arg.toString());
        if (doc?.isDirty) await doc.save();
        return await startFile(arg.fsPath);
      }
      if (isStartArgs(arg)) return await startFile(await writeQuickJob(arg), { chosenReads: true });
      const active = vscode.window.activeTextEditor?.document;
      if (!arg && active?.uri.fsPath.endsWith(JOB_FILE_SUFFIX)) {
        const run = `Run ${active.uri.path.split('/').pop()}`;
        const pick = await vscode.window.showQuickPick([run, 'Answer a few questions instead'], { title: 'Start DPO Tuning' });
        if (!pick) return undefined;
        if (pick === run) return startTuning(active.uri);
      }
      const q = await askQuickJob();
      if (!q) return undefined;
      const answer = q.custom ? 'edit' : await confirmQuickJob(q, s);
      if (!answer) return undefined;
      const file = await writeQuickJob(q);
      if (answer === 'edit') {
        await vscode.window.showTextDocument(vscode.Uri.file(file));
        void vscode.window.showInformationMessage('Edit the job file (IntelliSense lists every setting), then click ▶ Start DPO Tuning at its top.');
        return { jobDir: q.jobDir, configFile: file };
      }
      return await startFile(file, { chosenReads: true });
    } catch (err) {
      await reportStartError(s, err);
      return undefined;
    }
  };

  const withDir = (what: string, fn: (dir: string) => Promise<unknown>) => async (arg?: unknown) => {
    const dir = dirOf(arg);
    if (!dir) {
      void vscode.window.showWarningMessage(`StyleTune: ${what} needs a job: use the Jobs view.`);
      return undefined;
    }
    try {
      return await fn(dir);
    } catch (err) {
      s.log.error(`${what} ${dir}: ${(err as Error).message}`);
      if (err instanceof TrainerPythonError) await showTrainerPythonError(err);
      else void vscode.window.showErrorMessage(`StyleTune: ${(err as Error).message}`);
      return undefined;
    }
  };

  context.subscriptions.push(
    jobs,
    tree,
    lenses,
    vscode.window.createTreeView('styletune.jobs', { treeDataProvider: tree, showCollapseAll: false }),
    vscode.languages.registerCodeLensProvider({ pattern: `**/*${JOB_FILE_SUFFIX}` }, lenses),
    registerJobFileDiagnostics(),
    vscode.commands.registerCommand('styletune.startTuning', startTuning),
    vscode.commands.registerCommand('styletune.openJob', withDir('Open Job View', openView)),
    vscode.commands.registerCommand('styletune.stopJob', withDir('Stop', (dir) => jobs.stop(dir))),
    vscode.commands.registerCommand('styletune.resumeJob', withDir('Resume', async (dir) => {
      const snap = await jobs.resume(dir);
      if (!snap) return undefined;
      await openView(snap.dir);
      return { jobDir: snap.dir, configFile: snap.launch?.config };
    })),
    vscode.commands.registerCommand('styletune.showJobLog', withDir('Show Log', async (dir) => jobs.showLog(dir))),
    vscode.commands.registerCommand('styletune.openJobFolder', withDir('Open Folder', async (dir) => {
      if (!existsSync(dir)) throw new Error(`the job folder ${dir} no longer exists.`);
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dir));
    })),
    // A job folder from elsewhere (`styletune tune`, another workspace): watched like one started here.
    vscode.commands.registerCommand('styletune.watchJobFolder', async (arg?: unknown) => {
      const dir = arg instanceof vscode.Uri ? arg.fsPath : (await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, title: 'Watch a job folder', openLabel: 'Watch Job',
      }))?.[0]?.fsPath;
      if (!dir) return undefined;
      if (!existsSync(`${dir}/events.jsonl`) && !existsSync(`${dir}/status.json`)) {
        void vscode.window.showErrorMessage(`StyleTune: ${dir} is not a job folder (it has no events.jsonl or status.json). Pick the output_dir of a job.`);
        return undefined;
      }
      return openView(dir);
    }),
    vscode.commands.registerCommand('styletune.forgetJob', withDir('Remove from List', (dir) => jobs.forget(dir))),
    vscode.commands.registerCommand('styletune.refreshJobs', () => {
      for (const j of jobs.list()) void jobs.refresh(j.dir);
    }),
    /** For tests and scripts: the jobs this window knows, as the Jobs view shows them. */
    vscode.commands.registerCommand('styletune.listJobs', () => jobs.list().map((j) => ({ dir: j.dir, state: j.state, step: j.step, totalSteps: j.totalSteps, message: j.message, pid: j.pid ?? j.launch?.pid }))),
    vscode.window.registerWebviewPanelSerializer(JOB_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const dir = (state as { dir?: unknown } | undefined)?.dir;
        // The state comes from the webview: only a job folder that exists is opened again.
        if (typeof dir === 'string' && existsSync(dir)) {
          await jobs.ensure(dir);
          JobPanel.revive(jobs, extensionUri, panel, dir);
        } else panel.dispose();
      },
    }),
  );
  jobs.restore();
}
