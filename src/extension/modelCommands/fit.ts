/**
 * `styletune.fitRewardModel`: fit a reward model on the pairs (or human/ai contrastive lines) of the
 * file in the editor, with the same code as `styletune fit`, save it as ONNX and offer to use it.
 *
 * Argument: the file's Uri (explorer / editor menus), or `{ file?, output?, use? }` (tests): `output`
 * skips the save dialog, `use: true` switches to the new model without asking.
 */
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { saveSpec } from '../../core/reward/model';
import { fitRewardInThread } from '../../core/reward/fitThread';
import { collectComparisons } from '../../core/reward/train';
import { formatDiagnostic } from '../../core/types';
import { savedJsonlTarget, toPath } from '../targets';
import { activeRole, type ModelServices } from './activeModel';
import { percent } from '../../core/percent';
import { counted } from '../../core/counted';
import { showLastingMessage } from '../lastingMessage';

export interface FitResult {
  file: string;
  output: string;
  comparisons: number;
  /** Cross-validated pairwise accuracy over all comparisons (0..1). */
  accuracy: number;
  folds: number;
  name: string;
}

interface FitArg {
  file?: vscode.Uri | string;
  output?: vscode.Uri | string;
  use?: boolean;
}

export async function fitRewardModel(s: ModelServices, use: (output: string) => Promise<unknown>, arg?: unknown): Promise<FitResult | undefined> {
  const a: FitArg = arg instanceof vscode.Uri ? { file: arg } : arg && typeof arg === 'object' ? (arg as FitArg) : {};
  const source = await savedJsonlTarget(a.file, {
    none: 'Open a saved JSONL file of preference pairs (or human/ai pairs) to fit a reward model on it.',
    reader: 'the fit reads the saved file',
    saveLabel: 'Save and Fit',
  });
  if (!source) return undefined;

  const output = a.output ? toPath(a.output) : await askOutput(source);
  if (!output) return undefined;
  const role = await activeRole(s, vscode.Uri.file(source));
  const name = `Fitted on ${basename(source)}`;

  const fitted = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Fitting a reward model on ${basename(source)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const onCancel = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: 'measuring traits…' });
        const data = await collectComparisons([source], { role, signal: abort.signal });
        if (abort.signal.aborted) return undefined;
        for (const d of data.diagnostics.slice(0, 20)) s.log.warn(formatDiagnostic(d));
        // Read before the fit: the table's buffers move to the fitting thread.
        const comparisons = data.table.n;
        progress.report({ message: `cross-validating on ${counted(comparisons, 'comparison')}…` });
        const result = await fitRewardInThread(join(s.extensionPath, 'dist', 'fitWorker.js'), data, { role, name }, abort.signal);
        if (token.isCancellationRequested) return undefined;
        await saveSpec(result.spec, output);
        return { ...result, comparisons, problems: data.diagnostics.length };
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      } finally {
        onCancel.dispose();
      }
    },
  ).then(
    (r) => r,
    (err: Error) => {
      s.log.error(`Fitting on ${source} failed: ${err.stack ?? err}`);
      void vscode.window.showErrorMessage(`Cannot fit a reward model on ${basename(source)}: ${err.message}`);
      return null;
    },
  );
  if (fitted === null) return undefined;
  if (!fitted) {
    void vscode.window.showInformationMessage('Fitting cancelled; nothing was written.');
    return undefined;
  }

  const overall = fitted.report.crossValidated.find((r) => r.key === 'all') ?? fitted.report.crossValidated[0];
  const accuracy = overall?.accuracy ?? NaN;
  const result: FitResult = { file: source, output, comparisons: fitted.comparisons, accuracy, folds: fitted.report.folds, name };
  const skipped = fitted.problems ? ` (${counted(fitted.problems, 'line')} skipped, see the StyleTune output)` : '';
  const message =
    `Saved ${basename(output)}: ${percent(accuracy)} cross-validated pairwise accuracy ` +
    `on ${counted(fitted.comparisons, 'comparison')} (${fitted.report.folds} folds)${skipped}.`;
  s.log.info(`${message} ${output}`);
  if (a.use) await use(output);
  else {
    void showLastingMessage(message, 'Use This Model').then((choice) => {
      if (choice) void use(output);
    });
  }
  return result;
}

async function askOutput(source: string): Promise<string | undefined> {
  const stem = basename(source).replace(/(\.pairs)?\.jsonl$/i, '');
  const uri = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(dirname(source), `${stem}.reward.onnx`)),
    filters: { 'Reward model': ['onnx'] },
    saveLabel: 'Save Reward Model',
    title: 'Save the fitted reward model',
  });
  return uri?.fsPath;
}
