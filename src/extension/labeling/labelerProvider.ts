/**
 * The pair labeler: a custom *text* editor on a JSONL file (the pattern of VS Code's custom-editor-sample).
 * The TextDocument is the single source of truth: the webview sends intents, this host turns them into
 * WorkspaceEdits on exactly one line, and re-renders from the document on every change. So undo, redo,
 * save, hot exit and the dirty dot are VS Code's own, and a text editor open on the same file stays in sync.
 */
import { userInfo } from 'node:os';
import * as vscode from 'vscode';
import {
  applyDecision,
  decisionFits,
  nextUnlabeled,
  parseLine,
  progressOf,
  stepItem,
  turnsText,
  type Decision,
  type LabelItem,
  type ParsedLine,
} from '../../core/labeling';
import type { RewardModel } from '../../core/reward/model';
import { isWebviewMessage, type HostMessage, type ItemView, type ViewState, type WebviewMessage } from '../../../webview/labeling/protocol';
import type { ModelCache } from '../modelCache';
import { resolveModelPath } from '../modelPath';
import { analyze, promptMessages, type Analysis } from './analysis';
import { webviewRoots } from '../webviewPage';
import { labelerHtml } from './html';

export const LABELER_VIEW_TYPE = 'styletune.pairLabeler';

export interface LabelerServices {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  models: ModelCache;
}

export class PairLabelerProvider implements vscode.CustomTextEditorProvider {
  constructor(private readonly s: LabelerServices) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    const root = vscode.Uri.file(this.s.extensionPath);
    webview.options = {
      enableScripts: true,
      localResourceRoots: webviewRoots(root),
    };
    webview.html = labelerHtml(webview, root);
    const session = new LabelerSession(document, webview, this.s);
    const subs = [
      webview.onDidReceiveMessage((m: unknown) => {
        // The webview is a page like any other: never trust what it sends.
        if (!isWebviewMessage(m)) {
          this.s.log.warn(`Pair labeler: ignored an invalid message ${JSON.stringify(m)?.slice(0, 200)}`);
          return;
        }
        session.handle(m).catch((err: Error) => {
          this.s.log.error(`Pair labeler: ${err.stack ?? err}`);
          void vscode.window.showErrorMessage(`Pair labeling failed: ${err.message}`);
        });
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === document.uri.toString()) session.documentChanged(e.contentChanges);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('styletune', document.uri)) session.configurationChanged();
      }),
    ];
    panel.onDidDispose(() => subs.forEach((d) => d.dispose()));
  }
}

/** One open labeler: which item it shows, and the rendering of that item. */
class LabelerSession {
  private items: ParsedLine[] = [];
  private current = -1;
  /** The line a decision was just written to: when its change arrives, move on to the next item. */
  private advanceFrom: number | undefined;
  private renderSerial = 0;
  private readonly analyses = new Map<string, Analysis>();

  constructor(
    private readonly doc: vscode.TextDocument,
    private readonly webview: vscode.Webview,
    private readonly s: LabelerServices,
  ) {
    this.reparse();
    const first = nextUnlabeled(this.items, this.items.length - 1);
    this.current = first >= 0 ? first : stepItem(this.items, -1, 1);
  }

  async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.render();
      case 'navigate':
        if (m.to === 'nextUnlabeled') {
          const next = nextUnlabeled(this.items, this.current);
          if (next >= 0) this.move(next);
        } else this.move(stepItem(this.items, this.current, m.to === 'next' ? 1 : -1));
        return this.render();
      case 'decide':
        return this.decide(m.line, m.decision);
      case 'undo':
      case 'redo':
        // VS Code's own undo, on this editor's document (the active one while its webview has focus).
        await vscode.commands.executeCommand(m.type);
        return;
    }
  }

  private async decide(line: number, decision: Decision): Promise<void> {
    const parsed = this.items[line];
    // A decision for a line that is no longer the item it was (the text changed under the webview) is dropped.
    if (line !== this.current || !parsed || !('item' in parsed) || !decisionFits(decision, parsed.item.candidates.length)) {
      this.s.log.warn(`Pair labeler: ignored a ${decision.choice} decision for line ${line + 1}, which is not the item shown`);
      await this.webview.postMessage({ type: 'decisionIgnored' } satisfies HostMessage);
      return this.render();
    }
    const text = this.doc.lineAt(line).text;
    const annotator = vscode.workspace.getConfiguration('styletune', this.doc.uri).get<string>('annotator')?.trim() || osUser();
    const labeled = applyDecision(text, decision, { time: new Date().toISOString(), annotator });
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.doc.uri, this.doc.lineAt(line).range, labeled);
    this.advanceFrom = line;
    if (!(await vscode.workspace.applyEdit(edit))) {
      this.advanceFrom = undefined;
      await this.webview.postMessage({ type: 'decisionIgnored' } satisfies HostMessage);
      throw new Error(`could not write the label to line ${line + 1}`);
    }
  }

  documentChanged(changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    this.reparse();
    const advance = this.advanceFrom;
    this.advanceFrom = undefined;
    const touched = changes.length === 1 && changes[0].range.isSingleLine && !changes[0].text.includes('\n') ? changes[0].range.start.line : undefined;
    if (advance !== undefined && touched === advance) {
      const next = nextUnlabeled(this.items, advance);
      this.move(next >= 0 ? next : stepItem(this.items, advance, 1));
    } else if (touched !== undefined && 'item' in (this.items[touched] ?? {})) {
      // Undo, redo or a hand edit of one line: show that item, so the user sees what changed.
      this.move(touched);
    } else {
      this.move(this.current);
    }
    void this.render();
  }

  private reparse(): void {
    this.items = [];
    for (let i = 0; i < this.doc.lineCount; i++) this.items.push(parseLine(this.doc.lineAt(i).text));
    // The cache is keyed by line text, so it survives edits; bound it for long sessions.
    if (this.analyses.size > 500) this.analyses.clear();
  }

  /** Shows `line` if it is an item, else the nearest item (lines may have been deleted). */
  private move(line: number): void {
    const at = Math.min(Math.max(line, 0), this.items.length - 1);
    if ('item' in (this.items[at] ?? {})) this.current = at;
    else {
      const after = stepItem(this.items, at, 1);
      this.current = after !== at ? after : stepItem(this.items, at, -1);
    }
    if (!('item' in (this.items[this.current] ?? {}))) this.current = -1;
  }

  /** Another model or role gives other hints: forget the cached ones. */
  configurationChanged(): void {
    this.analyses.clear();
    void this.render();
  }

  /** Posts the state now, then again once the candidates are analyzed (the model may still be loading). */
  async render(): Promise<void> {
    const serial = ++this.renderSerial;
    const parsed = this.items[this.current];
    const item = parsed && 'item' in parsed ? parsed.item : undefined;
    const text = item ? this.doc.lineAt(this.current).text : '';
    const cached = this.analyses.get(text);
    await this.post(this.state(item, cached));
    if (!item || cached) return;
    let analysis: Analysis;
    try {
      analysis = await this.analyze(item);
      this.analyses.set(text, analysis);
    } catch (err) {
      analysis = { traits: [], hintError: (err as Error).message };
    }
    if (serial === this.renderSerial) await this.post(this.state(item, analysis));
  }

  private async analyze(item: LabelItem): Promise<Analysis> {
    const config = vscode.workspace.getConfiguration('styletune', this.doc.uri);
    const role = config.get<string>('role') || 'assistant';
    let model: RewardModel | undefined;
    let lease: Awaited<ReturnType<ModelCache['acquire']>> | undefined;
    let modelError: string | undefined;
    try {
      const file = resolveModelPath(config.get<string>('rewardModelPath'), {
        extensionPath: this.s.extensionPath,
        workspaceFolder: vscode.workspace.getWorkspaceFolder(this.doc.uri)?.uri.fsPath,
      });
      lease = await this.s.models.acquire(file);
      model = lease.model;
    } catch (err) {
      // Without a model the traits are still worth showing; the hint says why it is missing.
      modelError = (err as Error).message;
    }
    try {
      const a = await analyze(item, role, model);
      return modelError ? { ...a, hintError: modelError } : a;
    } finally {
      lease?.release();
    }
  }

  private state(item: LabelItem | undefined, analysis: Analysis | undefined): ViewState {
    const state: ViewState = { file: vscode.workspace.asRelativePath(this.doc.uri), version: this.doc.version, progress: progressOf(this.items) };
    if (!item) return state;
    let position = 0;
    for (let i = 0; i <= this.current; i++) if ('item' in this.items[i]) position++;
    const view: ItemView = {
      line: this.current,
      position,
      prompt: promptMessages(item),
      candidates: item.candidates.map(turnsText),
      traits: analysis?.traits ?? [],
    };
    if (item.label) view.label = { ...item.label };
    if (analysis?.hint) view.hint = analysis.hint;
    if (analysis?.hintError) view.hintError = analysis.hintError;
    state.item = view;
    return state;
  }

  private async post(state: ViewState): Promise<void> {
    const message: HostMessage = { type: 'state', state };
    await this.webview.postMessage(message);
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): an empty annotator is still a valid label.
    return '';
  }
}
