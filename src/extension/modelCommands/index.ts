/** Choose / fit reward model commands and the status bar item naming the active model. */
import * as vscode from 'vscode';
import { affectsSetting } from '../settings';
import type { ModelServices } from './activeModel';
import { chooseRewardModel } from './choose';
import { fitRewardModel } from './fit';
import { ModelStatus } from './status';
import { completes } from '../welcome';

/** The test-facing command: what the status bar item shows. */
export const MODEL_STATUS_COMMAND = 'styletune.modelStatus';

export function registerModelCommands(context: vscode.ExtensionContext, s: ModelServices): void {
  const status = new ModelStatus(s);
  const choose = (arg?: unknown) => chooseRewardModel(s, status, arg);
  context.subscriptions.push(
    status,
    vscode.commands.registerCommand('styletune.chooseRewardModel', choose),
    vscode.commands.registerCommand('styletune.fitRewardModel', completes('fit', (arg?: unknown) => fitRewardModel(s, choose, arg))),
    vscode.commands.registerCommand(MODEL_STATUS_COMMAND, () => status.update()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSetting(e, ['rewardModelPath'])) void status.update();
    }),
    vscode.window.onDidChangeActiveTextEditor(() => void status.update()),
  );
  void status.update();
}
