/**
 * `styletune.openInspector` and the panel serializer that brings inspectors back after a reload.
 * The command returns the scoring summary (tests read it through executeCommand).
 */
import * as vscode from 'vscode';
import { isViewState } from '../../../webview/inspector/protocol';
import { commandTarget } from '../targets';
import { completes } from '../welcome';
import { INSPECTOR_VIEW_TYPE, InspectorPanel, type InspectorServices, type InspectorSummary } from './panel';

export function registerInspector(s: InspectorServices): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('styletune.openInspector', completes('inspect', (target?: unknown) => openInspector(s, target))),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        // State comes from the webview: only a well-formed one names the file to open again.
        if (isViewState(state)) InspectorPanel.revive(s, panel, state);
        else panel.dispose();
      },
    }),
    new vscode.Disposable(() => InspectorPanel.disposePool()),
  );
}

async function openInspector(s: InspectorServices, target: unknown): Promise<InspectorSummary | undefined> {
  const uri = commandTarget(target);
  if (!uri) {
    void vscode.window.showWarningMessage('Open a JSONL file to inspect it.');
    return undefined;
  }
  try {
    return await InspectorPanel.show(s, uri);
  } catch (err) {
    s.log.error(`Inspector for ${uri.toString()} failed: ${(err as Error).stack ?? err}`);
    void vscode.window.showErrorMessage(`StyleTune inspector: ${(err as Error).message}`);
    return undefined;
  }
}
