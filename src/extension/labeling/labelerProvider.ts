/**
 * The pair labeler: a custom *text* editor on a JSONL file (the pattern of VS Code's custom-editor-sample).
 * The TextDocument is the single source of truth: the webview sends intents, this host turns them into
 * WorkspaceEdits on exactly one line, and re-renders from the document on every change. So undo, redo,
 * save, hot exit and the dirty dot are VS Code's own, and a text editor open on the same file stays in sync.
 */
import { performance } from 'node:perf_hooks';
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
import { isLabelKey, isWebviewMessage, type HostMessage, type ItemView, type LabelKey, type ViewState, type WebviewMessage } from '../../../webview/labeling/protocol';
import type { ModelCache } from '../modelCache';
import { activeModelFile } from '../modelCommands/activeModel';
import { annotator, scoredRole } from '../settings';
import { analyze, promptMessages, type Analysis } from './analysis';
import { WebviewHost } from '../webviewHost';
import { labelerPage } from './html';
import { welcomeLabeled } from '../welcome';

export const LABELER_VIEW_TYPE = 'styletune.pairLabeler';

export interface LabelerServices {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  models: ModelCache;
}

export class PairLabelerProvider implements vscode.CustomTextEditorProvider {
  private readonly sessions = new Map<vscode.WebviewPanel, LabelerSession>();

  constructor(private readonly s: LabelerServices) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    let session: LabelerSession | undefined;
    const host = WebviewHost.adopt<WebviewMessage, HostMessage>(panel, {
      name: 'Pair labeler',
      extensionUri: vscode.Uri.file(this.s.extensionPath),
      log: this.s.log,
      page: labelerPage(vscode.workspace.asRelativePath(document.uri)),
      validate: isWebviewMessage,
      receive: (m: WebviewMessage) => {
        if (m.type === 'ready') session?.ready();
        else if (m.type === 'key') session?.key(m.key);
        else if (m.type === 'focus' && session) session.pageFocused = m.focused;
      },
      // A hidden labeler is re-rendered from the document on `ready`: what it missed meanwhile needs no queue.
      resendsOnReady: true,
      onDispose: () => {
        this.sessions.delete(panel);
        this.syncRankingContext();
      },
    });
    session = new LabelerSession(document, (m) => host.post(m), this.s, () => this.syncRankingContext());
    this.sessions.set(panel, session);
    const live = session;
    for (const d of [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === document.uri.toString() && e.contentChanges.length > 0) live.documentChanged(e.contentChanges);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('styletune', document.uri)) live.configurationChanged();
      }),
      panel.onDidChangeViewState(() => this.syncRankingContext()),
    ])
      host.register(d);
  }

  private rankingContext = false;

  /** Esc and Backspace clear a ranking being pressed; they are bound only then (VS Code has other uses for them). */
  private syncRankingContext(): void {
    const on = [...this.sessions].some(([panel, session]) => panel.active && session.ranking.length > 0);
    if (on === this.rankingContext) return;
    this.rankingContext = on;
    void vscode.commands.executeCommand('setContext', 'styletune.labeler.ranking', on);
  }

  /**
   * A key from the `styletune.labeler.key` keybindings: for the labeler in the active editor. They also run
   * while focus is on the workbench itself (nothing focused, as after the command palette closed while the
   * machine was busy): the key labels, but the page, without focus, said "Keys go elsewhere". Such a key
   * brings focus into the page, so what the page says is true again.
   */
  key(k: unknown): void {
    if (!isLabelKey(k)) return;
    for (const [panel, session] of this.sessions) {
      if (!panel.active) continue;
      session.key(k);
      if (!session.pageFocused) panel.reveal(panel.viewColumn, false);
    }
  }
}

/** Lines parsed between two looks at the event loop while a big file is read. */
const READ_SLICE_MS = 15;
/** How often the "reading" progress is posted. */
const READ_POST_MS = 150;
/** An edit whose change event never comes (the document closed under it) must not stall the key queue. */
const CHANGE_WAIT_MS = 5_000;

/**
 * One open labeler: which item it shows, a ranking being pressed, and the rendering of the item.
 * Keys are handled one after another (a queue), each on the state the previous one left, so keys typed
 * faster than a label is written still land on the items they were meant for.
 */
class LabelerSession {
  /** By document line; while the file is read only the first `parsed` are there. */
  private items: ParsedLine[] = [];
  private parsed = 0;
  private readonly read: Promise<void>;
  private current = -1;
  /** Candidate numbers pressed so far on an item with three candidates or more. */
  ranking: number[] = [];
  /** What the page last said of its focus (a key that labels while it is elsewhere brings focus back). */
  pageFocused = true;
  private readDone = false;
  /** Whether the whole file was read before the page first said ready (then its first item could not
   * have shown earlier: the page was not there). Undefined until that first ready. */
  private readBeforePage: boolean | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The line a decision was just written to: when its change arrives, move on to the next item. */
  private advanceFrom: number | undefined;
  private changeArrived: (() => void) | undefined;
  private renderSerial = 0;
  private readonly analyses = new Map<string, Analysis>();

  constructor(
    private readonly doc: vscode.TextDocument,
    private readonly send: (m: HostMessage) => void,
    private readonly s: LabelerServices,
    private readonly rankingChanged: () => void,
  ) {
    this.read = this.readDocument();
  }

  /** The webview (re)loaded: show what there is, even before the file is read to its end. */
  ready(): void {
    this.readBeforePage ??= this.readDone;
    void this.render();
  }

  key(k: LabelKey): void {
    this.queue = this.queue
      .then(async () => {
        await this.read;
        await this.handle(k);
      })
      .catch((err: Error) => {
        this.s.log.error(`Pair labeler: ${err.stack ?? err}`);
        void vscode.window.showErrorMessage(`Pair labeling failed: ${err.message}`);
      });
  }

  /**
   * Parses the document in slices, giving the event loop back between them, and shows the first item
   * as soon as it is parsed: a 5,000-pair file shows its first pair at once, not after every line.
   * An edit while reading (the document's version moves) starts the reading again.
   */
  private async readDocument(): Promise<void> {
    let lastPost = performance.now();
    for (;;) {
      const version = this.doc.version;
      this.items = [];
      this.parsed = 0;
      let shown = this.current >= 0;
      const n = this.doc.lineCount;
      while (this.parsed < n && this.doc.version === version) {
        const sliceEnd = performance.now() + READ_SLICE_MS;
        do {
          const parsed = parseLine(this.doc.lineAt(this.parsed).text);
          this.items.push(parsed);
          // Where labeling starts: the first item without a label.
          if (!shown && 'item' in parsed && !parsed.item.label) {
            this.current = this.parsed;
            shown = true;
            lastPost = 0;
          }
          this.parsed++;
        } while (this.parsed < n && performance.now() < sliceEnd);
        if (performance.now() - lastPost >= READ_POST_MS && this.parsed < n) {
          lastPost = performance.now();
          void this.render();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.doc.version !== version) continue;
      if (this.current < 0 || this.current >= n) this.current = stepItem(this.items, -1, 1);
      this.move(this.current);
      this.readDone = true;
      void this.render();
      return;
    }
  }

  private async handle(k: LabelKey): Promise<void> {
    const parsed = this.items[this.current];
    const item = parsed && 'item' in parsed ? parsed.item : undefined;
    if (/^[1-9]$/.test(k)) {
      if (!item) return;
      const n = Number(k);
      const count = item.candidates.length;
      if (n > count) return;
      if (count === 2) return this.decide({ choice: n === 1 ? '1' : '2' });
      if (this.ranking.includes(n)) return;
      this.ranking.push(n);
      // The last candidate's place is implied once all the others are ranked.
      if (this.ranking.length === count - 1) {
        const last = [...Array(count).keys()].map((i) => i + 1).find((i) => !this.ranking.includes(i))!;
        return this.decide({ choice: 'rank', ranking: [...this.ranking, last] });
      }
      return this.render();
    }
    switch (k) {
      case 't':
        return this.decide({ choice: 'tie' });
      case 's':
        return this.decide({ choice: 'skip' });
      case 'u':
      case 'r':
        // VS Code's own undo, on this editor's document (the active one while the labeler has focus).
        await vscode.commands.executeCommand(k === 'u' ? 'undo' : 'redo');
        return;
      case 'j':
      case 'ArrowRight':
        return this.show(stepItem(this.items, this.current, 1));
      case 'k':
      case 'ArrowLeft':
        return this.show(stepItem(this.items, this.current, -1));
      case 'n': {
        const next = nextUnlabeled(this.items, this.current);
        return next >= 0 ? this.show(next) : undefined;
      }
      case 'Escape':
      case 'Backspace':
        if (this.ranking.length === 0) return;
        this.ranking = [];
        return this.render();
    }
  }

  private show(line: number): Promise<void> {
    this.move(line);
    return this.render();
  }

  private async decide(decision: Decision): Promise<void> {
    const line = this.current;
    const parsed = this.items[line];
    this.ranking = [];
    if (!parsed || !('item' in parsed) || !decisionFits(decision, parsed.item.candidates.length)) return this.render();
    const text = this.doc.lineAt(line).text;
    const labeled = applyDecision(text, decision, { time: new Date().toISOString(), annotator: annotator(this.doc.uri) });
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.doc.uri, this.doc.lineAt(line).range, labeled);
    this.advanceFrom = line;
    // The next key must see the item this label moves to: wait for the change to come back.
    const arrived = new Promise<void>((resolve) => (this.changeArrived = resolve));
    if (!(await vscode.workspace.applyEdit(edit))) {
      this.advanceFrom = undefined;
      this.changeArrived = undefined;
      void this.render();
      throw new Error(`could not write the label to line ${line + 1}`);
    }
    if (decision.choice !== 'skip') welcomeLabeled();
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, CHANGE_WAIT_MS))]);
  }

  documentChanged(changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    // While reading, the reader notices the new version and starts again.
    if (!this.readDone) return;
    this.update(changes);
    const advance = this.advanceFrom;
    this.advanceFrom = undefined;
    const before = this.current;
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
    if (this.current !== before || touched === this.current) this.ranking = [];
    const arrived = this.changeArrived;
    this.changeArrived = undefined;
    arrived?.();
    void this.render();
  }

  /** Parses only the lines a change touched (a label is one line of thousands), else the whole text again. */
  private update(changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    if (changes.length === 1) {
      const { range, text } = changes[0];
      const added = text.split('\n').length;
      const fresh: ParsedLine[] = [];
      for (let i = range.start.line; i < range.start.line + added; i++) fresh.push(parseLine(this.doc.lineAt(i).text));
      this.items.splice(range.start.line, range.end.line - range.start.line + 1, ...fresh);
    }
    if (changes.length !== 1 || this.items.length !== this.doc.lineCount) {
      this.items = [];
      for (let i = 0; i < this.doc.lineCount; i++) this.items.push(parseLine(this.doc.lineAt(i).text));
    }
    this.parsed = this.items.length;
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
    this.rankingChanged();
    const parsed = this.items[this.current];
    const item = parsed && 'item' in parsed ? parsed.item : undefined;
    const text = item ? this.doc.lineAt(this.current).text : '';
    const cached = this.analyses.get(text);
    this.post(this.state(item, cached));
    if (!item || cached) return;
    let analysis: Analysis;
    try {
      analysis = await this.analyze(item);
      this.analyses.set(text, analysis);
    } catch (err) {
      analysis = { traits: [], hintError: (err as Error).message };
    }
    if (serial === this.renderSerial) this.post(this.state(item, analysis));
  }

  private async analyze(item: LabelItem): Promise<Analysis> {
    let model: RewardModel | undefined;
    let lease: Awaited<ReturnType<ModelCache['acquire']>> | undefined;
    let modelError: string | undefined;
    try {
      lease = await this.s.models.acquire(activeModelFile(this.s, this.doc.uri));
      model = lease.model;
    } catch (err) {
      // Without a model the traits are still worth showing; the hint says why it is missing.
      modelError = (err as Error).message;
    }
    try {
      const a = await analyze(item, scoredRole(this.doc.uri, model), model);
      return modelError ? { ...a, hintError: modelError } : a;
    } finally {
      lease?.release();
    }
  }

  private state(item: LabelItem | undefined, analysis: Analysis | undefined): ViewState {
    const state: ViewState = { file: vscode.workspace.asRelativePath(this.doc.uri), version: this.doc.version, progress: progressOf(this.items), ranking: [...this.ranking] };
    if (!this.readDone) state.reading = { lines: this.parsed, of: this.doc.lineCount };
    if (this.readBeforePage) state.readBeforePage = true;
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

  private post(state: ViewState): void {
    this.send({ type: 'state', state });
  }
}
