/**
 * The local judge, `styletune.judge.localModel`: which model and interpreter, and rating a file with
 * the Python worker on this machine (nothing leaves it).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { Diagnostic } from '../../core/types';
import { startWorker } from '../../core/worker/worker';
import { activeRole, type ModelServices } from '../modelCommands/activeModel';
import { setting } from '../settings';
import { showTrainerPythonError, trainerPython } from '../trainerPython';
import { showProblems } from './problems';
import type { RateResult } from './rate';
import { counted } from '../../core/counted';

export interface LocalJudge {
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
export async function localJudge(s: ModelServices, resource: vscode.Uri): Promise<LocalJudge | 'unset' | undefined> {
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

/**
 * The worker's `judge` command over the saved file (the same ratings file layout and transcript hashes
 * as the HTTP judge; ratings are the model's expected value over the digits 1-5). A line it could not
 * rate comes back as a warning `file:line:1: reason`, shown in Problems.
 */
export async function rateWithLocalModel(s: ModelServices, problems: vscode.DiagnosticCollection, file: string, local: LocalJudge, output: string): Promise<RateResult | undefined> {
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
    const kept = result.done?.stopped ? ` Rated so far: ${counted(Number(result.done.metrics?.rated ?? 0), 'conversation')}, in ${basename(output)}.` : '';
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
  const message = `Rated ${counted(rated, 'conversation')} of ${basename(file)} with ${basename(modelDir)} → ${basename(output)}` + (diags.length > 0 ? `; ${counted(diags.length, 'line')} could not be rated (see Problems)` : '');
  s.log.info(`${message} ${output}`);
  void (diags.length > 0 ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
  return summary;
}
