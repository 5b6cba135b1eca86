/**
 * One inspector panel per JSONL file. The rows live here, in the extension host; the webview asks for
 * the window it shows. Scoring runs in chunks in the background (src/core/inspectScoring.ts), and the
 * file is scored again when it changes on disk or in an editor.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { DEFAULT_QUERY, inspectStats, queryRows, topTraits, TraitColumns, type InspectRow } from '../../core/inspect';
import { explainLine } from '../../core/inspectDetail';
import { InspectPool, readSource, sourceFromText, type LineSource } from '../../core/inspectPool';
import { scoreTextInChunks } from '../../core/inspectScoring';
import { lineText } from '../../core/lineIndex';
import type { JudgeCache } from '../../core/judge/cache';
import { KnownRatings } from '../../core/judge/known';
import { RatingsTable, ratingsFileFor } from '../../core/judge/ratings';
import { featureInfo } from '../../core/judge/traits';
import { DomainCheck } from '../../core/reward/domain';
import type { RewardModel } from '../../core/reward/model';
import { rankSpeakers } from '../../core/speakers';
import { formatDiagnostic, type Diagnostic } from '../../core/types';
import { isViewMessage, type FileKind, type HostMessage, type Query, type RowData, type ViewMessage, type ViewState } from '../../../webview/inspector/protocol';
import type { ModelCache } from '../modelCache';
import { activeModelFile } from '../modelCommands/activeModel';
import { affectsSetting, chooseScoredRole, roleOverride } from '../settings';
import { WebviewHost } from '../webviewHost';
import { inspectorPage } from './html';
import { counted } from '../../core/counted';

export const INSPECTOR_VIEW_TYPE = 'styletune.inspector';
/** Trait columns shown by default: the ones with the largest |weight|. */
const DEFAULT_COLUMNS = 10;
/** How often the order and the histograms are recomputed while scoring streams in. */
const VIEW_EVERY_MS = 250;
const STATS_EVERY_MS = 1000;

export interface InspectorServices {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  diagnostics: vscode.DiagnosticCollection;
  models: ModelCache;
  /** The cached answers of the judge in settings, for a model that weighs judge traits (judge/index.ts). */
  judgeAnswers(uri: vscode.Uri): { cache: JudgeCache; judgeName: string } | undefined;
}

/** What the command returns (tests read it): the state after the latest scoring run. */
export interface InspectorSummary {
  file: string;
  kind: string;
  rows: number;
  problems: number;
  lines: number;
  /** From the start of the run to the first rows being ready for the webview. */
  firstRowsMs: number;
  ms: number;
  /** Line numbers in the current order (first 1000). */
  order: number[];
  /** The reward model file this run scored with. */
  model: string;
  /** Runs of this panel that were abandoned for a newer one (file edits, another model). */
  abortedRuns: number;
  /** The reward model's out-of-domain notice for this file, shown above the table; absent when within its domain. */
  outOfDomain?: string;
  /** Most lines have no turns by `role`: the speakers they have instead, offered above the table as the role to score. */
  missingRole?: { role: string; lines: number; speakers: string[] };
}

export class InspectorPanel {
  private static readonly open = new Map<string, InspectorPanel>();

  private rows: InspectRow[] = [];
  /** The row kinds seen in this run: the table's columns follow them. */
  private kinds = new Set<InspectRow['kind']>();
  private problems: Diagnostic[] = [];
  private order: Int32Array = new Int32Array(0);
  private version = 0;
  private query: Query = DEFAULT_QUERY;
  /** Which of the page's queries `query` is (the page numbers them from 1 on each load; 0 before its first). */
  private querySeq = 0;
  private shown: string[] = [];
  private selected: number | undefined;
  private cols: TraitColumns | undefined;
  private model: RewardModel | undefined;
  /** The scored bytes (the editor's text when open) and where each line starts. */
  private source: LineSource = sourceFromText('');
  private total = 0;
  private done = 0;
  private finished = false;
  private abort: AbortController | undefined;
  private run: Promise<InspectorSummary> | undefined;
  private rerun: ReturnType<typeof setTimeout> | undefined;
  private summary: InspectorSummary | undefined;
  private readonly host: WebviewHost<ViewMessage, HostMessage>;
  private releaseModel: (() => void) | undefined;
  private modelFile = '';
  private modelGeneration = 0;
  private judge: KnownRatings | undefined;
  private abortedRuns = 0;
  /** What the page shows above the table after the latest run (sent again when the page is made anew). */
  private notice: Extract<HostMessage, { type: 'notice' }> = { type: 'notice', message: '' };

  private static sharedPool: InspectPool | undefined;

  /** The scoring threads every inspector shares (started by the first big file, ended when idle). */
  private static pool(s: InspectorServices): InspectPool {
    InspectorPanel.sharedPool ??= new InspectPool(join(s.extensionPath, 'dist', 'inspectWorker.js'));
    return InspectorPanel.sharedPool;
  }

  /** Ends the scoring threads (extension deactivation). */
  static disposePool(): void {
    InspectorPanel.sharedPool?.dispose();
    InspectorPanel.sharedPool = undefined;
  }

  static async show(s: InspectorServices, uri: vscode.Uri): Promise<InspectorSummary | undefined> {
    const existing = InspectorPanel.open.get(uri.toString());
    if (existing) {
      existing.host.panel.reveal();
      return existing.settled();
    }
    return new InspectorPanel(s, uri).settled();
  }

  /** The serializer's path: a panel VS Code kept across a reload, with the webview's last state. */
  static revive(s: InspectorServices, panel: vscode.WebviewPanel, state: ViewState): void {
    const p = new InspectorPanel(s, vscode.Uri.parse(state.uri), panel);
    p.query = state.query;
    p.shown = state.shown;
    p.selected = state.selected;
  }

  private constructor(
    private readonly s: InspectorServices,
    private readonly uri: vscode.Uri,
    restored?: vscode.WebviewPanel,
  ) {
    const options = {
      name: 'Inspector',
      extensionUri: vscode.Uri.file(s.extensionPath),
      log: s.log,
      page: inspectorPage(),
      validate: isViewMessage,
      receive: (m: ViewMessage) => this.receive(m),
      resendsOnReady: true,
      onDispose: () => this.dispose(),
    };
    this.host = WebviewHost.open(restored, { viewType: INSPECTOR_VIEW_TYPE, title: `Inspect ${basename(uri.path)}`, showOptions: vscode.ViewColumn.Active }, options);
    InspectorPanel.open.set(uri.toString(), this);
    const later = () => this.scheduleRerun();
    const folder = vscode.Uri.joinPath(uri, '..');
    const watcher = uri.scheme === 'file' ? vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, basename(uri.path))) : undefined;
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsSetting(e, ['rewardModelPath', 'role'], uri)) return;
        // Another model may have other traits: the next run loads it and starts from its top traits.
        this.abort?.abort();
        this.forgetModel();
        this.shown = [];
        later();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === uri.toString() && e.contentChanges.length > 0) later();
      }),
    );
    if (watcher) this.register(watcher, watcher.onDidChange(later), watcher.onDidCreate(later));
    // A judge model's scores follow where its ratings come from: the ratings file and the judge in settings.
    const judgeLater = () => {
      if (this.model?.usesJudge) later();
    };
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSetting(e, ['judge.model'], uri)) judgeLater();
      }),
    );
    if (uri.scheme === 'file') {
      const ratings = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, basename(ratingsFileFor(uri.fsPath))));
      this.register(ratings, ratings.onDidChange(judgeLater), ratings.onDidCreate(judgeLater), ratings.onDidDelete(judgeLater));
    }
    this.run = this.score();
  }

  /** Held until the panel closes. */
  private register(...ds: vscode.Disposable[]): void {
    for (const d of ds) this.host.register(d);
  }

  /** The summary once no scoring run is running or scheduled. */
  async settled(): Promise<InspectorSummary | undefined> {
    for (;;) {
      const run = this.run;
      let summary: InspectorSummary | undefined;
      try {
        summary = await run;
      } catch (err) {
        // A run abandoned for a newer one may fail on its way out; only the newest run's failure counts.
        if (this.run === run && this.rerun === undefined) throw err;
      }
      if (this.run === run && this.rerun === undefined) return summary;
      if (this.rerun !== undefined) await new Promise((r) => setTimeout(r, 100));
    }
  }

  private scheduleRerun(): void {
    if (this.rerun) clearTimeout(this.rerun);
    this.rerun = setTimeout(() => {
      this.rerun = undefined;
      this.abort?.abort();
      const previous = this.run;
      this.run = (previous ?? Promise.resolve(undefined)).catch(() => undefined).then(() => this.score());
    }, 300);
  }

  private post(m: HostMessage): void {
    this.host.post(m);
  }

  /**
   * The current setting's model. A model change during the load (forgetModel) makes it load again, so a
   * run never keeps a model that the settings have already replaced.
   */
  private async currentModel(): Promise<RewardModel> {
    while (!this.model) {
      const generation = this.modelGeneration;
      const loaded = await this.loadModel();
      if (generation === this.modelGeneration) {
        this.model = loaded.model;
        this.releaseModel = loaded.release;
        this.modelFile = loaded.file;
      } else loaded.release();
    }
    return this.model;
  }

  private async loadModel(): Promise<{ model: RewardModel; release: () => void; file: string }> {
    const file = activeModelFile(this.s, this.uri);
    // Held until the panel closes or the setting changes: the cache disposes a replaced model only
    // once its users let go.
    const lease = await this.s.models.acquire(file);
    return { model: lease.model, release: () => lease.release(), file };
  }

  /**
   * A model that weighs LLM-judge traits scores with ratings already paid for, as the inline annotations
   * do: the ratings "Rate with LLM Judge" wrote beside the file (`<name>.ratings.jsonl`, read again on
   * every run so a fresh rating shows at once), then the cache of the judge in settings. A line with
   * neither is a problem row, never scored with made-up ratings.
   */
  private async judgeRatings(model: RewardModel): Promise<KnownRatings> {
    const ratingsFile = this.uri.scheme === 'file' ? ratingsFileFor(this.uri.fsPath) : undefined;
    const tables: RatingsTable[] = [];
    if (ratingsFile && existsSync(ratingsFile)) {
      const table = await RatingsTable.load([ratingsFile]);
      for (const d of table.diagnostics.slice(0, 20)) this.s.log.warn(formatDiagnostic(d));
      tables.push(table);
    }
    const cached = this.s.judgeAnswers(this.uri);
    if (tables.length === 0 && !cached) {
      const beside = ratingsFile ? `${basename(ratingsFile)} is not beside this file and ` : '';
      throw new Error(`${basename(model.file)} weighs LLM-judge ratings: ${beside}no judge is set (styletune.judge.model). Rate the file first (StyleTune: Rate with LLM Judge).`);
    }
    return new KnownRatings(tables, cached);
  }

  /**
   * The document's text when open (unsaved edits included), else the file on disk, read straight into
   * shared memory for the scoring threads.
   */
  private async readSource(): Promise<LineSource> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.uri.toString());
    if (doc) return sourceFromText(doc.getText());
    if (this.uri.scheme === 'file') return readSource(this.uri.fsPath);
    return sourceFromText(new TextDecoder().decode(await vscode.workspace.fs.readFile(this.uri)));
  }

  /** Line `line`'s text (1-based) as scored. */
  private lineText(line: number): string | undefined {
    return lineText(this.source.buf, this.source.index, line);
  }

  private async score(): Promise<InspectorSummary> {
    const t0 = performance.now();
    const abort = new AbortController();
    this.abort = abort;
    try {
      await this.currentModel();
    } catch (err) {
      const message = `Cannot load the reward model: ${(err as Error).message}`;
      this.s.log.error(message);
      this.post({ type: 'error', message });
      throw err;
    }
    const model = this.model!;
    try {
      this.judge = model.usesJudge ? await this.judgeRatings(model) : undefined;
    } catch (err) {
      const message = (err as Error).message;
      this.s.log.error(`Inspector: ${message}`);
      this.post({ type: 'error', message });
      throw err;
    }
    this.cols ??= new TraitColumns(model.spec);
    if (this.shown.length === 0) this.shown = topTraits(model.spec, DEFAULT_COLUMNS);
    this.source = await this.readSource();
    this.total = this.source.index.nonBlank;
    const rows: InspectRow[] = [];
    const problems: Diagnostic[] = [];
    this.rows = rows;
    this.kinds = new Set();
    this.problems = problems;
    this.done = 0;
    this.finished = false;
    let firstRowsMs = -1;
    let notice: string | undefined;
    let missing: InspectorSummary['missingRole'];
    // Fed chunk by chunk (not once at the end: a 100,000-pair file would block the host ~0.2 s there).
    const domain = new DomainCheck(model.traitIds, model.spec.domain);
    const k = model.traitIds.length;
    let lastView = 0;
    let lastStats = 0;
    const role = roleOverride(this.uri);
    const file = this.uri.scheme === 'file' ? this.uri.fsPath : this.uri.toString();
    this.sendInit();
    this.refresh(true);
    // A selection restored after a reload arrived before the model and the text: show it now.
    if (this.selected !== undefined) void this.select(this.selected);
    const onChunk = (chunk: { rows: InspectRow[]; problems: Diagnostic[]; linesDone: number }) => {
      const kindBefore = this.kind();
      for (const r of chunk.rows) {
        rows.push(r);
        this.kinds.add(r.kind);
        if (domain.available) {
          domain.addModelRow(r.values);
          if (r.values.length >= 2 * k) domain.addModelRow(r.values, k);
        }
      }
      for (const p of chunk.problems) problems.push(p);
      this.done = chunk.linesDone;
      const now = performance.now();
      if (firstRowsMs < 0) firstRowsMs = now - t0;
      if (this.kind() !== kindBefore) this.sendInit();
      this.sendProgress(false);
      if (now - lastView >= VIEW_EVERY_MS) {
        lastView = now;
        this.refresh(now - lastStats >= STATS_EVERY_MS);
        if (now - lastStats >= STATS_EVERY_MS) lastStats = now;
      }
    };
    // Judge ratings live on this thread (settings, secret-backed cache): such a model scores here.
    const result = this.judge
      ? await scoreTextInChunks(new TextDecoder().decode(this.source.buf), file, model, { role, signal: abort.signal, judge: this.judge, onChunk })
      : await InspectorPanel.pool(this.s).score(this.source, file, model, {
          role,
          signal: abort.signal,
          onChunk,
          onWorkerLost: (err) => this.s.log.warn(`Inspector: a scoring thread ended (${err.message}); the others go on`),
        });
    if (result.aborted) this.abortedRuns++;
    else {
      this.s.diagnostics.set(this.uri, problems.map((d) => this.toVscode(d)));
      this.finished = true;
      this.refresh(true);
      this.sendProgress(true);
      notice = domain.verdict()?.notice;
      if (notice) this.s.log.warn(`Inspector: ${vscode.workspace.asRelativePath(this.uri)}: ${notice}`);
      missing = missingRoleOf(problems, result.lines);
      // The role first: with it wrong there are few rows, and the rows the domain check saw are not the file's.
      this.notice = missing
        ? { type: 'notice', message: missingRoleText(missing, !!role), speakers: missing.speakers.slice(0, 3) }
        : { type: 'notice', message: notice ?? '' };
      if (missing) this.s.log.info(`Inspector: ${vscode.workspace.asRelativePath(this.uri)}: ${missing.lines} lines have no turns by ${missing.role}; speakers: ${missing.speakers.join(', ')}`);
      this.post(this.notice);
      this.s.log.info(`Inspector: ${vscode.workspace.asRelativePath(this.uri)}: ${rows.length} rows, ${problems.length} problems in ${Math.round(performance.now() - t0)} ms`);
    }
    this.summary = {
      file,
      kind: this.kind(),
      rows: rows.length,
      problems: problems.length,
      lines: result.lines,
      firstRowsMs: Math.max(firstRowsMs, 0),
      ms: performance.now() - t0,
      order: Array.from(this.order.subarray(0, 1000), (i) => rows[i].line),
      model: this.modelFile,
      abortedRuns: this.abortedRuns,
      ...(notice ? { outOfDomain: notice } : {}),
      ...(missing ? { missingRole: missing } : {}),
    };
    return this.summary;
  }

  /** One kind, or 'mixed' (a pairs file being labeled holds decided pairs and candidate sets). */
  private kind(): FileKind {
    if (this.kinds.size === 0) return 'empty';
    return this.kinds.size === 1 ? [...this.kinds][0] : 'mixed';
  }

  private sendInit(): void {
    if (!this.model) return;
    const spec = this.model.spec;
    const traits = spec.traitIds.map((id, j) => ({ id, ...featureInfo(id), weight: spec.weights[j] }));
    this.post({
      type: 'init',
      file: vscode.workspace.asRelativePath(this.uri),
      uri: this.uri.toString(),
      kind: this.kind(),
      traits,
      shown: this.shown,
      query: this.query,
      selected: this.selected,
    });
  }

  private sendProgress(finished: boolean): void {
    this.post({ type: 'progress', done: this.done, total: this.total, rows: this.rows.length, problems: this.problems.length, finished });
  }

  /** New order for the current query; the webview then asks for the rows it shows. */
  private refresh(withStats: boolean): void {
    if (!this.cols) return;
    this.order = queryRows(this.rows, this.cols, this.query);
    this.version++;
    this.post({ type: 'view', version: this.version, total: this.order.length, seq: this.querySeq });
    if (withStats && this.rows.length > 0) {
      const stats = inspectStats(this.rows, this.cols);
      this.post({ type: 'stats', traits: stats.traits, scores: stats.scores, agreement: stats.agreement, ranked: stats.ranked });
    }
  }

  private receive(m: ViewMessage): void {
    switch (m.type) {
      case 'ready':
        // A new page numbers its queries from 1 again.
        this.querySeq = 0;
        this.sendInit();
        this.sendProgress(this.finished);
        if (this.finished) this.post(this.notice);
        this.refresh(true);
        if (this.selected !== undefined) void this.select(this.selected);
        break;
      case 'query':
        this.query = m.query;
        this.querySeq = m.seq;
        this.refresh(false);
        break;
      case 'getRows':
        if (m.version === this.version) this.post({ type: 'rows', version: m.version, start: m.start, rows: this.rowData(m.start, m.end) });
        break;
      case 'select':
        void this.select(m.line);
        break;
      case 'chooseRole':
        // Only a speaker the notice offered: the page does not get to write any setting it likes.
        if (!this.notice.speakers?.includes(m.role)) {
          this.s.log.warn(`Inspector: ignored a role the notice did not offer (${JSON.stringify(m.role)})`);
          break;
        }
        void chooseScoredRole(m.role, this.uri).then((where) => this.s.log.info(`styletune.role = ${m.role} (${where} settings), chosen in the inspector`));
        break;
      case 'reveal':
        void vscode.window.showTextDocument(this.uri, { selection: new vscode.Range(m.line - 1, 0, m.line - 1, 0), viewColumn: vscode.ViewColumn.Beside });
        break;
    }
  }

  private rowData(start: number, end: number): RowData[] {
    const cols = this.cols;
    const out: RowData[] = [];
    if (!cols) return out;
    for (let p = start; p < Math.min(end, this.order.length); p++) {
      const row = this.rows[this.order[p]];
      const values: number[] = [];
      const contributions: number[] = [];
      for (let j = 0; j < cols.k; j++) {
        values.push(cols.value(row, j));
        contributions.push(cols.rowContribution(row, j));
      }
      const data: RowData = { line: row.line, kind: row.kind, score: row.score, a: row.a, b: row.b, values, contributions };
      if (row.candidates) data.candidates = row.candidates;
      out.push(data);
    }
    return out;
  }

  private async select(line: number): Promise<void> {
    this.selected = line;
    if (!this.model) return;
    const text = this.lineText(line);
    const role = roleOverride(this.uri);
    const detail = text === undefined ? undefined : await explainLine(text, line, this.model, role, this.judge);
    if (!detail) {
      this.post({ type: 'error', message: `Line ${line} is not a valid record.` });
      return;
    }
    if (this.selected === line) this.post({ type: 'detail', ...detail });
  }

  private toVscode(d: Diagnostic): vscode.Diagnostic {
    const line = Math.min(Math.max(d.line - 1, 0), Math.max(this.source.index.lines - 1, 0));
    const end = (this.lineText(line + 1) ?? '').replace(/\r$/, '').length;
    const start = Math.min(Math.max(d.column - 1, 0), end);
    const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    const diag = new vscode.Diagnostic(new vscode.Range(line, start, line, end), d.message, severity);
    diag.source = 'StyleTune';
    return diag;
  }

  private forgetModel(): void {
    // The run that used this model may still be inside onnxruntime: let go only once it has ended.
    const release = this.releaseModel;
    if (release) void (this.run ?? Promise.resolve()).then(release, release);
    this.modelGeneration++;
    this.releaseModel = undefined;
    this.model = undefined;
    this.cols = undefined;
  }

  private dispose(): void {
    if (InspectorPanel.open.get(this.uri.toString()) === this) InspectorPanel.open.delete(this.uri.toString());
    if (this.rerun) clearTimeout(this.rerun);
    this.rerun = undefined;
    this.abort?.abort();
    this.host.dispose();
    this.forgetModel();
  }
}

/**
 * Most lines without turns by the scored role (a file whose speakers have other names, topical-chat's
 * agent_1 and agent_2): which role, how many lines, and the speakers they have, the commonest first.
 * A few such lines in a file that mostly scores are left to Problems.
 */
function missingRoleOf(problems: readonly Diagnostic[], lines: number): InspectorSummary['missingRole'] {
  const misses = problems.filter((p) => p.missingRole);
  if (misses.length === 0 || misses.length * 2 < lines) return undefined;
  return { role: misses[0].missingRole!.role, lines: misses.length, speakers: rankSpeakers(misses.map((p) => p.missingRole!.roles)) };
}

function missingRoleText(m: NonNullable<InspectorSummary['missingRole']>, fromSetting: boolean): string {
  const why = fromSetting ? 'the speaker styletune.role names' : "the reward model's role";
  const found = m.speakers.length ? ` Speakers found: ${m.speakers.join(', ')}. Whose turns should be scored?` : '';
  return `${counted(m.lines, 'line has', 'lines have')} no turns by "${m.role}" (${why}) to score.${found}`;
}
