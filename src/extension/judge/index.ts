/**
 * The LLM judge in the editor:
 *   styletune.judge.setApiKey      "StyleTune: Set Judge API Key" (kept in SecretStorage, never in settings)
 *   styletune.judge.rateFile       "StyleTune: Rate with LLM Judge": the JSONL in the editor → <name>.ratings.jsonl
 *   styletune.judge.runChecklist   "StyleTune: Run Checklist Evaluation…": a checklist over dialogue files → markdown report
 *
 * Endpoint and model come from settings (styletune.judge.*). Dialogue text leaves the machine, so in an
 * untrusted workspace an endpoint named by the workspace's own settings is only used after the user says so.
 * With `styletune.judge.localModel` set, Rate with LLM Judge and Run Checklist Evaluation use a local
 * model through the Python worker instead (nothing leaves the machine).
 *
 * One job a file: endpoint.ts (the HTTP judge from settings, its key and cache), local.ts (the local
 * model through the worker), rate.ts and checklist.ts (the two commands), problems.ts (their Problems).
 */
import * as vscode from 'vscode';
import type { ModelServices } from '../modelCommands/activeModel';
import { runChecklistCommand } from './checklist';
import { setApiKey } from './endpoint';
import { rateCurrentFile } from './rate';

export type { ChecklistResult } from './checklist';
export { cachedJudgeAnswers, judgeCacheDir, judgeFromSettings, SECRET_KEY } from './endpoint';
export type { RateResult } from './rate';

export function registerJudge(context: vscode.ExtensionContext, s: ModelServices): void {
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
