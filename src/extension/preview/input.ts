/**
 * What to preview: the prompt from the command's arguments, the selection, the transcript turn or
 * JSONL line under the cursor, or typed into an input box.
 */
import * as vscode from 'vscode';
import { promptFromJsonLine, promptFromText, promptFromTranscript, type PromptResult } from '../../core/preview';
import type { Turns } from '../../core/types';

/** Where a prompt taken from a document ends, and the role (`styletune.role` in effect) its turns were read with. */
export interface Anchor {
  line: number;
  endLine: number;
  role: string;
}

export interface PromptChoice {
  prompt: Turns;
  /** The document and lines the prompt ends with, when it came from one: where the inline diff goes. */
  anchor?: Anchor & { uri: vscode.Uri };
}

/** `role`: whose replies are scored, who answers as `assistant` in a transcript's prompt. */
function fromDocument(doc: vscode.TextDocument, line: number, role: string): PromptResult | undefined {
  if (doc.languageId === 'markdown') return promptFromTranscript(doc.getText(), line, role);
  if (doc.languageId === 'jsonl' || /\.jsonl$/i.test(doc.uri.path)) {
    if (line >= doc.lineCount) return { error: `the document has no line ${line + 1}` };
    const text = doc.lineAt(line).text;
    return text.trim() ? promptFromJsonLine(text, line, role) : { error: `line ${line + 1} is blank` };
  }
  return undefined;
}

const withAnchor = (r: PromptResult, uri: vscode.Uri, role: string): PromptChoice | { error: string } =>
  'error' in r ? r : { prompt: r.prompt, anchor: r.anchor ? { uri, role, ...r.anchor } : undefined };

/**
 * `args.prompt`, or `args.uri` + `args.line` (0-based), or the active editor; undefined when the user
 * dismissed the input box. Throws with a plain reason for arguments that name no usable prompt.
 * `roleFor`: whose turns a document's replies are (activeModel.ts's `activeRole`).
 */
export async function choosePrompt(args: { prompt?: unknown; uri?: unknown; line?: unknown }, roleFor: (uri: vscode.Uri) => Promise<string>): Promise<PromptChoice | undefined> {
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
    const role = await roleFor(uri);
    const r = fromDocument(doc, line, role) ?? { error: `${vscode.workspace.asRelativePath(uri)} is neither a markdown transcript nor a JSONL file` };
    const choice = withAnchor(r, uri, role);
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
    const role = await roleFor(editor.document.uri);
    const r = fromDocument(editor.document, sel.active.line, role);
    if (r) {
      const choice = withAnchor(r, editor.document.uri, role);
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
