/**
 * Inline per-trait annotations: each scored item's reward and the traits that move it most, where the
 * eye is. A JSONL line (a dialogue, a pair, a line of candidates) is usually far wider than the editor,
 * so its text goes in a CodeLens above the line; a markdown transcript's goes on the blank line below
 * each turn of the scored role. Both get a gutter mark (▲ the reward is positive, ▼ negative) and a
 * hover with every trait's value and contribution; a CodeLens click opens that hover. Candidates show
 * each one's reward and the spread between the best and the worst (↔ in the CodeLens, a
 * blue gutter mark: a spread is a distance, never negative).
 *
 * A file whose records have no turn by the scored role (topical-chat's `agent_1`/`agent_2` under the
 * default `assistant`) says so once, listing the speakers found, with a button per speaker that sets
 * `styletune.role` for the workspace; its lines carry the same choice in their CodeLens and hover.
 *
 * Only what is on screen (plus a margin) is computed, after a short pause in scrolling or typing, and
 * results are cached by content (engine.ts), so a 5,000-turn transcript costs about a screenful per
 * change. `styletune.inlineAnnotations` turns the whole thing off and on live.
 *
 * With a reward model that weighs LLM-judge traits, each item's ratings come from the file's
 * `<name>.ratings.jsonl` or the judge cache; items without them say so, and "Rate with LLM Judge (Visible
 * Items)" (the hover's link) rates what is on screen, after which they are scored like any other.
 */
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { KnownRatings, type RatingsSource } from '../../core/judge/known';
import { RatingsTable, ratingsFileFor } from '../../core/judge/ratings';
import { rankSpeakers } from '../../core/speakers';
import { formatDiagnostic } from '../../core/types';
import { cachedJudgeAnswers, judgeFromSettings } from '../judge';
import { acquireActiveModel, type ModelServices } from '../modelCommands/activeModel';
import { affectsSetting, chooseScoredRole, roleOverride, scoredRole, setting } from '../settings';
import { AnnotationEngine, hoverMarkdown, RATE_VISIBLE_COMMAND, type Annotation, type DocumentFormat, type LineRange, type Unmatched } from './engine';
import { counted } from '../../core/counted';

/** Lines above and below the visible ones computed ahead, so short scrolls show annotations at once. */
const MARGIN_LINES = 100;
const DEBOUNCE_MS = 150;

/** The test-facing command: what the active editor shows right now. */
export const CURRENT_ANNOTATIONS_COMMAND = 'styletune.currentAnnotations';
/** A CodeLens click: the line's hover, with every trait. Arguments: the document's Uri, the 0-based line. */
export const SHOW_DETAILS_COMMAND = 'styletune.annotations.showDetails';
/** Sets `styletune.role` for the workspace. Arguments: the document's Uri, the speakers to choose from (one: no question). */
export const CHOOSE_ROLE_COMMAND = 'styletune.annotations.chooseRole';

export function formatOf(doc: vscode.TextDocument): DocumentFormat | undefined {
  if (doc.uri.scheme === 'styletune-scores' || doc.uri.scheme === 'output') return undefined;
  if (doc.languageId === 'jsonl' || /\.jsonl$/i.test(doc.uri.path)) return 'jsonl';
  if (doc.languageId === 'markdown') return 'markdown';
  return undefined;
}

const enabled = () => setting('inlineAnnotations');

interface Shown {
  version: number;
  annotations: Annotation[];
  /** Items without a turn by `role`: their lines say so instead of scoring. */
  unmatched: Unmatched[];
  role: string;
}

/** Gutter marks: a reward's sign, a candidate set (its spread has none), waiting for judge ratings, no turns by the role. */
type Mark = 'higher' | 'lower' | 'candidates' | 'unrated' | 'unmatched';

class Annotations implements vscode.HoverProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly engine = new AnnotationEngine();
  /** The text after a transcript turn (markdown only: a JSONL line's end is off screen). */
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      margin: '0 0 0 2em',
      color: new vscode.ThemeColor('editorCodeLens.foreground'),
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly marks: Record<Mark, vscode.TextEditorDecorationType>;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  /** Files already told that their speakers do not include the scored role: told once, not on every scroll. */
  private readonly toldUnmatched = new Set<string>();
  private readonly timers = new Map<vscode.TextEditor, NodeJS.Timeout>();
  /** Per editor, the run in progress: callers that need the result (the hover, tests) wait for it. */
  private readonly running = new Map<vscode.TextEditor, Promise<void>>();
  private readonly shown = new Map<vscode.TextEditor, Shown>();
  /** One log line per distinct failure, not one per scroll. */
  private lastError = '';
  /** The last ratings file read, kept while its modification time stays the same. */
  private ratingsFile: { file: string; mtime: number; table: RatingsTable } | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly s: ModelServices,
  ) {
    const mark = (name: Mark, ruler?: string) =>
      vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.joinPath(context.extensionUri, 'media', `annotation-${name}.svg`),
        gutterIconSize: 'contain',
        // The overview ruler shows the whole file's marks at a glance: where the low scores are.
        ...(ruler ? { overviewRulerColor: new vscode.ThemeColor(ruler), overviewRulerLane: vscode.OverviewRulerLane.Left } : {}),
      });
    this.marks = {
      higher: mark('higher', 'charts.green'),
      lower: mark('lower', 'charts.red'),
      candidates: mark('candidates', 'charts.blue'),
      unrated: mark('unrated'),
      unmatched: mark('unmatched'),
    };
  }

  schedule(editor: vscode.TextEditor, delay = DEBOUNCE_MS): void {
    clearTimeout(this.timers.get(editor));
    this.timers.set(
      editor,
      setTimeout(() => {
        this.timers.delete(editor);
        void this.refresh(editor);
      }, delay),
    );
  }

  scheduleAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.schedule(e, 0);
  }

  /** Runs a pending refresh now and waits for it; returns what the editor shows afterwards. */
  async settle(editor: vscode.TextEditor): Promise<Annotation[]> {
    for (;;) {
      const pending = this.timers.has(editor);
      clearTimeout(this.timers.get(editor));
      this.timers.delete(editor);
      const run = this.running.get(editor);
      if (run) await run;
      if (pending || this.shown.get(editor)?.version !== editor.document.version) await this.refresh(editor);
      if (!this.timers.has(editor) && !this.running.has(editor)) return this.shown.get(editor)?.annotations ?? [];
    }
  }

  private refresh(editor: vscode.TextEditor): Promise<void> {
    const prev = this.running.get(editor) ?? Promise.resolve();
    // One run per editor at a time: a second waits, then computes for the latest state.
    const run = prev
      .then(() => this.compute(editor))
      // An editor closed mid-run refuses decorations: nothing to show there any more.
      .catch((err: Error) => this.s.log.warn(`Inline annotations: ${err.message}`))
      .finally(() => {
        if (this.running.get(editor) === run) this.running.delete(editor);
      });
    this.running.set(editor, run);
    return run;
  }

  private async compute(editor: vscode.TextEditor): Promise<void> {
    const doc = editor.document;
    const format = formatOf(doc);
    if (!format || !enabled() || doc.isClosed) return this.clear(editor);
    const version = doc.version;
    const ranges: LineRange[] = editor.visibleRanges.map((r) => ({ start: r.start.line - MARGIN_LINES, end: r.end.line + MARGIN_LINES }));
    if (ranges.length === 0) ranges.push({ start: 0, end: 2 * MARGIN_LINES });
    let annotations: Annotation[];
    let unmatched: Unmatched[];
    let role: string;
    try {
      const lease = await acquireActiveModel(this.s, doc.uri);
      try {
        role = scoredRole(doc.uri, lease.model);
        const source = { id: `${doc.uri.toString()}\0${version}`, lineCount: doc.lineCount, lineAt: (i: number) => doc.lineAt(i).text };
        const judge = lease.model.usesJudge ? await this.knownRatings(doc) : undefined;
        ({ annotations, unmatched } = await this.engine.scan(format, source, ranges, lease.model, judge ? `${lease.key}\0${judge.key}` : lease.key, role, judge?.source));
      } finally {
        lease.release();
      }
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.s.log.warn(`Inline annotations are off for now: ${message}`);
      this.lastError = message;
      return this.clear(editor);
    }
    // Typed over while computing: these line numbers are stale, and a newer run is on its way.
    if (doc.version !== version || !enabled()) return;
    this.lastError = '';
    const texts = format === 'markdown' ? annotations : [];
    editor.setDecorations(
      this.decoration,
      texts.map((a) => ({
        range: new vscode.Range(a.textLine, Number.MAX_SAFE_INTEGER, a.textLine, Number.MAX_SAFE_INTEGER),
        renderOptions: { after: { contentText: a.text } },
      })),
    );
    const byMark: Record<Mark, vscode.Range[]> = { higher: [], lower: [], candidates: [], unrated: [], unmatched: [] };
    for (const a of annotations) byMark[a.unrated ? 'unrated' : a.kind === 'candidates' ? 'candidates' : a.score < 0 ? 'lower' : 'higher'].push(new vscode.Range(a.line, 0, a.line, 0));
    for (const u of unmatched) byMark.unmatched.push(new vscode.Range(u.line, 0, u.line, 0));
    for (const m of Object.keys(byMark) as Mark[]) editor.setDecorations(this.marks[m], byMark[m]);
    const before = this.shown.get(editor);
    this.shown.set(editor, { version, annotations, unmatched, role });
    // CodeLenses are asked for again only when what they would say changed: asking settles, and an
    // unconditional event would loop.
    if (format === 'jsonl' && lensKey(before) !== lensKey(this.shown.get(editor))) this.lensesChanged.fire();
    if (annotations.length === 0 && unmatched.length > 0) this.tellUnmatched(doc, role, unmatched);
  }

  /**
   * Once per file: none of the items on screen has a turn by `role`, so nothing is scored. Names the
   * speakers found, most frequent first, each a button that makes it the scored role for the workspace.
   */
  private tellUnmatched(doc: vscode.TextDocument, role: string, unmatched: readonly Unmatched[]): void {
    const key = doc.uri.toString();
    if (this.toldUnmatched.has(key)) return;
    this.toldUnmatched.add(key);
    const speakers = rankSpeakers(unmatched.map((u) => u.speakers));
    const why = roleOverride(doc.uri) ? 'the speaker `styletune.role` names' : "the reward model's role";
    const name = doc.uri.path.split('/').pop();
    this.s.log.info(`Inline annotations: ${name} has no turns by ${role}; its speakers: ${speakers.join(', ')}`);
    const buttons = speakers.slice(0, 3).map((sp) => `Score ${sp}`);
    void vscode.window
      .showInformationMessage(`StyleTune: ${name} has no turns by "${role}" (${why}) to score. Speakers found: ${speakers.join(', ')}. Whose turns should be scored?`, ...buttons)
      .then((picked) => picked && this.chooseRole(doc.uri, [speakers[buttons.indexOf(picked)]]));
  }

  /** Sets `styletune.role` (workspace settings; user settings when no folder is open) to one of `speakers`. */
  async chooseRole(uri: vscode.Uri, speakers: readonly string[]): Promise<string | undefined> {
    const role = speakers.length === 1 ? speakers[0] : (await vscode.window.showQuickPick([...speakers], { title: 'StyleTune: whose turns to score (styletune.role)' }));
    if (!role) return undefined;
    const where = await chooseScoredRole(role, uri);
    this.s.log.info(`styletune.role = ${role} (${where} settings)`);
    return role;
  }

  /** JSONL files: one lens per item on screen, the score or why there is none. Transcripts keep their text below each turn. */
  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!enabled() || formatOf(doc) !== 'jsonl') return [];
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    if (!editor) return [];
    await this.settle(editor);
    const shown = this.shown.get(editor);
    if (!shown || shown.version !== doc.version) return [];
    const lenses = shown.annotations.map((a) => {
      const range = new vscode.Range(a.line, 0, a.line, 0);
      if (a.unrated) return new vscode.CodeLens(range, { title: `$(circle-large-outline) ${a.text}`, command: RATE_VISIBLE_COMMAND, tooltip: 'Rate the items on screen with the LLM judge in settings' });
      return new vscode.CodeLens(range, { title: `$(${lensIcon(a)}) ${a.text}`, command: SHOW_DETAILS_COMMAND, arguments: [doc.uri, a.line], tooltip: 'Every trait’s value and contribution' });
    });
    for (const u of shown.unmatched) {
      lenses.push(
        new vscode.CodeLens(new vscode.Range(u.line, 0, u.line, 0), {
          title: `$(circle-slash) no turns by "${shown.role}" to score (speakers: ${u.speakers.join(', ')}): choose whose turns…`,
          command: CHOOSE_ROLE_COMMAND,
          arguments: [doc.uri, u.speakers],
          tooltip: 'Sets styletune.role for this workspace',
        }),
      );
    }
    return lenses;
  }

  /**
   * Where a judge-weighing model finds the document's ratings: its ratings file (re-read when it
   * changes) and the cache of the judge in settings. `key` changes whenever a lookup could answer
   * differently, so scores cached under the old key are not reused.
   */
  private async knownRatings(doc: vscode.TextDocument): Promise<{ source: RatingsSource; key: string }> {
    const tables: RatingsTable[] = [];
    let fileKey = '';
    if (doc.uri.scheme === 'file' && /\.jsonl$/i.test(doc.uri.fsPath)) {
      const file = ratingsFileFor(doc.uri.fsPath);
      const mtime = await stat(file).then((st) => st.mtimeMs, () => -1);
      if (mtime >= 0) {
        if (this.ratingsFile?.file !== file || this.ratingsFile.mtime !== mtime) {
          const table = await RatingsTable.load([file]);
          for (const d of table.diagnostics.slice(0, 5)) this.s.log.warn(formatDiagnostic(d));
          this.ratingsFile = { file, mtime, table };
        }
        tables.push(this.ratingsFile.table);
        fileKey = `${file}\0${mtime}`;
      }
    }
    const cached = cachedJudgeAnswers(this.context, doc.uri);
    return { source: new KnownRatings(tables, cached), key: `${fileKey}\0${cached?.judgeName ?? ''}` };
  }

  /**
   * Rates the unrated items on screen with the judge in settings (the hover's link), then shows them
   * scored. Returns what was sent, for tests; undefined when the user stopped it or no judge is set.
   */
  async rateVisible(editor: vscode.TextEditor): Promise<{ rated: number; failed: number; alreadyRated: boolean } | undefined> {
    const visible = (a: Annotation) => editor.visibleRanges.some((r) => a.line <= r.end.line && Math.max(a.endLine, a.textLine) >= r.start.line);
    const pending = (await this.settle(editor)).filter((a) => a.unrated && visible(a));
    if (pending.length === 0) {
      void vscode.window.showInformationMessage('Nothing on screen waits for judge ratings.');
      return { rated: 0, failed: 0, alreadyRated: true };
    }
    const judge = await judgeFromSettings(this.context, editor.document.uri);
    if (!judge) return undefined;
    const jobs = pending.flatMap((a) => a.unrated!.conversations.map((messages) => ({ messages, role: a.unrated!.role, line: a.line })));
    const errors: string[] = [];
    const rated = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rating ${counted(jobs.length, 'conversation')} with ${judge.backend.name}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const onCancel = token.onCancellationRequested(() => abort.abort());
        let done = 0;
        try {
          // The client keeps to its own concurrency and rate limit; a failure is reported, not retried here.
          await Promise.all(
            jobs.map(async (j) => {
              try {
                await judge.rate(j.messages, j.role, abort.signal);
              } catch (err) {
                if (!abort.signal.aborted) errors.push(`line ${j.line + 1}: ${(err as Error).message}`);
              }
              progress.report({ message: `${++done} of ${jobs.length}`, increment: 100 / jobs.length });
            }),
          );
        } finally {
          onCancel.dispose();
        }
        return abort.signal.aborted ? undefined : done - errors.length;
      },
    );
    this.schedule(editor, 0);
    await this.settle(editor);
    if (rated === undefined) {
      void vscode.window.showInformationMessage('Rating cancelled. Answers already received are cached and shown.');
      return undefined;
    }
    for (const e of errors) this.s.log.warn(`Judge: ${e}`);
    if (errors.length > 0) void vscode.window.showWarningMessage(`The judge could not rate ${counted(errors.length, 'conversation')}; the first: ${errors[0]} (all in the StyleTune output).`);
    return { rated, failed: errors.length, alreadyRated: false };
  }

  private clear(editor: vscode.TextEditor): void {
    editor.setDecorations(this.decoration, []);
    for (const m of Object.values(this.marks)) editor.setDecorations(m, []);
    const before = this.shown.get(editor);
    this.shown.set(editor, { version: editor.document.version, annotations: [], unmatched: [], role: before?.role ?? '' });
    if (lensKey(before) !== '') this.lensesChanged.fire();
  }

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    if (!enabled() || !formatOf(doc)) return undefined;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    if (!editor) return undefined;
    const a = (await this.settle(editor)).find((x) => x.line <= pos.line && pos.line <= Math.max(x.endLine, x.textLine));
    if (!a) return this.unmatchedHover(editor, pos);
    const md = new vscode.MarkdownString(hoverMarkdown(a));
    // The one command link the hover may run: rating what is on screen.
    if (a.unrated) md.isTrusted = { enabledCommands: [RATE_VISIBLE_COMMAND] };
    const last = Math.max(a.endLine, a.textLine);
    return new vscode.Hover(md, new vscode.Range(a.line, 0, last, doc.lineAt(last).text.length));
  }

  /** On an item without a turn by the scored role: why nothing is scored, and the choice of speaker. */
  private unmatchedHover(editor: vscode.TextEditor, pos: vscode.Position): vscode.Hover | undefined {
    const shown = this.shown.get(editor);
    const u = shown?.unmatched.find((x) => x.line <= pos.line && pos.line <= x.endLine);
    if (!shown || !u) return undefined;
    const link = (sp: string) => `[${sp}](command:${CHOOSE_ROLE_COMMAND}?${encodeURIComponent(JSON.stringify([editor.document.uri, [sp]]))})`;
    const md = new vscode.MarkdownString(
      `**StyleTune**: no turns by \`${shown.role}\` to score here (\`styletune.role\`, else the reward model's role).\n\nSpeakers: ${u.speakers.map(link).join(' · ')}: click one to score its turns in this workspace.`,
    );
    md.isTrusted = { enabledCommands: [CHOOSE_ROLE_COMMAND] };
    return new vscode.Hover(md, new vscode.Range(u.line, 0, u.endLine, editor.document.lineAt(u.endLine).text.length));
  }

  /** A CodeLens click: the hover at the start of the item's line. */
  async showDetails(uri: vscode.Uri, line: number): Promise<void> {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()) ?? (await vscode.window.showTextDocument(uri));
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    const at = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(at, at);
    await vscode.commands.executeCommand('editor.action.showHover');
  }

  visibleEditorsChanged(editors: readonly vscode.TextEditor[]): void {
    // Editors that left the screen take their state with them; new ones get annotated.
    for (const e of [...this.shown.keys(), ...this.timers.keys()]) {
      if (editors.includes(e)) continue;
      clearTimeout(this.timers.get(e));
      this.timers.delete(e);
      this.shown.delete(e);
    }
    for (const e of editors) if (!this.shown.has(e)) this.schedule(e, 0);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.decoration.dispose();
    for (const m of Object.values(this.marks)) m.dispose();
    this.lensesChanged.dispose();
  }
}

/** ▲/▼ by the sign of a reward or margin; a candidate set's spread is a distance, never negative. */
function lensIcon(a: Annotation): string {
  return a.kind === 'candidates' ? 'arrow-both' : a.score < 0 ? 'arrow-down' : 'arrow-up';
}

/** What the CodeLenses of a state would say, to tell whether they changed. */
function lensKey(shown: Shown | undefined): string {
  if (!shown) return '';
  return [...shown.annotations.map((a) => `${a.line}\0${a.text}`), ...shown.unmatched.map((u) => `${u.line}\0${shown.role}\0${u.speakers.join()}`)].join('\n');
}

/** The speakers of the unmatched items, most items first (ties: first seen first). */
export function registerAnnotations(context: vscode.ExtensionContext, s: ModelServices): void {
  const a = new Annotations(context, s);
  const ratingsWatcher = vscode.workspace.createFileSystemWatcher('**/*.ratings.jsonl');
  const selector: vscode.DocumentSelector = [{ language: 'jsonl' }, { language: 'markdown' }, { pattern: '**/*.jsonl' }];
  context.subscriptions.push(
    a,
    vscode.languages.registerHoverProvider(selector, a),
    vscode.languages.registerCodeLensProvider(selector, a),
    vscode.commands.registerCommand(SHOW_DETAILS_COMMAND, (uri: vscode.Uri, line: number) => a.showDetails(uri, line)),
    vscode.commands.registerCommand(CHOOSE_ROLE_COMMAND, (uri: vscode.Uri, speakers: string[]) => a.chooseRole(vscode.Uri.from(uri), speakers)),
    vscode.window.onDidChangeVisibleTextEditors((editors) => a.visibleEditorsChanged(editors)),
    vscode.window.onDidChangeTextEditorVisibleRanges((e) => a.schedule(e.textEditor)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length === 0) return;
      for (const editor of vscode.window.visibleTextEditors) if (editor.document === e.document) a.schedule(editor);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSetting(e, ['inlineAnnotations', 'rewardModelPath', 'role', 'judge.model'])) a.scheduleAll();
    }),
    // New judge ratings beside a JSONL (Rate with LLM Judge, the CLI) change what a judge-weighing model can score.
    ratingsWatcher,
    ratingsWatcher.onDidCreate(() => a.scheduleAll()),
    ratingsWatcher.onDidChange(() => a.scheduleAll()),
    ratingsWatcher.onDidDelete(() => a.scheduleAll()),
    vscode.commands.registerCommand(RATE_VISIBLE_COMMAND, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || !formatOf(editor.document)) {
        void vscode.window.showWarningMessage('Open a transcript or a JSONL file whose inline annotations wait for judge ratings.');
        return undefined;
      }
      return a.rateVisible(editor);
    }),
    // Returns plain data (no vscode classes) so tests can compare it; `uri`: another visible editor.
    vscode.commands.registerCommand(CURRENT_ANNOTATIONS_COMMAND, async (uri?: vscode.Uri) => {
      const editor = uri ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()) : vscode.window.activeTextEditor;
      return editor ? a.settle(editor) : [];
    }),
  );
  a.scheduleAll();
}
