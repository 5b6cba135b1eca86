/**
 * "StyleTune: Preview Rewrite…": one prompt answered by the base model and by base + a tuned adapter
 * (the worker's `generate`, same seed for both), each reply scored by the active reward model, shown
 * side by side in the preview panel with the per-trait diff, and beside the transcript turn it answers.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { buildGenConfig, generatePreview, promptMessages, scorePreview, scoreResponses, topDeltas, type PairChoice, type PreviewScores, type TraitDelta } from '../../core/preview';
import type { Judge } from '../../core/judge/judge';
import { responseAsMessages } from '../../core/judge/prompt';
import type { RewardModel } from '../../core/reward/model';
import type { Turns } from '../../core/types';
import { isHostMessage, type PreviewView } from '../../../webview/preview/protocol';
import { acquireActiveModel, activeRole, modelName, type ModelServices } from '../modelCommands/activeModel';
import { chooseTarget, rememberedTarget } from '../pairsTarget';
import { scoredRole, setting } from '../settings';
import { argumentUri } from '../targets';
import { showTrainerPythonError, trainerPython } from '../trainerPython';
import { pickTarget, targetFromAdapter, targetFromJob, type PreviewTarget } from './adapters';
import { appendPreviewPair, chooseLabel, type AppendResult } from './append';
import { choosePrompt, type PromptChoice } from './input';
import type { InlineInfo, PreviewInline } from './inline';
import { PreviewPanel } from './panel';
import { isTinyTestModel } from '../../core/preview/tinyModel';
import { saysNothing } from '../../core/speakers';

const PREVIEW_TARGET = { title: 'Append the preview as a pair to', newFileName: 'previews.pairs.jsonl' };
/** workspaceState: the panel's last state and the finished run behind it, for the panel after a reload. */
const LAST_KEY = 'styletune.preview.last';

/** What is kept across a reload (a Uri does not survive JSON: the anchor keeps its string). */
interface Saved {
  view: PreviewView;
  finished?: Omit<Finished, 'run'> & { run: Omit<Run, 'prompt'> & { prompt: { prompt: Turns; anchor?: { uri: string; line: number; endLine: number; role?: string } } } };
}

/** Traits the panel lists; the hover lists them all. */
const PANEL_TRAITS = 12;

export interface PreviewArgs {
  jobDir?: string;
  adapter?: string;
  model?: string;
  prompt?: string | { role: string; content: string }[];
  uri?: string;
  /** 0-based line of `uri`. */
  line?: number;
  maxNewTokens?: number;
  temperature?: number;
  seed?: number;
}

/** What the command returns (tests and the jobs view read it). */
export interface PreviewResult {
  prompt: Turns;
  model: string;
  adapter: string;
  seed: number;
  base: { text: string; score: number };
  tuned: { text: string; score: number };
  rewardDelta: number;
  traits: TraitDelta[];
  inline?: InlineInfo;
}

interface Run {
  prompt: PromptChoice;
  target: PreviewTarget;
  seed: number;
  maxNewTokens?: number;
  temperature?: number;
}

interface Finished {
  run: Run;
  scores: PreviewScores;
  rewardModel: string;
}

export class PreviewController {
  private serial = 0;
  private last: Run | undefined;
  private finished: Finished | undefined;
  private running = false;
  private view: PreviewView | undefined;

  constructor(
    private readonly s: ModelServices,
    private readonly state: vscode.Memento,
    private readonly inline: PreviewInline,
    /** The judge from settings, for reward models that weigh judge traits (undefined: the user was told why). */
    private readonly judgeFor: (resource?: vscode.Uri) => Promise<Judge | undefined>,
  ) {}

  async command(raw?: unknown): Promise<PreviewResult | { error: string } | undefined> {
    try {
      const args = previewArgs(raw);
      if (this.running) {
        void vscode.window.showInformationMessage('A preview is already being generated; wait for it or cancel it.');
        return undefined;
      }
      // The adapter first: a job without one is refused before anyone types a prompt.
      const target = args.jobDir ? targetFromJob(args.jobDir) : args.adapter ? await targetFromAdapter(args.adapter, args.model) : await pickTarget();
      if (!target) return undefined;
      const prompt = await choosePrompt(args, (uri) => activeRole(this.s, uri));
      if (!prompt) return undefined;
      return await this.generate({ prompt, target, seed: args.seed ?? 0, maxNewTokens: args.maxNewTokens, temperature: args.temperature });
    } catch (err) {
      const message = (err as Error).message;
      this.s.log.error(`Preview Rewrite: ${(err as Error).stack ?? message}`);
      void vscode.window.showErrorMessage(`StyleTune: cannot preview: ${message}`);
      return { error: message };
    }
  }

  private intents = {
    append: () => void this.append().catch((err: Error) => void vscode.window.showErrorMessage(`StyleTune: could not append the pair: ${err.message}`)),
    openLabeler: () => void this.openLabeler(),
    regenerate: () => {
      if (this.last && !this.running) void this.generate({ ...this.last, seed: this.last.seed + 1 });
    },
  };

  private show(view: PreviewView): void {
    this.view = view;
    PreviewPanel.show(this.s, this.intents, view);
    void this.save();
  }

  private save(): Thenable<void> {
    const f = this.finished;
    const anchor = f?.run.prompt.anchor;
    const saved: Saved = {
      view: this.view!,
      finished: f && { ...f, run: { ...f.run, prompt: { prompt: f.run.prompt.prompt, anchor: anchor && { uri: anchor.uri.toString(), line: anchor.line, endLine: anchor.endLine, role: anchor.role } } } },
    };
    return this.state.update(LAST_KEY, saved);
  }

  /**
   * The panel VS Code restored after a reload: the last preview again, with Append and Regenerate
   * working on it. A preview cut off by the reload says so (its worker went with the old window).
   */
  revive(panel: vscode.WebviewPanel): void {
    const saved = this.state.get<Saved>(LAST_KEY);
    // The saved state is ours, but it is read back from storage: check it as the webview would.
    if (!saved || !isHostMessage({ type: 'state', state: saved.view })) {
      panel.dispose();
      return;
    }
    let view = saved.view;
    if (view.status === 'generating') view = { ...view, status: 'cancelled', message: 'The window was reloaded while generating: Regenerate runs it again.' };
    const f = saved.finished;
    if (f) {
      const a = f.run.prompt.anchor;
      this.finished = { ...f, run: { ...f.run, prompt: { prompt: f.run.prompt.prompt, anchor: a && { uri: vscode.Uri.parse(a.uri), line: a.line, endLine: a.endLine, role: a.role ?? scoredRole(vscode.Uri.parse(a.uri), undefined) } } } };
      this.last = this.finished.run;
      const anchor = this.finished.run.prompt.anchor;
      if (anchor) this.inline.restore(anchor.uri, anchor, this.finished.scores);
    }
    this.view = view;
    PreviewPanel.revive(panel, this.s, this.intents, view);
  }

  private async generate(run: Run): Promise<PreviewResult | { error: string } | undefined> {
    this.running = true;
    this.last = run;
    const { prompt, target } = run;
    const cfg = buildGenConfig({ model: target.model, adapter: target.adapter, prompt: prompt.prompt, seed: run.seed, ...this.settings(prompt.anchor?.uri, run) });
    const view: PreviewView = {
      id: ++this.serial,
      status: 'generating',
      message: 'Loading the models…',
      prompt: promptMessages(prompt.prompt).map((m) => ({ role: m.role, content: m.content })),
      model: basename(target.model),
      adapter: shortAdapter(target.adapter),
      tinyTestModel: isTinyTestModel(target.model) || undefined,
      rewardModel: '…',
      seed: run.seed,
      traits: [],
    };
    this.show(view);
    const fail = (message: string, notify = true) => {
      this.show({ ...view, status: 'error', message });
      if (notify) void vscode.window.showErrorMessage(`StyleTune: the preview failed: ${message}`);
      return { error: message };
    };
    let lease: Awaited<ReturnType<typeof acquireActiveModel>> | undefined;
    try {
      let python: string;
      try {
        python = (await trainerPython(this.s.extensionPath, prompt.anchor?.uri)).path;
      } catch (err) {
        void showTrainerPythonError(err);
        return fail((err as Error).message, false);
      }
      let model: RewardModel | undefined;
      try {
        lease = await acquireActiveModel(this.s, prompt.anchor?.uri);
        model = lease.model;
        view.rewardModel = modelName(model.spec, lease.file);
      } catch (err) {
        // The replies are still worth seeing without scores.
        view.rewardModel = 'not loaded';
        this.s.log.warn(`Preview: no reward scores: ${(err as Error).message}`);
      }
      // Replies are scored as they arrive; once the run is settled, a late one must not overwrite it.
      let settled = false;
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'StyleTune: previewing the rewrite', cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return generatePreview(cfg, {
            python,
            repoRoot: this.s.extensionPath,
            signal: abort.signal,
            onLog: (line) => this.s.log.debug(`[preview worker] ${line}`),
            onSample: (side, e) => {
              progress.report({ message: side === 'base' ? 'base reply ready; generating the tuned one…' : 'tuned reply ready' });
              void (async () => {
                // A judge-weighing model scores once both replies are rated, below.
                const score = model && !model.usesJudge && !saysNothing(e.text, 'assistant') ? (await scoreResponses(model, prompt.prompt, [e.text]))[0].score : undefined;
                if (settled) return;
                view[side] = { text: e.text, score, tokens: e.tokens };
                view.message = side === 'base' ? 'Base reply ready; generating the tuned one…' : 'Scoring…';
                this.show({ ...view });
              })();
            },
          });
        },
      );
      settled = true;
      if ('cancelled' in outcome) {
        this.show({ ...view, status: 'cancelled', message: 'Cancelled: the trainer was stopped.' });
        return undefined;
      }
      if ('error' in outcome) {
        this.s.log.error(`Preview: the trainer failed: ${outcome.error}\n${outcome.log.join('\n')}`);
        return fail(outcome.error);
      }
      const base = { text: outcome.base.text, tokens: outcome.base.tokens };
      const tuned = { text: outcome.tuned.text, tokens: outcome.tuned.tokens };
      if (!model) {
        this.show({ ...view, status: 'done', message: 'No reward model could be loaded: replies are not scored (see the StyleTune output).', base, tuned });
        return { error: 'no reward model' };
      }
      // An empty reply has no style to score (the model's guess about nothing rated high): no reward, no diff.
      const empty = [saysNothing(base.text, 'assistant') && 'base', saysNothing(tuned.text, 'assistant') && 'tuned'].filter(Boolean);
      if (empty.length) {
        const which = empty.length === 2 ? 'Both replies are' : `The ${empty[0]} reply is`;
        this.show({ ...view, status: 'done', message: `${which} empty: nothing to score, so no reward and no trait diff. Try another seed or prompt, or check the adapter.`, base, tuned });
        return { error: `${which.toLowerCase()} empty` };
      }
      let ratings: [number[], number[]] | undefined;
      if (model.usesJudge) {
        const rated = await this.rateReplies(prompt.prompt, base.text, tuned.text, prompt.anchor?.uri);
        if ('error' in rated) {
          this.show({ ...view, status: 'done', message: `Replies not scored: ${rated.error}`, base, tuned });
          return { error: rated.error };
        }
        ratings = rated.ratings;
      }
      const scores = await scorePreview(model, prompt.prompt, base.text, tuned.text, ratings);
      this.finished = { run, scores, rewardModel: view.rewardModel };
      this.show({
        ...view,
        status: 'done',
        message: undefined,
        base: { ...base, score: scores.base.score },
        tuned: { ...tuned, score: scores.tuned.score },
        rewardDelta: scores.rewardDelta,
        traits: topDeltas(scores.traits, PANEL_TRAITS).map((t) => ({ id: t.id, label: t.label, description: t.description, base: t.base, tuned: t.tuned, delta: t.delta })),
      });
      const inline = prompt.anchor ? this.inline.show(prompt.anchor.uri, prompt.anchor, scores) : undefined;
      return {
        prompt: prompt.prompt,
        model: target.model,
        adapter: target.adapter,
        seed: run.seed,
        base: { text: base.text, score: scores.base.score },
        tuned: { text: tuned.text, score: scores.tuned.score },
        rewardDelta: scores.rewardDelta,
        traits: scores.traits.slice(0, PANEL_TRAITS),
        inline,
      };
    } catch (err) {
      this.s.log.error(`Preview: ${(err as Error).stack ?? err}`);
      return fail((err as Error).message);
    } finally {
      lease?.release();
      this.running = false;
    }
  }

  /** Both replies' judge ratings (from the cache when already paid for), or why there are none. */
  private async rateReplies(prompt: Turns, baseText: string, tunedText: string, uri?: vscode.Uri): Promise<{ ratings: [number[], number[]] } | { error: string }> {
    const judge = await this.judgeFor(uri);
    if (!judge) return { error: 'the reward model weighs LLM-judge ratings, and no judge is set up (styletune.judge.baseUrl and styletune.judge.model)' };
    try {
      const [b, t] = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `StyleTune: rating the replies with ${judge.backend.name}` }, () =>
        Promise.all([baseText, tunedText].map((text) => judge.rate(responseAsMessages(text, prompt, 'assistant'), 'assistant'))),
      );
      return { ratings: [b.ratings, t.ratings] };
    } catch (err) {
      this.s.log.warn(`Preview: the judge could not rate the replies: ${(err as Error).message}`);
      return { error: `the judge could not rate the replies: ${(err as Error).message}` };
    }
  }

  private settings(uri: vscode.Uri | undefined, run: Run): { maxNewTokens: number; temperature: number } {
    return { maxNewTokens: run.maxNewTokens ?? setting('preview.maxNewTokens', uri), temperature: run.temperature ?? setting('preview.temperature', uri) };
  }

  /** "Append as pair to…" (the webview's button, or `styletune.previewAppendPair` with `{target, choice}`). */
  async append(args: { target?: unknown; choice?: unknown } = {}): Promise<AppendResult | undefined> {
    const f = this.finished;
    if (!f) {
      void vscode.window.showWarningMessage('Nothing to append yet: preview a rewrite first.');
      return undefined;
    }
    const target = argumentUri(args.target) ?? (await chooseTarget(this.state, PREVIEW_TARGET));
    if (!target) return undefined;
    const choice = isChoice(args.choice) ? args.choice : await chooseLabel([f.scores.base.score, f.scores.tuned.score]);
    if (!choice) return undefined;
    const anchor = f.run.prompt.anchor;
    const result = await appendPreviewPair(this.state, {
      prompt: f.run.prompt.prompt,
      base: f.scores.base.text,
      tuned: f.scores.tuned.text,
      meta: {
        model: f.run.target.model,
        adapter: f.run.target.adapter,
        seed: f.run.seed,
        rewards: [f.scores.base.score, f.scores.tuned.score],
        rewardModel: f.rewardModel,
        source: anchor ? { file: vscode.workspace.asRelativePath(anchor.uri), line: anchor.line + 1 } : undefined,
      },
    }, target, choice);
    const file = vscode.workspace.asRelativePath(target);
    if (this.view) this.show({ ...this.view, appended: { file, line: result.lineNumber, choice } });
    void vscode.window.showInformationMessage(`Added the preview to ${file} (line ${result.lineNumber}).`, 'Open in Pair Labeler').then((pick) => {
      if (pick) void this.openLabeler();
    });
    return result;
  }

  async openLabeler(): Promise<void> {
    const target = rememberedTarget(this.state) ?? (await chooseTarget(this.state, PREVIEW_TARGET));
    if (target) await vscode.commands.executeCommand('styletune.labelPairs', target);
  }

  /** For tests: the panel's state and what the webview reported rendering. */
  panelState(): { view?: PreviewView; rendered?: unknown } {
    return { view: PreviewPanel.open?.view, rendered: PreviewPanel.open?.rendered };
  }
}

/**
 * The command's argument as its callers pass it: options (`{jobDir}` from the job view, tests), a job
 * folder path, a Jobs tree node (`{kind: 'job', snap: {dir}}`), or the document URI an editor's context
 * menu passes (the active editor is then the source of the prompt).
 */
function previewArgs(raw: unknown): PreviewArgs {
  if (raw === undefined || raw === null || raw instanceof vscode.Uri) return {};
  if (typeof raw === 'string') return { jobDir: raw };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the command takes an object of options');
  const node = raw as { kind?: unknown; snap?: { dir?: unknown } };
  if (node.kind === 'job' && typeof node.snap?.dir === 'string') return { jobDir: node.snap.dir };
  for (const key of ['jobDir', 'adapter', 'model'] as const) {
    const v = (raw as Record<string, unknown>)[key];
    if (v !== undefined && (typeof v !== 'string' || !v)) throw new Error(`\`${key}\` must be a path`);
  }
  return raw as PreviewArgs;
}

function isChoice(v: unknown): v is PairChoice {
  return v === 'unlabeled' || v === 'tuned' || v === 'base';
}

/** "run1/adapter" for a job's adapter; the folder name otherwise. */
function shortAdapter(adapter: string): string {
  return `${basename(dirname(adapter))}/${basename(adapter)}`;
}
