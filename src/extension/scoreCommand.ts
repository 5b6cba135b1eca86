/**
 * `styletune.scoreCurrentFile`: scores the active JSONL document (its current text, saved or not) with
 * the reward model, then reports through the usual VS Code channels: a summary notification, reader
 * problems in the Problems panel, per-line results beside the editor and a log in the StyleTune output.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { DomainCheck } from '../core/reward/domain';
import type { RewardModel } from '../core/reward/model';
import { scoreJsonlText, type LineResult } from '../core/score';
import { formatDiagnostic } from '../core/types';
import { toVscodeDiagnostic } from './diagnostics';
import type { ModelCache, ModelLease } from './modelCache';
import { activeModelFile } from './modelCommands/activeModel';
import { roleOverride, setting } from './settings';
import { commandTarget } from './targets';
import { RESULTS_SCHEME, renderResults, resultsUriFor, type ResultsProvider } from './results';
import { count } from '../core/counted';
import { summaryMessage, Tally, type ScoreSummary } from './summary';

export interface Services {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  diagnostics: vscode.DiagnosticCollection;
  results: ResultsProvider;
  models: ModelCache;
}

/** Problems listed one by one in the log; the rest are in the Problems panel anyway. */
const LOGGED_PROBLEMS = 20;
/** From this many lines on (about a second of scoring), progress is a notification with a Cancel button. */
const BIG_FILE_RECORDS = 1000;

/** `target`: the file the editor context menu was opened on; otherwise the active editor's document. */
export async function scoreCurrentFile(s: Services, target?: unknown): Promise<ScoreSummary | undefined> {
  const doc = await targetDocument(target);
  if (!doc) {
    void vscode.window.showWarningMessage('Open a JSONL file to score it.');
    return undefined;
  }
  if (doc.uri.scheme === RESULTS_SCHEME) {
    void vscode.window.showWarningMessage('This is a results view: score the file it came from.');
    return undefined;
  }

  const lease = await loadModel(s, doc);
  if (!lease) return undefined;
  try {
    return await scoreDocument(s, doc, lease.model);
  } catch (err) {
    s.log.error(`Scoring ${doc.uri.toString()} failed: ${(err as Error).stack ?? err}`);
    void vscode.window.showErrorMessage(`Scoring failed: ${(err as Error).message}`);
    return undefined;
  } finally {
    lease.release();
  }
}

/** The document the command means (targets.ts): the editor's own when it is the active editor's, unsaved edits included. */
async function targetDocument(target: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = commandTarget(target);
  if (!uri) return undefined;
  const editor = vscode.window.activeTextEditor;
  return editor?.document.uri.toString() === uri.toString() ? editor.document : vscode.workspace.openTextDocument(uri);
}

async function loadModel(s: Services, doc: vscode.TextDocument): Promise<ModelLease | undefined> {
  // A model path from an untrusted workspace's settings is still honoured: onnxruntime parses the file as
  // data (a graph of standard operators) and loads no code from it, so it cannot run anything.
  const t0 = performance.now();
  try {
    const file = activeModelFile(s, doc.uri);
    const lease = await s.models.acquire(file);
    if (lease.loaded) {
      s.log.info(`Loaded reward model ${file} in ${ms(t0)}: ${lease.model.summary}`);
    }
    return lease;
  } catch (err) {
    const message = (err as Error).message;
    s.log.error(`Cannot load the reward model (styletune.rewardModelPath = ${JSON.stringify(setting('rewardModelPath', doc.uri))}): ${message}`);
    void vscode.window.showErrorMessage(`Cannot load the reward model: ${message}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'styletune.rewardModelPath');
    });
    return undefined;
  }
}

async function scoreDocument(s: Services, doc: vscode.TextDocument, model: RewardModel): Promise<ScoreSummary> {
  const file = doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString();
  const name = vscode.workspace.asRelativePath(doc.uri);
  const role = roleOverride(doc.uri);
  // A snapshot: edits made while scoring must not shift the lines the results refer to.
  const text = doc.getText();
  const lineCount = doc.lineCount;
  const records = countRecords(text);
  const t0 = performance.now();
  s.log.info(`Scoring ${name} (${records} lines, role ${role ?? 'from the model'})`);

  const results: LineResult[] = [];
  const tally = new Tally();
  const domain = new DomainCheck(model.traitIds, model.spec.domain);
  // Small files finish before a notification could be read: a status bar spinner is enough for them.
  const big = records >= BIG_FILE_RECORDS;
  const progressOptions: vscode.ProgressOptions = big
    ? { location: vscode.ProgressLocation.Notification, title: `Scoring ${basename(doc.uri.path)}`, cancellable: true }
    : { location: vscode.ProgressLocation.Window, title: `StyleTune: scoring ${basename(doc.uri.path)}` };
  const cancelled = await vscode.window.withProgress(progressOptions, async (progress, token) => {
    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => abort.abort());
    let percent = 0;
    const onProgress = (done: number) => {
      // Whole percents only: the core reports per batch, but a report per line would flood the UI.
      const now = Math.floor((100 * done) / Math.max(records, 1));
      if (now <= percent) return;
      progress.report({ increment: now - percent, message: `${count(done)} of ${count(records)} lines` });
      percent = now;
    };
    try {
      for await (const r of scoreJsonlText(text, file, model, { role, signal: abort.signal, onProgress, candidates: true })) {
        results.push(r);
        tally.add(r);
        if (r.kind !== 'diagnostic') domain.addLine(r);
      }
    } catch (err) {
      // Cancelling may surface as an AbortError from the core instead of the generator just ending.
      if (!abort.signal.aborted) throw err;
    } finally {
      onCancel.dispose();
    }
    return abort.signal.aborted;
  });

  const resultsUri = resultsUriFor(doc.uri);
  const summary: ScoreSummary = {
    file,
    scored: tally.scored,
    problems: tally.problems,
    meanScore: tally.mean,
    kinds: { ...tally.kinds },
    cancelled,
    resultsUri: resultsUri.toString(),
  };
  const notice = cancelled ? undefined : domain.verdict()?.notice;
  if (notice) summary.outOfDomain = notice;
  const message = summaryMessage(summary);
  s.log.info(`${message} in ${ms(t0)} (${name})`);
  if (cancelled) {
    // Partial results would look like a complete file: keep the previous diagnostics and results instead.
    void vscode.window.showInformationMessage(message);
    return summary;
  }

  const problems = results.flatMap((r) => (r.kind === 'diagnostic' ? [r.diagnostic] : []));
  for (const d of problems.slice(0, LOGGED_PROBLEMS)) s.log.warn(formatDiagnostic(d));
  if (problems.length > LOGGED_PROBLEMS) s.log.warn(`… and ${problems.length - LOGGED_PROBLEMS} more in the Problems panel`);
  s.diagnostics.set(doc.uri, problems.map((d) => toVscodeDiagnostic(d, doc)));

  const rendered = renderResults(results, lineCount);
  // Given again each time: the content is dropped when its document is closed, and this may run much later.
  const openResults = () => s.results.show(resultsUri, rendered);
  await openResults();

  // Not awaited: the command returns its summary while the notification waits for the user.
  const actions = problems.length ? ['Show Problems', 'Open Results'] : ['Open Results'];
  const notify = problems.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void notify(message, ...actions).then((choice) => {
    if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
    if (choice === 'Open Results') void openResults();
  });
  // Once per scoring of the file, beside the summary: the scores above may mislead here.
  if (notice) {
    s.log.warn(`${name}: ${notice}`);
    void vscode.window.showWarningMessage(`${basename(doc.uri.path)}: ${notice}`);
  }
  return summary;
}

/** Non-blank lines: what the core reads as records and counts in its progress reports. */
function countRecords(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim()) n++;
  return n;
}

const ms = (since: number) => `${Math.round(performance.now() - since)} ms`;
