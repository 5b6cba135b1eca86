/**
 * The extension's entry point (bundled by esbuild to dist/extension.js). This folder is the only part of
 * StyleTune that imports `vscode`; the scoring itself lives in src/core and is shared with the CLI.
 */
import * as vscode from 'vscode';
import { registerAnnotations } from './annotations';
import { registerInspector } from './inspector';
import { registerJobs } from './jobs';
import { cachedJudgeAnswers, registerJudge } from './judge';
import { registerLabeling } from './labeling';
import { ModelCache } from './modelCache';
import { registerModelCommands } from './modelCommands';
import { registerPairs } from './pairs';
import { registerPreview } from './preview';
import { RESULTS_SCHEME, ResultsProvider } from './results';
import { scoreCurrentFile } from './scoreCommand';
import { affectsSetting } from './settings';
import { registerTrainerPython } from './trainerPython';
import { registerVotes } from './votes';
import { completes, registerWelcome } from './welcome';

let models: ModelCache | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('StyleTune', { log: true });
  const diagnostics = vscode.languages.createDiagnosticCollection('styletune');
  const results = new ResultsProvider();
  models = new ModelCache();
  const services = { extensionPath: context.extensionPath, log, diagnostics, results, models };

  context.subscriptions.push(
    log,
    diagnostics,
    results,
    vscode.workspace.registerTextDocumentContentProvider(RESULTS_SCHEME, results),
    // Returns the summary so that callers such as tests can use it: executeCommand passes it through.
    vscode.commands.registerCommand('styletune.scoreCurrentFile', completes('score', (target?: unknown) => scoreCurrentFile(services, target))),
    // A problem refers to text as it was when scored; once the file is closed nobody can act on it.
    vscode.workspace.onDidCloseTextDocument((doc) => diagnostics.delete(doc.uri)),
    // A changed setting may point at another model: release the old one's native session now.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSetting(e, ['rewardModelPath'])) models?.clear();
    }),
  );
  registerWelcome(context);
  registerTrainerPython(context, log);
  registerModelCommands(context, services);
  registerAnnotations(context, services);
  registerLabeling(context, services);
  registerJobs(context, services);
  registerPreview(context, services);
  registerVotes(context, services);
  registerPairs(context, services);
  registerJudge(context, services);
  context.subscriptions.push(registerInspector({ ...services, judgeAnswers: (uri) => cachedJudgeAnswers(context, uri) }));
}

export function deactivate(): void {
  models?.clear();
  models = undefined;
}
