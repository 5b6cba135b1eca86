/**
 * After a preview of a transcript turn (or a JSONL line), the per-trait diff stays beside that turn:
 * an after-line text like the inline annotations' ("preview: tuned − base +0.84 · Slang +0.41 · …")
 * and a hover with the full table, both made by the annotations engine's formatters.
 *
 * The diff is tied to the turn's text, not its line number: after edits it follows the turn, and it
 * goes away when the turn is edited or deleted (the preview no longer answers that turn).
 */
import * as vscode from 'vscode';
import type { PreviewScores } from '../../core/preview';
import { parseTranscript } from '../../core/transcript';
import { hoverMarkdown, inlineText, type Annotation } from '../annotations/engine';
import { affectsSetting, setting } from '../settings';
import type { Anchor } from './input';

export const PREVIEW_INLINE_COMMAND = 'styletune.previewInline';

/** The inline annotations' switch turns these off too: one setting for text beside the turns. */
const enabled = () => setting('inlineAnnotations');

interface Entry {
  /** The anchor's text: the turn's content (markdown) or the line (JSONL). */
  key: string;
  /** The role the previewed turn was read with: a transcript is parsed with it again to find the turn. */
  role: string;
  annotation: Annotation;
}

/** What a test or a caller sees: plain data. */
export interface InlineInfo {
  line: number;
  textLine: number;
  text: string;
  hover: string;
}

export class PreviewInline implements vscode.HoverProvider, vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly entries = new Map<string, Entry[]>();
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.subs = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.entries.has(e.document.uri.toString())) this.relocate(e.document);
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.paintAll()),
      vscode.workspace.onDidCloseTextDocument((d) => this.entries.delete(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, ['inlineAnnotations'])) this.paintAll();
      }),
    ];
  }

  /** Shows `scores` beside the turn at `anchor` (replacing an earlier preview of the same turn). */
  show(uri: vscode.Uri, anchor: Anchor, scores: PreviewScores): InlineInfo | undefined {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc) return undefined;
    const key = anchorKey(doc, anchor.line, anchor.role);
    if (key === undefined) return undefined;
    const traits = scores.traits.map((t) => ({ id: t.id, label: t.label, description: t.description, value: t.tuned, other: t.base, contribution: t.delta }));
    const a: Annotation = {
      kind: 'pair',
      line: anchor.line,
      endLine: anchor.endLine,
      textLine: textLineOf(doc, anchor),
      score: scores.rewardDelta,
      sides: { names: ['tuned', 'base'], scores: [scores.tuned.score, scores.base.score] },
      bias: scores.bias,
      traits,
      text: '',
      title: 'the previewed replies to this turn',
    };
    // scores.traits is sorted by |delta|, the order inlineText names them in.
    a.text = `preview: ${inlineText(a)}`;
    const list = (this.entries.get(uri.toString()) ?? []).filter((e) => e.annotation.line !== anchor.line);
    list.push({ key, role: anchor.role, annotation: a });
    this.entries.set(uri.toString(), list);
    this.paint(doc);
    return info(a);
  }

  /**
   * After a window reload: the restored preview's diff beside its turn again, once the document is
   * open (editors come back on their own schedule). A turn changed in the meantime gets none.
   */
  restore(uri: vscode.Uri, anchor: Anchor, scores: PreviewScores): void {
    if (this.show(uri, anchor, scores)) return;
    const sub = vscode.workspace.onDidOpenTextDocument((doc) => {
      if (doc.uri.toString() !== uri.toString()) return;
      sub.dispose();
      this.show(uri, anchor, scores);
    });
    this.subs.push(sub);
  }

  current(uri: vscode.Uri): InlineInfo[] {
    return (this.entries.get(uri.toString()) ?? []).map((e) => info(e.annotation));
  }

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!enabled()) return undefined;
    const e = this.entries.get(doc.uri.toString())?.find((x) => x.annotation.line <= pos.line && pos.line <= Math.max(x.annotation.endLine, x.annotation.textLine));
    if (!e) return undefined;
    const a = e.annotation;
    const last = Math.max(a.endLine, a.textLine);
    return new vscode.Hover(new vscode.MarkdownString(hoverMarkdown(a)), new vscode.Range(a.line, 0, last, doc.lineAt(last).text.length));
  }

  /** Finds each previewed turn again after an edit: the same text, nearest its old place. */
  private relocate(doc: vscode.TextDocument): void {
    const uri = doc.uri.toString();
    const kept: Entry[] = [];
    const entries = this.entries.get(uri) ?? [];
    const turns = doc.languageId === 'markdown' ? parseTranscript(doc.getText(), { speakers: entries.map((e) => e.role) }) : undefined;
    for (const e of entries) {
      const a = e.annotation;
      const candidates = turns
        ? turns.filter((t) => t.content === e.key).map((t) => ({ line: t.line, endLine: t.endLine }))
        : Array.from({ length: doc.lineCount }, (_, i) => i).filter((i) => doc.lineAt(i).text === e.key).map((i) => ({ line: i, endLine: i }));
      if (!candidates.length) continue;
      const best = candidates.reduce((p, q) => (Math.abs(q.line - a.line) < Math.abs(p.line - a.line) ? q : p));
      kept.push({ key: e.key, role: e.role, annotation: { ...a, ...best, textLine: textLineOf(doc, best) } });
    }
    if (kept.length) this.entries.set(uri, kept);
    else this.entries.delete(uri);
    this.paint(doc);
  }

  private paint(doc: vscode.TextDocument): void {
    const options = (enabled() ? this.entries.get(doc.uri.toString()) ?? [] : []).map((e) => ({
      range: new vscode.Range(e.annotation.textLine, Number.MAX_SAFE_INTEGER, e.annotation.textLine, Number.MAX_SAFE_INTEGER),
      renderOptions: { after: { contentText: e.annotation.text } },
    }));
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === doc) editor.setDecorations(this.decoration, options);
  }

  private paintAll(): void {
    for (const editor of vscode.window.visibleTextEditors) if (this.entries.has(editor.document.uri.toString())) this.paint(editor.document);
  }

  dispose(): void {
    this.subs.forEach((d) => d.dispose());
    this.decoration.dispose();
  }
}

/** The anchor's identity: the transcript turn's content, or the JSONL line's text. */
function anchorKey(doc: vscode.TextDocument, line: number, role: string): string | undefined {
  if (line >= doc.lineCount) return undefined;
  if (doc.languageId !== 'markdown') return doc.lineAt(line).text;
  return parseTranscript(doc.getText(), { speakers: [role] }).find((t) => t.line === line)?.content;
}

/** Like the annotations: the blank line below a transcript turn when there is one, else the turn's first line. */
function textLineOf(doc: vscode.TextDocument, anchor: { line: number; endLine: number }): number {
  const below = anchor.endLine + 1;
  return doc.languageId === 'markdown' && below < doc.lineCount && !doc.lineAt(below).text.trim() ? below : anchor.line;
}

function info(a: Annotation): InlineInfo {
  return { line: a.line, textLine: a.textLine, text: a.text, hover: hoverMarkdown(a) };
}
