/** Pair labeling: the custom editor for *.pairs.jsonl and `StyleTune: Create Pair from Selections`. */
import * as vscode from 'vscode';
import { commandTarget } from '../targets';
import { createPairFromSelections } from './createPair';
import { LABELER_VIEW_TYPE, PairLabelerProvider, type LabelerServices } from './labelerProvider';

/** The labeler offered for any JSONL file (priority "option"); `*.pairs.jsonl` opens in LABELER_VIEW_TYPE. */
export const ANY_JSONL_VIEW_TYPE = 'styletune.pairLabeler.anyJsonl';

export function registerLabeling(context: vscode.ExtensionContext, s: LabelerServices): void {
  const provider = new PairLabelerProvider(s);
  context.subscriptions.push(
    // Two view types, one provider: VS Code keeps one priority per view type, and the labeler is the
    // default for *.pairs.jsonl but only an option ("Reopen Editor With…") for other JSONL files.
    ...[LABELER_VIEW_TYPE, ANY_JSONL_VIEW_TYPE].map((viewType) =>
      // A labeler in a background tab keeps its page. Without retainContextWhenHidden the page was made
      // anew each time its tab came back, and a key typed the instant the tab was clicked landed in frames
      // still loading and was lost (from a text editor in the same group: 19 of 50 keys). The page is
      // small (one item); the host re-renders it from the document as before.
      vscode.window.registerCustomEditorProvider(viewType, provider, { webviewOptions: { retainContextWhenHidden: true } }),
    ),
    // The labeler's keys (package.json keybindings, `args` = the key): see LABEL_KEYS in its protocol.
    // Their `when`: no input has focus, and either no view has focus (`focusedView == ''`) or the key landed
    // outside any list, text editor or view pane (`listFocus`, `editorTextFocus` and `view` are read from
    // where the key landed). `focusedView` alone was not enough: VS Code clears it a timer tick after focus
    // leaves a view, and a key typed the instant the labeler's tab was clicked after typing in the Explorer
    // landed on the workbench's body while it still named the Explorer, and was dropped (7 of 80 such keys
    // under load, 2 of 3 on a quiet machine; none of 50 with this clause). Keys typed in the Explorer stay there.
    vscode.commands.registerCommand('styletune.labeler.key', (key: unknown) => provider.key(key)),
    vscode.commands.registerCommand('styletune.labelPairs', async (target?: unknown) => {
      const uri = commandTarget(target);
      if (!uri) {
        void vscode.window.showWarningMessage('Open a JSONL file of pairs to label it.');
        return;
      }
      await vscode.commands.executeCommand('vscode.openWith', uri, uri.path.endsWith('.pairs.jsonl') ? LABELER_VIEW_TYPE : ANY_JSONL_VIEW_TYPE);
    }),
    vscode.commands.registerCommand('styletune.createPairFromSelections', async (args?: unknown) => {
      try {
        return await createPairFromSelections(context.workspaceState, args);
      } catch (err) {
        s.log.error(`Create Pair from Selections: ${(err as Error).stack ?? err}`);
        void vscode.window.showErrorMessage(`Could not create the pair: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}
