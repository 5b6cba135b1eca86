/**
 * What to preview: the prompt from the command's arguments, the selection, the transcript turn or
 * JSONL line under the cursor, or typed into an input box.
 */
import * as vscode from 'vscode';
import { promptFromJsonLine, promptFromText, promptFromTranscript, type PromptResult } from '../../core/preview';
import type { Turns } from '../../core/types';

export interface PromptChoice {
  prompt: Turns;
  /** The document and lines the prompt ends with, when it came from one: where the inline diff goes. */
  anchor?: { uri: vscode.Uri; line: number; endLine: number };
}

/** The role whose replies are scored, and who answers as `assistant` in a transcript's prompt. */
export const scoredRole = (uri?: vscode.Uri) => vscode.workspace.getConfiguration('styletune', uri).get<string>('role') || 'assistant';

function fromDocument(doc: vscode.TextDocument, line: number): PromptResult | undefined {
  const role = scoredRole(doc.uri);
  if (doc.languageId === 'markdown') return promptFromTranscript(doc.getText(), line, role);
  if (doc.languageId === 'jsonl' || /\.jsonl$/i.test(doc.uri.path)) {
    if (line >= doc.lineCount) return { error: `the document has no line ${line + 1}` };
    const text = doc.lineAt(line).text;
    return text.trim() ? promptFromJsonLine(text, line, role) : { error: `line ${line + 1} is blank` };
  }
  return undefined;
}

const withAnchor = (r: PromptResult, uri: vscode.Uri): PromptChoice | { error: string } =>
  'error' in r ? r : { prompt: r.prompt, anchor: r.anchor ? { uri, ...r.anchor } : undefined };

/**
 * `args.prompt`, or `args.uri` + `args.line` (0-based), or the active editor; undefined when the user
 * dismissed the input box. Throws with a plain reason for arguments that name no usable prompt.
 */
export async function choosePrompt(args: { prompt?: unknown; uri?: unknown; line?: unknown }): Promise<PromptChoice | undefined> {
  if (args.prompt !== undefined) {
    if (typeof args.prompt === 'string') {
      const r = promptFromText(args.prompt);
      if ('error' in r) throw new Error(r.error);
      return { prompt: r.prompt };
    }
    if (Array.isArray(args.prompt) && args.prompt.length && args.prompt.every((m) => typeof m?.role === 'string' && typeof m?.content === 'string')) {
      return { prompt: (args.prompt as { role: string; content: string }[]).map((m) => ({ role: m.role, content: m.content })) };
    }
    throw new Error('`prompt` must be a string or a list of {role, content} messages');
  }
  if (args.uri !== undefined) {
    if (typeof args.uri !== 'string' && !(args.uri instanceof vscode.Uri)) throw new Error('`uri` must be a URI string');
    const uri = typeof args.uri === 'string' ? vscode.Uri.parse(args.uri) : args.uri;
    const line = Number.isInteger(args.line) ? (args.line as number) : 0;
    const doc = await vscode.workspace.openTextDocument(uri);
    const r = fromDocument(doc, line) ?? { error: `${vscode.workspace.asRelativePath(uri)} is neither a markdown transcript nor a JSONL file` };
    const choice = withAnchor(r, uri);
    if ('error' in choice) throw new Error(choice.error);
    return choice;
  }

  const editor = vscode.window.activeTextEditor;
  let why: string | undefined;
  if (editor) {
    const sel = editor.selection;
    if (!sel.isEmpty) {
      const r = promptFromText(editor.document.getText(sel));
      if (!('error' in r)) return { prompt: r.prompt };
    }
    const r = fromDocument(editor.document, sel.active.line);
    if (r) {
      const choice = withAnchor(r, editor.document.uri);
      if (!('error' in choice)) return choice;
      why = choice.error;
    }
  }
  const typed = await vscode.window.showInputBox({
    title: 'StyleTune: Preview Rewrite',
    prompt: why ? `No prompt under the cursor (${why}). Type one:` : 'What the user says; the base and the tuned model both reply to it.',
    placeHolder: 'e.g. any plans for the weekend?',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Type a prompt, or press Escape.'),
  });
  return typed?.trim() ? { prompt: typed.trim() } : undefined;
}
