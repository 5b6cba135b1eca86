/** What the vote session and the report share: services, the annotator's name, items with their problems shown. */
import { userInfo } from 'node:os';
import * as vscode from 'vscode';
import { loadItems, type LoadedItems } from '../../core/votes/items';
import type { Diagnostic } from '../../core/types';
import { toVscodeDiagnostic } from '../diagnostics';
import type { ModelServices } from '../modelCommands/activeModel';

export interface VotesServices extends ModelServices {
  diagnostics: vscode.DiagnosticCollection;
}

/** `styletune.annotator`, else the OS user name (as the pair labeler does). */
export function annotatorName(uri: vscode.Uri): string {
  const setting = vscode.workspace.getConfiguration('styletune', uri).get<string>('annotator')?.trim();
  if (setting) return setting;
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): votes without a name still count.
    return '';
  }
}

/** Loads the items and puts every problem in the Problems panel under its file and line. */
export async function loadItemsWithProblems(s: VotesServices, files: vscode.Uri[]): Promise<LoadedItems & { problems: number }> {
  const loaded = await loadItems(files.map((u) => u.fsPath));
  await showProblems(s, files, loaded.diagnostics);
  return { ...loaded, problems: loaded.diagnostics.length };
}

export async function showProblems(s: VotesServices, files: vscode.Uri[], diagnostics: Diagnostic[]): Promise<void> {
  for (const uri of files) {
    const mine = diagnostics.filter((d) => d.file === uri.fsPath);
    if (!mine.length) {
      s.diagnostics.delete(uri);
      continue;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    s.diagnostics.set(uri, mine.map((d) => toVscodeDiagnostic(d, doc)));
    s.log.warn(`${mine.length} problem(s) in ${uri.fsPath}; see the Problems panel`);
  }
}
