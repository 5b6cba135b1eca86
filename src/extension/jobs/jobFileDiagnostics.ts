/**
 * Errors in `*.tune.json` as you type: every problem schemas/tune.schema.json finds (wrong types, values
 * out of range, unknown or misspelt keys) as an Error at the exact key or value. VS Code's JSON support
 * shows the same schema's violations only as warnings, and a job with any of them would not run, so
 * StyleTune says so with the severity it has. The Start CodeLens reads the same problems (codeLens.ts).
 */
import * as vscode from 'vscode';
import { JOB_FILE_SUFFIX, jobFileProblems } from '../../core/jobs/jobFile';

export function isJobFile(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith(JOB_FILE_SUFFIX);
}

export function registerJobFileDiagnostics(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('styletune.tune');
  const update = (doc: vscode.TextDocument) => {
    if (!isJobFile(doc)) return;
    const text = doc.getText();
    collection.set(doc.uri, jobFileProblems(text).map((p) => {
      const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'StyleTune';
      return d;
    }));
  };
  vscode.workspace.textDocuments.forEach(update);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => update(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  );
}
