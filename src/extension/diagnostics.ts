/** Reader problems (src/core Diagnostic, 1-based) as VS Code diagnostics for the Problems panel. */
import * as vscode from 'vscode';
import type { Diagnostic } from '../core/types';

export function toVscodeDiagnostic(d: Diagnostic, doc: vscode.TextDocument): vscode.Diagnostic {
  const line = Math.min(Math.max(d.line - 1, 0), doc.lineCount - 1);
  const end = doc.lineAt(line).range.end;
  // From the reported column to the end of the line: a JSON error is where reading stopped, not one token.
  // A column past the end (a line cut short) gives an empty range there, which VS Code still marks.
  const start = new vscode.Position(line, Math.min(Math.max(d.column - 1, 0), end.character));
  const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diag = new vscode.Diagnostic(new vscode.Range(start, end), d.message, severity);
  diag.source = 'StyleTune';
  return diag;
}
