/** "StyleTune: Run Checklist Evaluation…": a checklist over dialogue files → a markdown report. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/atomic';
import { loadChecklist } from '../../core/checklist/checklist';
import { checklistMarkdown, checklistReport, runChecklist, type ChecklistChecker, type ChecklistReport, type ChecklistRun } from '../../core/checklist/evaluate';
import { LocalCheckerError, localChecker } from '../../core/checklist/local';
import { Judge } from '../../core/judge/judge';
import { toVscodeDiagnostic } from '../diagnostics';
import { activeRole, type ModelServices } from '../modelCommands/activeModel';
import { toPath } from '../targets';
import { judgeFromSettings } from './endpoint';
import { localJudge } from './local';
import { showProblems } from './problems';
import { counted } from '../../core/counted';

export interface ChecklistResult {
  report: ChecklistReport;
  markdown: string;
  problems: number;
  output?: string;
}

interface ChecklistArg {
  checklist?: vscode.Uri | string;
  files?: (vscode.Uri | string)[];
  compare?: [string, string];
  /** Where to write the markdown report; default: an untitled markdown editor. */
  output?: vscode.Uri | string;
}

export async function runChecklistCommand(context: vscode.ExtensionContext, s: ModelServices, problems: vscode.DiagnosticCollection, arg?: unknown): Promise<ChecklistResult | undefined> {
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
    void vscode.window.showErrorMessage(`${basename(checklistFile)} has ${counted(loaded.diagnostics.length, 'problem')}; see Problems.`);
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
          const r = await runChecklist(loaded.checklist, files, checker, { role, signal: abort.signal, onProgress: (n) => progress.report({ message: `${counted(n, 'dialogue')} checked` }) });
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
  if (run.diagnostics.length > 0) void vscode.window.showWarningMessage(`${counted(run.diagnostics.length, 'dialogue')} could not be checked; see Problems.`);
  return { report, markdown, problems: run.diagnostics.length, output };
}

/**
 * Who answers the checklist: the local model in `styletune.judge.localModel` when set (the worker, on
 * this machine), else the endpoint judge in settings. Undefined after telling the user why neither.
 */
async function checklistChecker(context: vscode.ExtensionContext, s: ModelServices, resource: vscode.Uri): Promise<Judge | (ChecklistChecker & { name: string }) | undefined> {
  const local = await localJudge(s, resource);
  if (local === undefined) return undefined;
  if (local === 'unset') return judgeFromSettings(context, resource);
  return localChecker({ python: local.python, repoRoot: s.extensionPath, cwd: local.folder, modelDir: local.modelDir, onLog: (line) => s.log.debug(`[checklist worker] ${line}`) });
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
