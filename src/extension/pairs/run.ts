/**
 * What both pair commands share: the notification with progress and Cancel around a core run
 * (src/core/pairs/run.ts), the atomic write once it completed, and the result message with
 * "Open" and "Label Pairs".
 */
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { RunCallbacks, Stage } from '../../core/pairs/run';
import { writeJsonlAtomic } from '../../core/pairs/ranked';
import type { RewardModel } from '../../core/reward/model';
import { formatDiagnostic, type Diagnostic } from '../../core/types';
import { acquireActiveModel, type ModelServices } from '../modelCommands/activeModel';
import { savedJsonlTarget } from '../targets';
import { counted } from '../../core/counted';
import { showLastingMessage } from '../lastingMessage';

export interface PairsResult {
  file: string;
  output: string;
  pairs: number;
  /** Lines of the input with problems (listed in the StyleTune output channel). */
  problems: number;
  /** The summary lines shown in the output channel. */
  summary: string[];
}

const STAGE_WORDS: Record<Stage, string> = { reading: 'reading', generating: 'generating answers', scoring: 'scoring' };

export interface Outcome {
  pairs: Record<string, unknown>[];
  diagnostics: Diagnostic[];
  stopped: boolean;
  lines: string[];
  /** Extra files to write beside the pairs (the dropped contrast pairs). */
  extra?: { file: string; records: Record<string, unknown>[] };
}

/**
 * Runs `work` under a cancellable notification with the active reward model. Returns undefined when
 * cancelled or failed (the user was told); nothing is written in either case.
 */
export async function runWithProgress(
  s: ModelServices,
  title: string,
  source: string,
  output: string,
  work: (model: RewardModel, cb: RunCallbacks) => Promise<Outcome>,
): Promise<PairsResult | undefined> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const onCancel = token.onCancellationRequested(() => abort.abort());
      const lease = await acquireActiveModel(s, vscode.Uri.file(source));
      let reported = 0;
      let stage: Stage | undefined;
      let last = 0;
      try {
        const outcome = await work(lease.model, {
          signal: abort.signal,
          onLog: (line) => s.log.info(`[trainer] ${line}`),
          onProgress: (st, done, total) => {
            // Each stage fills the bar from where the previous one left it: reading is quick, so
            // generating (when there is one) and scoring share it.
            if (st !== stage) {
              stage = st;
              reported = 0;
            }
            const now = Date.now();
            if (now - last < 150 && done !== total) return;
            last = now;
            const fraction = total > 0 ? done / total : 0;
            const increment = Math.max(0, (fraction - reported) * (st === 'scoring' ? 30 : st === 'generating' ? 70 : 0));
            reported = fraction;
            progress.report({ message: total > 0 ? `${STAGE_WORDS[st]} ${done}/${total}` : `${STAGE_WORDS[st]}…`, increment });
          },
        });
        if (outcome.stopped || abort.signal.aborted) return undefined;
        await writeJsonlAtomic(output, outcome.pairs);
        if (outcome.extra) await writeJsonlAtomic(outcome.extra.file, outcome.extra.records);
        return outcome;
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      } finally {
        onCancel.dispose();
        lease.release();
      }
    },
  ).then(
    (r) => r,
    (err: Error) => {
      s.log.error(`${title} failed: ${err.stack ?? err}`);
      void vscode.window.showErrorMessage(`${title} failed: ${err.message}`);
      return null;
    },
  );
  if (result === null) return undefined;
  if (!result) {
    void vscode.window.showInformationMessage(`${title}: cancelled; nothing was written.`);
    return undefined;
  }
  s.log.info(`${title} on ${source} → ${output}`);
  for (const d of result.diagnostics.slice(0, 200)) s.log.warn(formatDiagnostic(d));
  if (result.diagnostics.length > 200) s.log.warn(`… and ${counted(result.diagnostics.length - 200, 'more problem')}`);
  for (const line of result.lines) s.log.info(line);
  const problems = result.diagnostics.length;
  const note = problems ? ` ${counted(problems, 'line')} with problems ${problems === 1 ? 'was' : 'were'} left out (see the StyleTune output).` : '';
  void showLastingMessage(`${basename(output)}: ${result.lines[0]}.${note}`, 'Open', 'Label Pairs').then((choice) => {
    const uri = vscode.Uri.file(output);
    if (choice === 'Open') void vscode.window.showTextDocument(uri);
    if (choice === 'Label Pairs') void vscode.commands.executeCommand('styletune.labelPairs', uri);
  });
  return { file: source, output, pairs: result.pairs.length, problems, summary: result.lines };
}

/** The file to build from (targets.ts: the argument, the editor's or the labeler's saved file), else one picked in a dialog. */
export function sourceFile(target: vscode.Uri | string | undefined, what: string): Promise<string | undefined> {
  return savedJsonlTarget(target, { reader: 'pairs are built from the saved file', saveLabel: 'Save and Continue', browseTitle: `Choose a JSONL file of ${what}` });
}

export async function askOutput(source: string, suffix: string): Promise<string | undefined> {
  const stem = basename(source).replace(/(\.pairs)?\.jsonl$/i, '');
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(dirname(source), `${stem}.${suffix}.pairs.jsonl`)),
    filters: { 'JSON Lines': ['jsonl'] },
    saveLabel: 'Save Pairs',
    title: 'Where to write the pairs',
  });
  return uri?.fsPath;
}

export async function askModelFolder(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: 'Choose the model folder (Hugging Face layout) that answers the prompts', openLabel: 'Use This Model' });
  return picked?.[0]?.fsPath;
}

export async function askNumber(prompt: string, value: string, check: (n: number) => boolean, rule: string): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    prompt,
    value,
    validateInput: (v) => (v.trim() !== '' && Number.isFinite(Number(v)) && check(Number(v)) ? undefined : rule),
  });
  return text === undefined ? undefined : Number(text);
}
