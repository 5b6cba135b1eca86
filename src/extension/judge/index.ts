/**
 * The LLM judge in the editor:
 *   styletune.judge.setApiKey      "StyleTune: Set Judge API Key" (kept in SecretStorage, never in settings)
 *   styletune.judge.rateFile       "StyleTune: Rate with LLM Judge": the JSONL in the editor → <name>.ratings.jsonl
 *   styletune.judge.runChecklist   "StyleTune: Run Checklist Evaluation…": a checklist over dialogue files → markdown report
 *
 * Endpoint and model come from settings (styletune.judge.*). Dialogue text leaves the machine, so in an
 * untrusted workspace an endpoint named by the workspace's own settings is only used after the user says so.
 * With `styletune.judge.localModel` set, Rate with LLM Judge and Run Checklist Evaluation use a local
 * model through the Python worker instead (nothing leaves the machine); see rateWithLocalModel and
 * checklistChecker.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/atomic';
import { loadChecklist } from '../../core/checklist/checklist';
import { checklistMarkdown, checklistReport, runChecklist, type ChecklistChecker, type ChecklistReport, type ChecklistRun } from '../../core/checklist/evaluate';
import { LocalCheckerError, localChecker } from '../../core/checklist/local';
import { JudgeCache } from '../../core/judge/cache';
import { ChatClient } from '../../core/judge/client';
import { Judge } from '../../core/judge/judge';
import { rateFile, ratedLineDiagnostics, ratedLineToJson, ratingsFileFor } from '../../core/judge/ratings';
import { formatDiagnostic, type Diagnostic } from '../../core/types';
import { startWorker } from '../../core/worker/worker';
import { toVscodeDiagnostic } from '../diagnostics';
import { activeRole, type ModelServices } from '../modelCommands/activeModel';
import { setByWorkspace, setting } from '../settings';
import { savedJsonlTarget, toPath } from '../targets';
import { showTrainerPythonError, trainerPython } from '../trainerPython';

export const SECRET_KEY = 'styletune.judge.apiKey';

type Services = ModelServices;

export interface RateResult {
  file: string;
  output: string;
  lines: number;
  rated: number;
  failed: number;
  fromCache: number;
  requests: number;
}

export interface ChecklistResult {
  report: ChecklistReport;
  markdown: string;
  problems: number;
  output?: string;
}

export function registerJudge(context: vscode.ExtensionContext, s: Services): void {
  const problems = vscode.languages.createDiagnosticCollection('styletune-judge');
  context.subscriptions.push(
    problems,
    vscode.workspace.onDidCloseTextDocument((doc) => problems.delete(doc.uri)),
    // Tests pass the key as the argument; people type it into a password box.
    vscode.commands.registerCommand('styletune.judge.setApiKey', (key?: unknown) => setApiKey(context, typeof key === 'string' ? key : undefined)),
    vscode.commands.registerCommand('styletune.judge.rateFile', (arg?: unknown) => rateCurrentFile(context, s, problems, arg)),
    vscode.commands.registerCommand('styletune.judge.runChecklist', (arg?: unknown) => runChecklistCommand(context, s, problems, arg)),
  );
}

async function setApiKey(context: vscode.ExtensionContext, given?: string): Promise<boolean> {
  const key =
    given ??
    (await vscode.window.showInputBox({
      title: 'StyleTune: Judge API Key',
      prompt: 'The key for the judge endpoint (styletune.judge.baseUrl). Stored in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    }));
  if (key === undefined) return false;
  if (key.trim() === '') {
    await context.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage('Judge API key removed.');
  } else {
    await context.secrets.store(SECRET_KEY, key.trim());
    void vscode.window.showInformationMessage('Judge API key saved in secret storage.');
  }
  return true;
}

/** The judge from settings and the stored key, or undefined (after telling the user why). */
export async function judgeFromSettings(context: vscode.ExtensionContext, resource?: vscode.Uri): Promise<Judge | undefined> {
  const baseUrl = setting('judge.baseUrl', resource);
  const model = setting('judge.model', resource);
  if (!baseUrl || !model) {
    // Not awaited: the caller (a preview, a rating run) goes on and reports; the button stays available.
    void vscode.window
      .showErrorMessage('Set the judge endpoint first: styletune.judge.baseUrl (an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1) and styletune.judge.model.', 'Open Settings')
      .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', 'styletune.judge'));
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    // restrictedConfigurations keeps workspace values out in untrusted workspaces; this covers folder-level values and says why.
    if (setByWorkspace('judge.baseUrl', baseUrl, resource)) {
      const go = await vscode.window.showWarningMessage(
        `This workspace is not trusted, and its settings name the judge endpoint ${baseUrl}. Send the dialogues there?`,
        { modal: true },
        'Send',
      );
      if (go !== 'Send') return undefined;
    }
  }
  const seconds = positive(setting('judge.timeoutSeconds', resource));
  let client: ChatClient;
  try {
    client = new ChatClient({
      baseUrl,
      model,
      apiKey: (await context.secrets.get(SECRET_KEY)) || undefined,
      requestsPerMinute: positive(setting('judge.requestsPerMinute', resource)),
      concurrency: positive(setting('judge.concurrency', resource)),
      timeoutMs: seconds === undefined ? undefined : seconds * 1000,
      maxRetries: setting('judge.maxRetries', resource),
    });
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  return new Judge(client, new JudgeCache(judgeCacheDir(context)));
}

const positive = (v: number) => (v > 0 ? v : undefined);

/**
 * The cached answers of the judge named in settings (`styletune.judge.model`), for looking up ratings
 * already paid for; undefined without a judge. Reads the cache only: nothing is sent anywhere.
 */
export function cachedJudgeAnswers(context: vscode.ExtensionContext, uri: vscode.Uri): { cache: JudgeCache; judgeName: string } | undefined {
  const judgeName = setting('judge.model', uri);
  return judgeName ? { cache: new JudgeCache(judgeCacheDir(context)), judgeName } : undefined;
}

/** Beside the workspace (shared with the CLI run from its root), else the extension's own storage. */
export function judgeCacheDir(context: vscode.ExtensionContext): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && folder.uri.scheme === 'file' ? join(folder.uri.fsPath, '.styletune', 'judge-cache') : join(context.globalStorageUri.fsPath, 'judge-cache');
}

interface FileArg {
  file?: vscode.Uri | string;
  output?: vscode.Uri | string;
}

async function rateCurrentFile(context: vscode.ExtensionContext, s: Services, problems: vscode.DiagnosticCollection, arg?: unknown): Promise<RateResult | undefined> {
  const a: FileArg = arg instanceof vscode.Uri ? { file: arg } : arg && typeof arg === 'object' ? (arg as FileArg) : {};
  const file = await savedJsonlTarget(a.file, {
    none: 'Open a saved JSONL file of dialogues or pairs to rate it with the LLM judge.',
    reader: 'the judge reads the saved file',
    saveLabel: 'Save and Rate',
  });
  if (!file) return undefined;
  const local = await localJudge(s, vscode.Uri.file(file));
  if (local === undefined) return undefined;
  if (local !== 'unset') return rateWithLocalModel(s, problems, file, local, a.output ? toPath(a.output) : ratingsFileFor(file));
  const judge = await judgeFromSettings(context, vscode.Uri.file(file));
  if (!judge) return undefined;
  const output = a.output ? toPath(a.output) : ratingsFileFor(file);
  const role = await activeRole(s, vscode.Uri.file(file));
  const client = judge.backend as ChatClient;

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Rating ${basename(file)} with ${client.name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const onCancel = token.onCancellationRequested(() => abort.abort());
      const lines: string[] = [];
      const diags: Diagnostic[] = [];
      let rated = 0;
      try {
        for await (const r of rateFile(file, judge, { role, signal: abort.signal, parallel: 2 * client.options.concurrency })) {
          const d = ratedLineDiagnostics(r, file);
          diags.push(...d);
          if (r.kind !== 'diagnostic') rated += r.sides.length - d.length;
          lines.push(JSON.stringify(ratedLineToJson(r, client.name)));
          progress.report({ message: `${lines.length} line(s), ${judge.cache!.hits} from the cache` });
        }
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      } finally {
        onCancel.dispose();
      }
      if (abort.signal.aborted) return undefined;
      await writeFileAtomic(output, lines.length > 0 ? lines.join('\n') + '\n' : '');
      return { lines: lines.length, rated, diags };
    },
  ).then(
    (r) => r,
    (err: Error) => {
      s.log.error(`Rating ${file} failed: ${err.stack ?? err}`);
      void vscode.window.showErrorMessage(`Cannot rate ${basename(file)}: ${err.message}`);
      return null;
    },
  );
  if (result === null) return undefined;
  if (result === undefined) {
    void vscode.window.showInformationMessage(`Rating cancelled; nothing was written. Answers already received are cached.`);
    return undefined;
  }
  await showProblems(problems, file, result.diags, s);
  const summary: RateResult = { file, output, lines: result.lines, rated: result.rated, failed: result.diags.length, fromCache: judge.cache!.hits, requests: client.requests };
  const message = `Rated ${result.rated} conversation(s) of ${basename(file)} (${summary.fromCache} from the cache) → ${basename(output)}` + (summary.failed > 0 ? `; ${summary.failed} could not be rated (see Problems)` : '');
  s.log.info(`${message} ${output}`);
  void (summary.failed > 0 ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
  return summary;
}

/**
 * The worker's `judge` command over the saved file (the same ratings file layout and transcript hashes
 * as the HTTP judge; ratings are the model's expected value over the digits 1-5). A line it could not
 * rate comes back as a warning `file:line:1: reason`, shown in Problems.
 */
async function rateWithLocalModel(s: Services, problems: vscode.DiagnosticCollection, file: string, local: LocalJudge, output: string): Promise<RateResult | undefined> {
  const { python, folder, modelDir } = local;
  const role = await activeRole(s, vscode.Uri.file(file));
  const diags: Diagnostic[] = [];
  let cancelled = false;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Rating ${basename(file)} with the local model ${basename(modelDir)}`, cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'loading the model…' });
      const worker = startWorker(
        { python, repoRoot: s.extensionPath, cwd: folder, args: ['judge', '--model', modelDir, '--input', file, '--output', output, '--role', role] },
        {
          onLog: (line) => s.log.debug(`[judge worker] ${line}`),
          onEvent: (e) => {
            if (e.event === 'started') progress.report({ message: `rating on ${e.device}…` });
            const m = e.event === 'log' && e.level === 'warning' ? /^(.*):(\d+):1: (.*)$/.exec(e.message) : null;
            if (m) diags.push({ file, line: Number(m[2]), column: 1, severity: 'error', message: `judge could not rate this line: ${m[3]}` });
          },
        },
      );
      const cancel = token.onCancellationRequested(() => {
        cancelled = true;
        void worker.stop(5_000);
      });
      try {
        return await worker.result;
      } finally {
        cancel.dispose();
      }
    },
  );
  if (cancelled) {
    // Stopped between lines, the worker writes what it rated so far; stopped while loading, nothing.
    const kept = result.done?.stopped ? ` The ${Number(result.done.metrics?.rated ?? 0)} conversation(s) rated so far are in ${basename(output)}.` : '';
    void vscode.window.showInformationMessage(`Rating cancelled.${kept}`);
    return undefined;
  }
  if (result.outcome !== 'done') {
    s.log.error(`Local judge on ${file}: ${result.message}\n${result.lastLog.join('\n')}`);
    void vscode.window.showErrorMessage(`Cannot rate ${basename(file)} with ${basename(modelDir)}: ${result.message}`);
    return undefined;
  }
  await showProblems(problems, file, diags, s);
  const rated = Number(result.done?.metrics?.rated ?? 0);
  const lines = (await readFile(output, 'utf8')).split('\n').filter(Boolean).length;
  const summary: RateResult = { file, output, lines, rated, failed: diags.length, fromCache: 0, requests: 0 };
  const message = `Rated ${rated} conversation(s) of ${basename(file)} with ${basename(modelDir)} → ${basename(output)}` + (diags.length > 0 ? `; ${diags.length} line(s) could not be rated (see Problems)` : '');
  s.log.info(`${message} ${output}`);
  void (diags.length > 0 ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
  return summary;
}

async function showProblems(problems: vscode.DiagnosticCollection, file: string, diags: Diagnostic[], s: Services): Promise<void> {
  for (const d of diags) s.log.warn(formatDiagnostic(d));
  const uri = vscode.Uri.file(file);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file) ?? (diags.length > 0 ? await vscode.workspace.openTextDocument(uri) : undefined);
  if (!doc) return problems.delete(uri);
  problems.set(
    uri,
    diags.filter((d) => d.file === file).map((d) => toVscodeDiagnostic(d, doc)),
  );
}

interface ChecklistArg {
  checklist?: vscode.Uri | string;
  files?: (vscode.Uri | string)[];
  compare?: [string, string];
  /** Where to write the markdown report; default: an untitled markdown editor. */
  output?: vscode.Uri | string;
}

async function runChecklistCommand(context: vscode.ExtensionContext, s: Services, problems: vscode.DiagnosticCollection, arg?: unknown): Promise<ChecklistResult | undefined> {
  const a: ChecklistArg = arg instanceof vscode.Uri ? { checklist: arg } : arg && typeof arg === 'object' ? (arg as ChecklistArg) : {};
  const active = vscode.window.activeTextEditor?.document.uri;
  const checklistFile = a.checklist
    ? toPath(a.checklist)
    : active?.scheme === 'file' && /\.(ya?ml|json)$/i.test(active.fsPath)
      ? active.fsPath
      : (await vscode.window.showOpenDialog({ title: 'Choose a checklist (YAML or JSON)', filters: { Checklist: ['yaml', 'yml', 'json'] }, canSelectMany: false }))?.[0]?.fsPath;
  if (!checklistFile) return undefined;
  const loaded = await loadChecklist(checklistFile);
  if ('diagnostics' in loaded) {
    const doc = await vscode.workspace.openTextDocument(checklistFile);
    problems.set(doc.uri, loaded.diagnostics.map((d) => toVscodeDiagnostic(d, doc)));
    await vscode.window.showTextDocument(doc);
    void vscode.window.showErrorMessage(`${basename(checklistFile)} has ${loaded.diagnostics.length} problem(s); see Problems.`);
    return undefined;
  }
  problems.delete(vscode.Uri.file(checklistFile));
  const files = a.files?.map(toPath) ?? (await pickDialogueFiles());
  if (!files || files.length === 0) return undefined;
  const first = vscode.Uri.file(files[0]);
  const checker = await checklistChecker(context, s, first);
  if (!checker) return undefined;
  const role = await activeRole(s, first);

  let run: ChecklistRun | undefined;
  try {
    run = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Checklist ${loaded.checklist.name}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const onCancel = token.onCancellationRequested(() => abort.abort());
        if (!(checker instanceof Judge)) progress.report({ message: `loading the local model ${checker.name.replace(/^local:/, '')}…` });
        try {
          const r = await runChecklist(loaded.checklist, files, checker, { role, signal: abort.signal, onProgress: (n) => progress.report({ message: `${n} dialogue(s) checked` }) });
          return abort.signal.aborted ? undefined : r;
        } finally {
          onCancel.dispose();
        }
      },
    );
  } catch (err) {
    if (!(err instanceof LocalCheckerError)) throw err;
    s.log.error(`Checklist with the local model: ${err.message}\n${err.result.lastLog.join('\n')}`);
    void vscode.window.showErrorMessage(`Cannot run the checklist with the local model: ${err.message}`);
    return undefined;
  }
  if (!run) {
    void vscode.window.showInformationMessage('Checklist evaluation cancelled.');
    return undefined;
  }
  for (const f of files) await showProblems(problems, f, run.diagnostics.filter((d) => d.file === f), s);
  const report = checklistReport(loaded.checklist, run);
  const names = report.models.map((m) => m.model);
  const compare = a.compare ?? (names.length === 2 ? ([names[0], names[1]] as [string, string]) : undefined);
  const markdown = checklistMarkdown(report, compare);
  let output: string | undefined;
  if (a.output) {
    output = toPath(a.output);
    await writeFileAtomic(output, markdown);
    await vscode.window.showTextDocument(vscode.Uri.file(output), { preview: false });
  } else {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown }), { preview: false });
  }
  // The tables read best rendered; the source stays open to save or copy.
  await vscode.commands.executeCommand('markdown.showPreviewToSide').then(undefined, () => undefined);
  if (run.diagnostics.length > 0) void vscode.window.showWarningMessage(`${run.diagnostics.length} dialogue(s) could not be checked; see Problems.`);
  return { report, markdown, problems: run.diagnostics.length, output };
}

/**
 * Who answers the checklist: the local model in `styletune.judge.localModel` when set (the worker, on
 * this machine), else the endpoint judge in settings. Undefined after telling the user why neither.
 */
async function checklistChecker(context: vscode.ExtensionContext, s: Services, resource: vscode.Uri): Promise<Judge | (ChecklistChecker & { name: string }) | undefined> {
  const local = await localJudge(s, resource);
  if (local === undefined) return undefined;
  if (local === 'unset') return judgeFromSettings(context, resource);
  return localChecker({ python: local.python, repoRoot: s.extensionPath, cwd: local.folder, modelDir: local.modelDir, onLog: (line) => s.log.debug(`[checklist worker] ${line}`) });
}

interface LocalJudge {
  python: string;
  /** Where the worker runs: the file's workspace folder, else its own folder. */
  folder: string;
  modelDir: string;
}

/**
 * The local model `styletune.judge.localModel` names for `resource` (a relative path resolves against
 * the workspace folder) and the interpreter that runs it: 'unset' when the setting is empty, undefined
 * after telling the user why no interpreter can.
 */
async function localJudge(s: Services, resource: vscode.Uri): Promise<LocalJudge | 'unset' | undefined> {
  const model = setting('judge.localModel', resource);
  if (!model) return 'unset';
  const folder = vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath ?? dirname(resource.fsPath);
  try {
    return { python: (await trainerPython(s.extensionPath, resource)).path, folder, modelDir: isAbsolute(model) ? model : join(folder, model) };
  } catch (err) {
    await showTrainerPythonError(err);
    return undefined;
  }
}

/** The workspace's JSONL files as a multi-select list (works the same in desktop and web VS Code). */
async function pickDialogueFiles(): Promise<string[] | undefined> {
  const found = await vscode.workspace.findFiles('**/*.jsonl', '**/{node_modules,.git,.styletune}/**', 1000);
  const browse = 'Browse…';
  if (found.length === 0) {
    return (await vscode.window.showOpenDialog({ title: 'Choose the dialogue files to check', filters: { 'JSON Lines': ['jsonl'] }, canSelectMany: true }))?.map((u) => u.fsPath);
  }
  const items = found
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }))
    .filter((i) => !/\.ratings\.jsonl$/i.test(i.label))
    .sort((x, y) => x.label.localeCompare(y.label));
  const picked = await vscode.window.showQuickPick([...items, { label: browse, uri: undefined as vscode.Uri | undefined, alwaysShow: true }], {
    title: 'Dialogue files to check (e.g. the base and the tuned model\'s outputs)',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked || picked.length === 0) return undefined;
  if (picked.some((p) => p.label === browse)) {
    const more = await vscode.window.showOpenDialog({ title: 'Choose the dialogue files to check', filters: { 'JSON Lines': ['jsonl'] }, canSelectMany: true });
    return [...picked.flatMap((p) => (p.uri ? [p.uri.fsPath] : [])), ...(more ?? []).map((u) => u.fsPath)];
  }
  return picked.flatMap((p) => (p.uri ? [p.uri.fsPath] : []));
}
