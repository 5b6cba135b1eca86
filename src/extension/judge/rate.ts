/** "StyleTune: Rate with LLM Judge": a JSONL file of dialogues or pairs → <name>.ratings.jsonl. */
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/atomic';
import type { ChatClient } from '../../core/judge/client';
import { rateFile, ratedLineDiagnostics, ratedLineToJson, ratingsFileFor } from '../../core/judge/ratings';
import type { Diagnostic } from '../../core/types';
import { activeRole, type ModelServices } from '../modelCommands/activeModel';
import { savedJsonlTarget, toPath } from '../targets';
import { judgeFromSettings } from './endpoint';
import { localJudge, rateWithLocalModel } from './local';
import { showProblems } from './problems';
import { count, counted } from '../../core/counted';

export interface RateResult {
  file: string;
  output: string;
  lines: number;
  rated: number;
  failed: number;
  fromCache: number;
  requests: number;
}

interface FileArg {
  file?: vscode.Uri | string;
  output?: vscode.Uri | string;
}

export async function rateCurrentFile(context: vscode.ExtensionContext, s: ModelServices, problems: vscode.DiagnosticCollection, arg?: unknown): Promise<RateResult | undefined> {
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
          progress.report({ message: `${counted(lines.length, 'line')}, ${count(judge.cache!.hits)} from the cache` });
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
  const message = `Rated ${counted(result.rated, 'conversation')} of ${basename(file)} (${count(summary.fromCache)} from the cache) → ${basename(output)}` + (summary.failed > 0 ? `; ${summary.failed} could not be rated (see Problems)` : '');
  s.log.info(`${message} ${output}`);
  void (summary.failed > 0 ? vscode.window.showWarningMessage(message) : vscode.window.showInformationMessage(message));
  return summary;
}
