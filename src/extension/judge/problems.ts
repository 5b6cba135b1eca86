import * as vscode from 'vscode';
import { formatDiagnostic, type Diagnostic } from '../../core/types';
import { toVscodeDiagnostic } from '../diagnostics';
import type { ModelServices } from '../modelCommands/activeModel';

/** Logs the diagnostics and shows those of `file` in Problems (clearing it when there are none). */
export async function showProblems(problems: vscode.DiagnosticCollection, file: string, diags: Diagnostic[], s: ModelServices): Promise<void> {
  for (const d of diags) s.log.warn(formatDiagnostic(d));
  const uri = vscode.Uri.file(file);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file) ?? (diags.length > 0 ? await vscode.workspace.openTextDocument(uri) : undefined);
  if (!doc) return problems.delete(uri);
  problems.set(
    uri,
    diags.filter((d) => d.file === file).map((d) => toVscodeDiagnostic(d, doc)),
  );
}
