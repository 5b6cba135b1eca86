/** What the vote session and the report share: services, items with their problems shown. */
import * as vscode from 'vscode';
import { loadItems, type LoadedItems } from '../../core/votes/items';
import type { Diagnostic } from '../../core/types';
import { toVscodeDiagnostic } from '../diagnostics';
import type { ModelServices } from '../modelCommands/activeModel';
import { counted } from '../../core/counted';

export interface VotesServices extends ModelServices {
  diagnostics: vscode.DiagnosticCollection;
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
    s.log.warn(`${counted(mine.length, 'problem')} in ${uri.fsPath}; see the Problems panel`);
  }
}
