/** Previewing a tuned adapter: the command, the panel's test hooks and the inline diff. */
import * as vscode from 'vscode';
import { judgeFromSettings } from '../judge';
import type { ModelServices } from '../modelCommands/activeModel';
import { PreviewController } from './controller';
import { PREVIEW_INLINE_COMMAND, PreviewInline } from './inline';
import { PREVIEW_VIEW_TYPE } from './panel';
import { completes } from '../welcome';

export function registerPreview(context: vscode.ExtensionContext, s: ModelServices): void {
  const inline = new PreviewInline();
  const controller = new PreviewController(s, context.workspaceState, inline, (uri) => judgeFromSettings(context, uri));
  const selector: vscode.DocumentSelector = [{ language: 'jsonl' }, { language: 'markdown' }, { pattern: '**/*.jsonl' }];
  context.subscriptions.push(
    inline,
    vscode.languages.registerHoverProvider(selector, inline),
    // After a reload: the last preview in the panel VS Code brings back.
    vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => controller.revive(panel) }),
    // Returns the result (or `{error}`), so that the jobs view and tests can use it.
    vscode.commands.registerCommand('styletune.previewRewrite', completes('preview', (args?: unknown) => controller.command(args))),
    // Not in the palette: the panel's append for scripts and tests, `{target?, choice?}`.
    vscode.commands.registerCommand('styletune.previewAppendPair', (args?: { target?: unknown; choice?: unknown }) => controller.append(args ?? {})),
    vscode.commands.registerCommand('styletune.previewState', () => controller.panelState()),
    vscode.commands.registerCommand(PREVIEW_INLINE_COMMAND, (uri?: vscode.Uri) => {
      const u = uri ?? vscode.window.activeTextEditor?.document.uri;
      return u ? inline.current(u) : [];
    }),
  );
}
