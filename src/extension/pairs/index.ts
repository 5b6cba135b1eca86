/**
 * "StyleTune: Build Pairs from Reward Ranking…" and "StyleTune: Build Pairs by Contrast Prompting…":
 * the editor's side of `styletune pairs` (src/core/pairs does the work).
 *
 * Arguments: a file Uri (explorer / editor menus), or an options object that skips the questions it
 * answers (tests and keybindings):
 *   ranked:   { file, output, rule?: 'sd' | 'best-worst', k?, scope?: 'group' | 'all', groupBy?: string[],
 *               maxPerGroup?, modelDir?, numSamples?, maxNewTokens?, device? }
 *   contrast: { file, output, margin?, dropped?, modelDir?, maxNewTokens?, allowTruncated?, device? }
 * Both return a PairsResult (or undefined when cancelled). The contrast system prompts come from the
 * settings styletune.pairs.casualSystemPrompt / formalSystemPrompt (empty: the built-in ones).
 */
import * as vscode from 'vscode';
import { DEFAULT_MARGIN, formatContrastSummary } from '../../core/pairs/contrast';
import { peekFile } from '../../core/pairs/peek';
import { runContrast, runRanked, type Generation } from '../../core/pairs/run';
import { formatRankedSummary, type Rule } from '../../core/pairs/select';
import { showTrainerPythonError, trainerPython } from '../trainerPython';
import type { ModelServices } from '../modelCommands/activeModel';
import { roleOverride, setting } from '../settings';
import { toPath } from '../targets';
import { askModelFolder, askNumber, askOutput, runWithProgress, sourceFile, type PairsResult } from './run';
import { counted } from '../../core/counted';

export type { PairsResult };

interface CommonArgs {
  file?: vscode.Uri | string;
  output?: vscode.Uri | string;
  modelDir?: string;
  maxNewTokens?: number;
  device?: string;
}

interface RankedArgs extends CommonArgs {
  rule?: 'sd' | 'best-worst';
  k?: number;
  scope?: 'group' | 'all';
  groupBy?: string[];
  maxPerGroup?: number;
  numSamples?: number;
}

interface ContrastArgs extends CommonArgs {
  margin?: number;
  dropped?: string;
  allowTruncated?: boolean;
}

export function registerPairs(context: vscode.ExtensionContext, s: ModelServices): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('styletune.buildPairsRanked', (arg?: unknown) => guarded(s, () => buildRanked(s, asArgs<RankedArgs>(arg)))),
    vscode.commands.registerCommand('styletune.buildPairsContrast', (arg?: unknown) => guarded(s, () => buildContrast(s, asArgs<ContrastArgs>(arg)))),
  );
}

function asArgs<T extends CommonArgs>(arg: unknown): T {
  if (arg instanceof vscode.Uri) return { file: arg } as T;
  return arg && typeof arg === 'object' ? (arg as T) : ({} as T);
}

async function guarded(s: ModelServices, run: () => Promise<PairsResult | undefined>): Promise<PairsResult | undefined> {
  try {
    return await run();
  } catch (err) {
    s.log.error(`Building pairs: ${(err as Error).stack ?? err}`);
    await showTrainerPythonError(err);
    return undefined;
  }
}

/** Generation settings: the interpreter comes from trainerPython (may throw a TrainerPythonError). */
async function generation(s: ModelServices, source: string, modelDir: string, a: CommonArgs): Promise<Generation> {
  const py = await trainerPython(s.extensionPath, vscode.Uri.file(source));
  s.log.info(`Generating with ${py.describe}`);
  return { python: py.path, repoRoot: s.extensionPath, model: modelDir, maxNewTokens: a.maxNewTokens, device: a.device };
}

async function buildRanked(s: ModelServices, a: RankedArgs): Promise<PairsResult | undefined> {
  const source = await sourceFile(a.file, 'candidates, dialogues or prompts');
  if (!source) return undefined;
  const scripted = a.output !== undefined;
  const peek = await peekFile(source);

  // Where the candidates come from: the file, or a model answering the file's prompts.
  let modelDir = a.modelDir;
  if (!modelDir && !scripted) {
    const fromFile = { label: 'Candidates in this file', detail: 'lines with `responses`, `response` or whole dialogues (`messages`)', generate: false };
    const generate = { label: 'Generate candidates with a local model…', detail: 'the model answers each `prompt` several times; the reward ranks the answers', generate: true };
    const onlyPrompts = peek.main === 'prompt' || peek.main === 'pair';
    const pick = await vscode.window.showQuickPick(onlyPrompts ? [generate, fromFile] : [fromFile, generate], { title: 'Build Pairs from Reward Ranking: candidates', ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.generate) {
      modelDir = await askModelFolder();
      if (!modelDir) return undefined;
    }
  }
  let numSamples = a.numSamples;
  if (modelDir && numSamples === undefined && !scripted) {
    numSamples = await askNumber('Candidates per prompt', '4', (n) => Number.isInteger(n) && n >= 2, 'a whole number of at least 2');
    if (numSamples === undefined) return undefined;
  }

  let rule: Rule;
  if (a.rule === 'best-worst') rule = { kind: 'best-worst' };
  else if (a.rule === 'sd' || scripted) rule = { kind: 'sd', k: a.k ?? 0.5, scope: a.scope ?? 'group' };
  else {
    const items = [
      { label: 'Gap above k SD within each group', detail: 'every two candidates of a prompt or persona whose reward gap exceeds k standard deviations of that group (HAL)', value: 'group' as const },
      { label: 'Gap above k SD over all candidates', detail: 'the same, with one threshold for the whole file (as HAL\'s released notebook did)', value: 'all' as const },
      { label: 'Best vs worst', detail: 'one pair per group', value: 'best-worst' as const },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Build Pairs from Reward Ranking: which pairs', ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.value === 'best-worst') rule = { kind: 'best-worst' };
    else {
      const k = await askNumber('k: the reward gap must exceed k standard deviations', '0.5', (n) => n >= 0, 'a number of at least 0');
      if (k === undefined) return undefined;
      rule = { kind: 'sd', k, scope: pick.value };
    }
  }

  let groupBy = a.groupBy;
  if (!modelDir && groupBy === undefined && !scripted) {
    const needs = peek.main === 'dialogue';
    // How many groups each field makes in the lines peeked at tells a persona id (a few lines each) from a
    // label every line shares.
    const items: (vscode.QuickPickItem & { field?: string })[] = peek.groupFields.map((g) => ({
      label: g.field,
      description: `${counted(g.groups, 'group')} in the first ${counted(peek.lines, 'line')} (e.g. ${JSON.stringify(g.example.length > 30 ? `${g.example.slice(0, 29)}…` : g.example)})`,
      field: g.field,
    }));
    if (!needs) items.push({ label: '(no field)', description: peek.main === 'responses' ? 'each line\'s responses compete' : 'answers to the same prompt compete' });
    if (needs && items.length === 0) {
      void vscode.window.showWarningMessage('Dialogue lines need a field that says which dialogues compete (such as a persona or dialogue id), and none of the first lines has one.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'Build Pairs from Reward Ranking: group by', placeHolder: 'Which candidates compete with each other?', ignoreFocusOut: true });
    if (!pick) return undefined;
    groupBy = pick.field ? [pick.field] : undefined;
  }

  const output = a.output ? toPath(a.output) : await askOutput(source, 'ranked');
  if (!output) return undefined;
  const gen = modelDir ? { ...(await generation(s, source, modelDir, a)), numSamples: numSamples ?? 4 } : undefined;
  return runWithProgress(s, 'Build Pairs from Reward Ranking', source, output, async (model, cb) => {
    const role = roleOverride(vscode.Uri.file(source));
    const r = await runRanked({ file: source, groupBy, generation: gen, rule, maxPerGroup: a.maxPerGroup, model, role }, cb);
    return { ...r, lines: formatRankedSummary(r.summary) };
  });
}

async function buildContrast(s: ModelServices, a: ContrastArgs): Promise<PairsResult | undefined> {
  const source = await sourceFile(a.file, 'prompts or casual/formal pairs');
  if (!source) return undefined;
  const scripted = a.output !== undefined;
  let modelDir = a.modelDir;
  if (!modelDir && !scripted) {
    const peek = await peekFile(source);
    const filter = { label: 'Filter the pairs in this file', detail: '`chosen` is the casual answer, `rejected` the formal one; keep those the reward agrees with', generate: false };
    const generate = { label: 'Generate casual and formal answers with a local model…', detail: 'the model answers each `prompt` under a casual and a formal system prompt', generate: true };
    const pick = await vscode.window.showQuickPick(peek.main === 'pair' ? [filter, generate] : [generate, filter], { title: 'Build Pairs by Contrast Prompting', ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.generate) {
      modelDir = await askModelFolder();
      if (!modelDir) return undefined;
    }
  }
  let margin = a.margin;
  if (margin === undefined && !scripted) {
    margin = await askNumber('Margin: keep a pair when reward(casual) − reward(formal) is at least this', String(DEFAULT_MARGIN), (n) => n >= 0, 'a number of at least 0');
    if (margin === undefined) return undefined;
  }
  const output = a.output ? toPath(a.output) : await askOutput(source, 'contrast');
  if (!output) return undefined;
  const gen = modelDir
    ? {
        ...(await generation(s, source, modelDir, a)),
        // An empty setting means the built-in prompt.
        casualSystemPrompt: setting('pairs.casualSystemPrompt', vscode.Uri.file(source)) || undefined,
        formalSystemPrompt: setting('pairs.formalSystemPrompt', vscode.Uri.file(source)) || undefined,
      }
    : undefined;
  return runWithProgress(s, 'Build Pairs by Contrast Prompting', source, output, async (model, cb) => {
    const role = roleOverride(vscode.Uri.file(source));
    const r = await runContrast({ file: source, margin: margin ?? DEFAULT_MARGIN, allowTruncated: a.allowTruncated, generation: gen, model, role }, cb);
    return { ...r, lines: formatContrastSummary(r.summary), extra: a.dropped ? { file: a.dropped, records: r.dropped } : undefined };
  });
}
