/**
 * From preference data to a reward model: collect comparisons, normalize, cross-validate, fit.
 *
 *   const data = await collectComparisons(['games.jsonl', 'pairs.jsonl'], { by: 'ai_model', foldBy: ['game_id'] });
 *   const { spec, report } = fitReward(data, { folds: 5 });             // a shape per trait
 *   const linear = fitReward(data, { family: 'linear' });               // one weight per trait
 *
 * A comparison is (winner, loser): `chosen` over `rejected` in TRL pairs, `human` over `ai` in
 * contrastive pairs. Each file is a source; by default sources weigh the same in the fit however many
 * lines they have, so a small corpus is not drowned by a big one. Lines sharing a value of a `foldBy`
 * field (the same game, the same prompt) stay in one cross-validation fold, so a held-out comparison
 * never shares a reply with a training one.
 */
import { basename } from 'node:path';
import { readRecords } from '../formats';
import { fieldKey } from '../fieldKey';
import { TRAIT_IDS, TRAITS } from '../traits/catalog';
import { FEATURE_COUNT, featureIndex, featureLabel, withRatings } from '../judge/traits';
import { recordSides, type RatingsTable } from '../judge/ratings';
import { TraitExtractor } from '../traits/extract';
import type { Diagnostic } from '../types';
import { ComparisonTable } from './comparisons';
import { summarizeDomain } from './domain';
import { DEFAULT_FIT, fitPairs, foldAssignment, groupedFoldAssignment, pairwiseAccuracy, type PairDiffs } from './fit';
import { DEFAULT_SHAPE_FIT, fitShapes, ShapeBasis } from './fitShape';
import type { RewardSpec } from './onnx';
import { gridZ, SHAPE_CELLS, type TraitShape } from './shape';

export type { Comparison } from './comparisons';
export { ComparisonTable } from './comparisons';

export interface ComparisonSet {
  table: ComparisonTable;
  diagnostics: Diagnostic[];
  /** Lines that were valid but carry no preference (plain dialogues). */
  skippedDialogues: number;
}

export interface CollectOptions {
  role?: string;
  /** Fields of each line to break accuracy down by (e.g. `ai_model`); the first one a line has counts. */
  by?: string | readonly string[];
  /** Fields whose values tie lines into one cross-validation fold (e.g. `game_id`, `prompt`). */
  foldBy?: readonly string[];
  signal?: AbortSignal;
  /** LLM-judge ratings: each side's row gets the 32 judge traits; a side without ratings is a diagnostic. */
  judgeRatings?: RatingsTable;
}

const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/** A grouping field's value as text; only plain values group (src/core/fieldKey.ts, shared with eval and pairs). */
function fieldText(raw: Record<string, unknown>, field: string): string | undefined | { error: string } {
  return fieldKey(field, raw[field]);
}

export async function collectComparisons(files: readonly string[], opts: CollectOptions = {}): Promise<ComparisonSet> {
  const role = opts.role ?? 'assistant';
  const x = new TraitExtractor();
  const by = list(opts.by);
  const foldBy = opts.foldBy ?? [];
  const table = new ComparisonTable(opts.judgeRatings ? FEATURE_COUNT : TRAITS.length);
  const out: ComparisonSet = { table, diagnostics: [], skippedDialogues: 0 };
  for (const file of files) {
    const source = basename(file);
    for await (const item of readRecords(file, { signal: opts.signal })) {
      if ('diagnostic' in item) {
        out.diagnostics.push(item.diagnostic);
        continue;
      }
      const { record, line } = item;
      const problem = (message: string) => out.diagnostics.push({ file, line, column: 1, severity: 'error', message });
      let group: string | undefined;
      const keys: string[] = [];
      let bad = false;
      for (const field of [...by, ...foldBy]) {
        const v = fieldText(record.raw, field);
        if (typeof v === 'object') {
          problem(v.error);
          bad = true;
        } else if (v !== undefined) {
          if (foldBy.includes(field)) keys.push(v);
          if (group === undefined && by.includes(field)) group = v;
        }
      }
      if (bad) continue;
      let winner;
      let loser;
      if (record.kind === 'pair') {
        winner = x.measureResponse(record.pair.chosen, record.pair.prompt, { role });
        loser = x.measureResponse(record.pair.rejected, record.pair.prompt, { role });
      } else if (record.kind === 'contrastive') {
        winner = x.measureDialogue(record.pair.human.messages, { role });
        loser = x.measureDialogue(record.pair.ai.messages, { role });
      } else {
        out.skippedDialogues++;
        continue;
      }
      if (winner.turns === 0 || loser.turns === 0) {
        problem(`a side has no turns by \`${role}\` to compare; choose the role (--role)`);
        continue;
      }
      if (opts.judgeRatings) {
        const [w, l] = recordSides(record, role).map((side) => opts.judgeRatings!.lookup(record, side, role));
        const reason = typeof w === 'string' ? w : typeof l === 'string' ? l : undefined;
        if (reason !== undefined) {
          problem(reason);
          continue;
        }
        table.push(withRatings(winner.values, w as number[]), withRatings(loser.values, l as number[]), source, group, keys);
        continue;
      }
      table.push(winner.values, loser.values, source, group, keys);
    }
  }
  table.finish();
  return out;
}

export interface FitRewardOptions {
  /** 'shape' (default): a smooth function per trait; 'linear': one weight per trait. */
  family?: 'shape' | 'linear';
  folds?: number;
  /** Linear: elastic-net strengths. */
  l1?: number;
  l2?: number;
  /** Shape: penalties on changes of slope and on slope (see fitShape.ts). */
  smoothing?: number;
  ridge?: number;
  zClip?: number;
  role?: string;
  /** 'sources' (default): every source weighs the same; 'none': every comparison weighs the same. */
  balance?: 'sources' | 'none';
  /** Trait ids to use (default: all the engine knows). */
  traits?: readonly string[];
  name?: string;
  /** Plain words on what the data is, stored for out-of-domain warnings (default: the source files). */
  fittedOn?: string;
  seed?: number;
}

export interface AccuracyRow {
  key: string;
  n: number;
  accuracy: number;
}

export interface TraitReport {
  id: string;
  label: string;
  /** Linear: the weight per SD. Shape: the signed weight of evidence (SD of fᵢ over the fitting data). */
  weight: number;
  /** Shape models: fᵢ at the knots, by raw trait value. */
  shape?: { x: number[]; f: number[]; direction: number };
}

export interface FitReport {
  family: 'shape' | 'linear';
  folds: number;
  /** Whether folds kept lines sharing a `foldBy` value together. */
  groupedFolds: boolean;
  /** Cross-validated pairwise accuracy, overall, per source and per source:group. */
  crossValidated: AccuracyRow[];
  /** Accuracy of the final model on its own training data (optimistic; for comparison only). */
  training: AccuracyRow[];
  weights: TraitReport[];
  /** The regularization used (family-specific keys). */
  regularization: Record<string, number>;
}

export function fitReward(data: ComparisonSet, opts: FitRewardOptions = {}): { spec: RewardSpec; report: FitReport } {
  const table = data.table;
  const n = table.n;
  if (n < 2) throw new Error(`need at least 2 comparisons to fit, got ${n} (pairs or human/ai lines)`);
  const family = opts.family ?? 'shape';
  const folds = Math.max(2, Math.min(opts.folds ?? 5, n));
  const zClip = opts.zClip ?? 6;
  const ids = opts.traits ?? TRAIT_IDS;
  const cols = ids.map((id) => {
    const j = featureIndex(id);
    if (j < 0) throw new Error(`unknown trait: ${id}`);
    return j;
  });
  const missing = ids.find((_, j) => cols[j] >= table.width);
  if (missing !== undefined) throw new Error(`trait ${missing} is an LLM-judge rating, and this data has none; pass the ratings (styletune fit --judge-ratings FILE)`);

  const { mean, std } = normalization(table, cols);
  const perSource = new Float64Array(table.sources.length);
  for (let r = 0; r < n; r++) perSource[table.sourceOf(r)]++;
  const balance = Float64Array.from({ length: n }, (_, r) => (opts.balance === 'none' ? 1 : n / (table.sources.length * perSource[table.sourceOf(r)])));
  const groups = table.foldGroups();
  const fold = groups ? groupedFoldAssignment(groups, folds, opts.seed ?? 1) : foldAssignment(n, folds, opts.seed ?? 1);
  const trainWeight = (f: number) => Float64Array.from(balance, (w, r) => (fold[r] === f ? 0 : w));

  const fitted = family === 'linear' ? fitLinear(table, cols, mean, std, zClip, balance, folds, fold, trainWeight, opts) : fitShaped(table, cols, ids, mean, std, zClip, balance, folds, fold, trainWeight, opts);
  const spec: RewardSpec = {
    traitIds: ids,
    mean,
    std,
    weights: fitted.weights,
    ...(fitted.shapes ? { shapes: { cells: SHAPE_CELLS, traits: fitted.shapes } } : {}),
    bias: fitted.bias ?? 0,
    zClip,
    role: opts.role ?? 'assistant',
    training: {
      name: opts.name ?? 'custom reward',
      fittedAt: new Date().toISOString(),
      method: fitted.method,
      family,
      ...fitted.regularization,
      folds,
      groupedFolds: groups !== undefined,
      balance: opts.balance ?? 'sources',
      sources: table.sources.map((source, s) => ({ source, comparisons: perSource[s] })),
      crossValidated: breakdown(table, fitted.cvRight),
    },
    domain: summarizeDomain(table, cols, opts.fittedOn ?? `the comparisons in ${table.sources.join(', ')}`),
  };
  const weights: TraitReport[] = ids.map((id, j) => {
    const row: TraitReport = { id, label: featureLabel(id), weight: fitted.weights[j] };
    const s = fitted.shapes?.[j];
    if (s) row.shape = { x: s.knots.map((g) => mean[j] + gridZ(s, SHAPE_CELLS, g) * std[j]), f: s.values, direction: directionOf(id) };
    return row;
  });
  return {
    spec,
    report: {
      family,
      folds,
      groupedFolds: groups !== undefined,
      crossValidated: breakdown(table, fitted.cvRight),
      training: breakdown(table, fitted.trainRight),
      weights,
      regularization: fitted.regularization,
    },
  };
}

interface Fitted {
  weights: Float64Array;
  shapes?: TraitShape[];
  /** Shapes anchored at 0 (declared directions) move their mean here; 0 otherwise. */
  bias?: number;
  cvRight: Float64Array;
  trainRight: Float64Array;
  method: string;
  regularization: Record<string, number>;
}

/** Mean and SD of each model trait over every side (a trait that never varies gets SD 1: its differences are 0). */
function normalization(table: ComparisonTable, cols: readonly number[]): { mean: Float64Array; std: Float64Array } {
  const k = cols.length;
  const mean = new Float64Array(k);
  const std = new Float64Array(k);
  const n2 = table.n * 2;
  for (let r = 0; r < table.n; r++) for (let j = 0; j < k; j++) mean[j] += table.value(r, 0, cols[j]) + table.value(r, 1, cols[j]);
  for (let j = 0; j < k; j++) mean[j] /= n2;
  for (let r = 0; r < table.n; r++) {
    for (let j = 0; j < k; j++) std[j] += (table.value(r, 0, cols[j]) - mean[j]) ** 2 + (table.value(r, 1, cols[j]) - mean[j]) ** 2;
  }
  for (let j = 0; j < k; j++) {
    const sd = Math.sqrt(std[j] / n2);
    std[j] = sd > 1e-9 * Math.max(1, Math.abs(mean[j])) ? sd : 1;
  }
  return { mean, std };
}

const right = (m: number) => (m > 0 ? 1 : m === 0 ? 0.5 : 0);

function fitLinear(
  table: ComparisonTable,
  cols: readonly number[],
  mean: Float64Array,
  std: Float64Array,
  zClip: number,
  balance: Float64Array,
  folds: number,
  fold: Int32Array,
  trainWeight: (f: number) => Float64Array,
  opts: FitRewardOptions,
): Fitted {
  const l1 = opts.l1 ?? DEFAULT_FIT.l1;
  const l2 = opts.l2 ?? DEFAULT_FIT.l2;
  const k = cols.length;
  const n = table.n;
  const z = (r: number, side: 0 | 1, j: number) => Math.max(-zClip, Math.min(zClip, (table.value(r, side, cols[j]) - mean[j]) / std[j]));
  // Differences as float32: half the memory of float64, and far below the data's own precision.
  const x = new Float32Array(n * k);
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) x[r * k + j] = z(r, 0, j) - z(r, 1, j);
  const cvRight = new Float64Array(n);
  for (let f = 0; f < folds; f++) {
    const d: PairDiffs = { x, n, k, weight: trainWeight(f) };
    const w = fitPairs(d, { l1, l2 }).weights;
    for (let r = 0; r < n; r++) if (fold[r] === f) cvRight[r] = pairwiseAccuracy(d, w, [r]);
  }
  const d: PairDiffs = { x, n, k, weight: balance };
  const weights = fitPairs(d, { l1, l2 }).weights;
  const trainRight = Float64Array.from({ length: n }, (_, r) => pairwiseAccuracy(d, weights, [r]));
  return { weights, cvRight, trainRight, method: 'Bradley-Terry logistic regression on pair differences, elastic net (FISTA)', regularization: { l1, l2 } };
}

function fitShaped(
  table: ComparisonTable,
  cols: readonly number[],
  ids: readonly string[],
  mean: Float64Array,
  std: Float64Array,
  zClip: number,
  balance: Float64Array,
  folds: number,
  fold: Int32Array,
  trainWeight: (f: number) => Float64Array,
  opts: FitRewardOptions,
): Fitted {
  const options = { smoothing: opts.smoothing ?? DEFAULT_SHAPE_FIT.smoothing, ridge: opts.ridge ?? DEFAULT_SHAPE_FIT.ridge };
  const basis = new ShapeBasis({ table, cols, mean, std, zClip, direction: Int8Array.from(ids, directionOf), firstCost: Float64Array.from(ids, firstCostOf) });
  const n = table.n;
  const final = fitShapes(basis, balance, options);
  // Folds start from the full fit: the optimum does not depend on the start, only the time to reach it.
  const cvRight = new Float64Array(n);
  const margins = new Float64Array(n);
  for (let f = 0; f < folds; f++) {
    const w = trainWeight(f);
    const theta = fitShapes(basis, w, options, final.theta).theta;
    basis.pass(theta, w, undefined, margins);
    for (let r = 0; r < n; r++) if (fold[r] === f) cvRight[r] = right(margins[r]);
  }
  basis.pass(final.theta, balance, undefined, margins);
  const trainRight = Float64Array.from(margins, right);
  const { shapes, evidence, bias } = basis.shapes(final.theta, balance);
  return {
    weights: evidence,
    shapes,
    bias,
    cvRight,
    trainRight,
    method: 'Bradley-Terry generalized additive model: a piecewise-linear shape per trait on quantile knots, smoothness and ridge penalties, monotone where the catalog declares a direction, with a least cost of a first occurrence where it declares one (projected Newton)',
    regularization: options,
  };
}

/** The catalog's declared direction of a trait (−1, +1), or 0 (judge traits and undeclared ones). */
function directionOf(id: string): number {
  const t = TRAITS.find((d) => d.id === id);
  return t?.direction?.sign ?? 0;
}

/** The catalog's least cost of a trait's first occurrence per turn (score units), or 0. */
function firstCostOf(id: string): number {
  const t = TRAITS.find((d) => d.id === id);
  return t?.direction?.first?.cost ?? 0;
}

/** Pairwise accuracy accumulated under named keys (overall, per file, per group). */
export class AccuracyTally {
  private readonly acc = new Map<string, { n: number; right: number }>();

  /** `right`: 1 when the winner outscored the loser, 0.5 for a tie, 0 otherwise. */
  add(key: string, right: number): void {
    const a = this.acc.get(key) ?? { n: 0, right: 0 };
    a.n++;
    a.right += right;
    this.acc.set(key, a);
  }

  rows(): AccuracyRow[] {
    return [...this.acc].map(([key, a]) => ({ key, n: a.n, accuracy: a.right / a.n }));
  }
}

/** Accuracy overall, per source and per source:group. */
export function breakdown(table: ComparisonTable, right: Float64Array): AccuracyRow[] {
  const tally = new AccuracyTally();
  for (let r = 0; r < table.n; r++) {
    const source = table.sources[table.sourceOf(r)];
    tally.add('all', right[r]);
    tally.add(source, right[r]);
    const g = table.groupOf(r);
    if (g >= 0) tally.add(`${source}:${table.groups[g]}`, right[r]);
  }
  return tally.rows();
}
