/**
 * The pairs file that new pairs are appended to, shared by Create Pair from Selections and Preview
 * Rewrite: both remember the last one under one key, so a user's pairs land in the same file.
 */
import * as vscode from 'vscode';
import { appendLinesAtomic } from '../core/atomic';

const TARGET_KEY = 'styletune.pairsTarget';

export function rememberedTarget(state: vscode.Memento): vscode.Uri | undefined {
  const t = state.get<string>(TARGET_KEY);
  return t ? vscode.Uri.parse(t) : undefined;
}

export function rememberTarget(state: vscode.Memento, target: vscode.Uri): Thenable<void> {
  return state.update(TARGET_KEY, target.toString());
}

/** Asks which pairs file: the remembered one first, then the workspace's *.pairs.jsonl, or a new one. */
export async function chooseTarget(state: vscode.Memento, o: { title: string; newFileName: string }): Promise<vscode.Uri | undefined> {
  const remembered = state.get<string>(TARGET_KEY);
  const found = await vscode.workspace.findFiles('**/*.pairs.jsonl', '**/node_modules/**', 50);
  type Pick = vscode.QuickPickItem & { uri?: vscode.Uri };
  const picks: Pick[] = [];
  const seen = new Set<string>();
  for (const uri of [...(remembered ? [vscode.Uri.parse(remembered)] : []), ...found]) {
    if (seen.has(uri.toString())) continue;
    seen.add(uri.toString());
    picks.push({ label: vscode.workspace.asRelativePath(uri), description: uri.toString() === remembered ? 'last used' : undefined, uri });
  }
  picks.push({ label: '$(new-file) Choose or create a pairs file…' });
  const pick = await vscode.window.showQuickPick(picks, { title: o.title, placeHolder: 'A *.pairs.jsonl file' });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({
    title: 'Pairs file to append to',
    defaultUri: folder ? vscode.Uri.joinPath(folder, o.newFileName) : undefined,
    filters: { 'Pairs (JSONL)': ['jsonl'] },
  });
}

/**
 * The pairs file's document when it is open, so an append goes through it (undo, unsaved edits kept);
 * a file on another file system (remote, virtual) cannot be appended from here, so it is opened to edit.
 */
export async function openTarget(target: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString()) ?? (target.scheme === 'file' ? undefined : vscode.workspace.openTextDocument(target));
}

/** Adds `line` at the end of the pairs file: as an edit of its open document, else by an atomic append. */
export async function appendPairLine(target: vscode.Uri, open: vscode.TextDocument | undefined, line: string): Promise<'edit' | 'append'> {
  if (!open) {
    await appendLinesAtomic(target.fsPath, [line]);
    return 'append';
  }
  const last = open.lineAt(open.lineCount - 1);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(target, last.range.end, (last.text === '' ? '' : '\n') + line + '\n');
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not add the pair to ${target.toString()}`);
  return 'edit';
}
