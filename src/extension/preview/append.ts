/**
 * "Append as pair to…": the preview becomes a line of a pairs file (src/core/preview/pairLine.ts).
 * The target is remembered with the key `Create Pair from Selections` uses, so both append to the
 * file the user labels. An open target gets a WorkspaceEdit (its unsaved changes are the truth and
 * the append is undoable); a closed one is appended atomically.
 */
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { pairsFileForm, previewPairLine, type PairChoice, type PreviewPairInput } from '../../core/preview';
import { appendPairLine, openTarget, rememberTarget } from '../pairsTarget';
import { annotator } from '../settings';

export interface AppendResult {
  target: string;
  /** 1-based line of the new pair. */
  lineNumber: number;
  line: string;
  choice: PairChoice;
  via: 'edit' | 'append';
}

/** Asks whether the user already prefers a side; the reward model's preference is a hint, not the default. */
export async function chooseLabel(rewards: [number, number]): Promise<PairChoice | undefined> {
  const prefers = rewards[1] > rewards[0] ? 'tuned' : rewards[0] > rewards[1] ? 'base' : undefined;
  const hint = (side: PairChoice) => (side === prefers ? 'the reward model prefers it' : undefined);
  const picks: (vscode.QuickPickItem & { choice: PairChoice })[] = [
    { label: 'Leave unlabeled', description: 'label it in the Pair Labeler', detail: 'Nothing trains on it until you pick a side there.', choice: 'unlabeled' },
    { label: 'The tuned reply is more human', description: hint('tuned'), detail: 'Written labeled: tuned chosen, base rejected.', choice: 'tuned' },
    { label: 'The base reply is more human', description: hint('base'), detail: 'Written labeled: base chosen, tuned rejected.', choice: 'base' },
  ];
  // The second step after the pairs file: as that pick closes, focus goes back to the preview's webview
  // (whose button started it) and can arrive after this pick opened; without ignoreFocusOut that closed
  // it as if dismissed, and nothing was appended (seen once in a UI test run).
  return (await vscode.window.showQuickPick(picks, { title: 'Append the preview as a pair: label it now?', ignoreFocusOut: true }))?.choice;
}

async function readTarget(uri: vscode.Uri, open: vscode.TextDocument | undefined): Promise<string> {
  if (open) return open.getText();
  return readFile(uri.fsPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw new Error(`cannot read ${uri.fsPath}: ${err.message}`);
  });
}

export async function appendPreviewPair(state: vscode.Memento, input: PreviewPairInput, target: vscode.Uri, choice: PairChoice): Promise<AppendResult> {
  const open = await openTarget(target);
  const existing = await readTarget(target, open);
  let line: string;
  try {
    line = previewPairLine(input, { choice, form: pairsFileForm(existing), label: { time: new Date().toISOString(), annotator: annotator(target) } });
  } catch (err) {
    throw new Error(`${vscode.workspace.asRelativePath(target)} holds text pairs, and ${(err as Error).message}. Choose another pairs file.`);
  }
  const lines = existing.split('\n');
  const before = existing === '' ? 0 : lines.length - (lines[lines.length - 1] === '' ? 1 : 0);
  const via = await appendPairLine(target, open, line);
  await rememberTarget(state, target);
  return { target: target.toString(), lineNumber: before + 1, line, choice, via };
}
