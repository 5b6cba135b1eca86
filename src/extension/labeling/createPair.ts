/**
 * `StyleTune: Create Pair from Selections`: two selections (multi-cursor) in any editor become one
 * unlabeled pair line, `{"source": …, "responses": [first, second]}`, appended to a pairs file.
 *
 * The target is asked for once per workspace and remembered. If the target is open in VS Code, the line
 * goes in through a WorkspaceEdit: the open document (perhaps with unsaved labels, perhaps in the labeler)
 * is the truth then, and writing the disk under it would make VS Code report a conflict on save; the
 * edit is also undoable like any other. Otherwise the file is appended atomically (src/core/atomic.ts).
 */
import * as vscode from 'vscode';
import { unlabeledLine } from '../../core/labeling';
import { appendPairLine, chooseTarget, openTarget, rememberTarget } from '../pairsTarget';
import { argumentUri } from '../targets';

export interface CreatePairResult {
  target: string;
  line: string;
  via: 'edit' | 'append';
}

export async function createPairFromSelections(state: vscode.Memento, args?: unknown): Promise<CreatePairResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  const selections = editor?.selections.filter((s) => !s.isEmpty) ?? [];
  if (!editor || selections.length !== 2) {
    void vscode.window.showWarningMessage('Select exactly two responses (hold Alt and drag, or Ctrl+D) to create a pair from them.');
    return undefined;
  }
  // Document order, so "candidate 1" is the one that comes first in the text.
  const [a, b] = [...selections].sort((x, y) => x.start.compareTo(y.start));
  const responses = [a, b].map((s) => selectedResponse(editor.document.getText(s)));
  const source = { file: vscode.workspace.asRelativePath(editor.document.uri), lines: [a.start.line + 1, b.start.line + 1] };
  const line = unlabeledLine(responses, { source });

  const target = argumentUri((args as { target?: unknown } | undefined)?.target) ?? (await chooseTarget(state, { title: 'Append the pair to', newFileName: 'new.pairs.jsonl' }));
  if (!target) return undefined;
  const open = await openTarget(target);
  const via = await appendPairLine(target, open, line);
  await rememberTarget(state, target);
  void vscode.window.showInformationMessage(`Added an unlabeled pair to ${vscode.workspace.asRelativePath(target)}.`, 'Open in Pair Labeler').then((pick) => {
    if (pick) void vscode.commands.executeCommand('styletune.labelPairs', target);
  });
  return { target: target.toString(), line, via };
}

/** A selection of a JSON string literal (quotes included) means the string it spells, unescaped. */
function selectedResponse(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === 'string') return v;
    } catch {
      // Not a literal after all: keep the text as selected.
    }
  }
  return text;
}
