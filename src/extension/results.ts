/**
 * The per-line results as a read-only virtual document beside the scored file. Line N of the results is
 * the result for line N of the input (blank for a blank input line), so the two scroll side by side.
 */
import * as vscode from 'vscode';
import { lineResultToJsonText, type LineResult } from '../core/score';

export const RESULTS_SCHEME = 'styletune-scores';

/** `dialogues.jsonl` → `styletune-scores:/…/dialogues.scores.jsonl`: the .jsonl name makes VS Code pick JSON Lines. */
export function resultsUriFor(source: vscode.Uri): vscode.Uri {
  const path = /\.jsonl$/i.test(source.path) ? source.path.replace(/\.jsonl$/i, '.scores.jsonl') : `${source.path}.scores.jsonl`;
  // Untitled documents have no folder in their path; give them one so the tab title stays the name.
  return vscode.Uri.from({ scheme: RESULTS_SCHEME, path: path.startsWith('/') ? path : `/${path}` });
}

/** One JSON line per input line, in the CLI's output shape. */
export function renderResults(results: readonly LineResult[], lineCount: number): string {
  const lines = new Array<string>(lineCount).fill('');
  for (const r of results) lines[r.line - 1] = lineResultToJsonText(r);
  return lines.join('\n');
}

/**
 * VS Code gives extensions no document over 50 MB; results take about 3 KB a line, so a file of some
 * 15,000 lines gets there. Kept below the limit for safety: characters are not quite bytes.
 */
const SYNC_LIMIT = 40_000_000;

/** Resolves once `doc` holds `text`, or after a few seconds should VS Code not refresh it (closed meanwhile). */
function untilText(doc: vscode.TextDocument, text: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sub.dispose();
      clearTimeout(timer);
      resolve();
    };
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === doc && doc.getText() === text) done();
    });
    const timer = setTimeout(done, 5_000);
  });
}

export class ResultsProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly closing: vscode.Disposable;

  constructor() {
    // Content lives as long as its document: VS Code asks again only when it reopens a closed one.
    this.closing = vscode.workspace.onDidCloseTextDocument((doc) => {
      if (doc.uri.scheme === RESULTS_SCHEME) this.contents.delete(doc.uri.toString());
    });
  }

  /**
   * Stores new results and shows them beside the active editor, without taking the focus. When it
   * returns, the results document has the new text (callers such as tests may read it), which for an
   * already open one means waiting: VS Code asks for the content again only after onDidChange.
   */
  async show(uri: vscode.Uri, text: string): Promise<void> {
    this.contents.set(uri.toString(), text);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const refreshed = open && open.getText() !== text ? untilText(open, text) : undefined;
    this.changed.fire(uri);
    await refreshed;
    const options: vscode.TextDocumentShowOptions = { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true };
    if (text.length > SYNC_LIMIT) {
      // Too big to reach the extension host (openTextDocument would throw), but the workbench shows it.
      await vscode.commands.executeCommand('vscode.open', uri, options);
    } else {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), options);
    }
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.closing.dispose();
    this.changed.dispose();
  }
}
