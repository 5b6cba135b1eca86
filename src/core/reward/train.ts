/**
 * From preference data to a reward model: collect comparisons, normalize, cross-validate, fit.
 *
 *   const data = await collectComparisons(['games.jsonl', 'pairs.jsonl'], { by: 'ai_model' });
 *   const { spec, report } = fitReward(data, { folds: 5 });
 *
 * A comparison is (winner, loser): `chosen` over `rejected` in TRL pairs, `human` over `ai` in
 * contrastive pairs. Each file is a source; by default sources weigh the same in the fit however many
 * lines they have, so a small corpus is not drowned by a big one.
 */
import { basename } from 'node:path';
import { readRecords } from '../formats';
import { TRAIT_IDS } from '../traits/catalog';
import { featureIndex, featureLabel, withRatings } from '../judge/traits';
import { recordSides, type RatingsTable } from '../judge/ratings';
import { TraitExtractor } from '../traits/extract';
import type { Diagnostic } from '../types';
import { DEFAULT_FIT, fitPairs, foldAssignment, pairwiseAccuracy, selectRows, type PairDiffs } from './fit';
import type { LinearRewardSpec } from './onnx';

export interface Comparison {
  winner: Float64Array;
  loser: Float64Array;
  source: string;
  /** Value of the breakdown field (e.g. the AI witness model), if any. */
  group?: string;
}

export interface ComparisonSet {
  comparisons: Comparison[];
  diagnostics: Diagnostic[];
  /** Lines that were valid but carry no preference (plain dialogues). */
  skippedDialogues: number;
}

export interface CollectOptions {
  role?: string;
  /** A field of each line to break accuracy down by (e.g. `ai_model`). */
  by?: string;
  signal?: AbortSignal;
  /** LLM-judge ratings: each side's row gets the 32 judge traits; a side without ratings is a diagnostic. */
  judgeRatings?: RatingsTable;
}

export async function collectComparisons(files: readonly string[], opts: CollectOptions = {}): Promise<ComparisonSet> {
  const role = opts.role ?? 'assistant';
  const x = new TraitExtractor();
  const out: ComparisonSet = { comparisons: [], diagnostics: [], skippedDialogues: 0 };
  for (const file of files) {
    const source = basename(file);
    for await (const item of readRecords(file, { signal: opts.signal })) {
      if ('diagnostic' in item) {
        out.diagnostics.push(item.diagnostic);
        continue;
      }
      const { record, line } = item;
      const group = opts.by !== undefined && record.raw[opts.by] !== undefined ? String(record.raw[opts.by]) : undefined;
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
        out.diagnostics.push({ file, line, column: 1, severity: 'error', message: `a side has no turns by \`${role}\` to compare; choose the role (--role)` });
        continue;
      }
      if (opts.judgeRatings) {
        const [w, l] = recordSides(record, role).map((side) => opts.judgeRatings!.lookup(record, side, role));
        const reason = typeof w === 'string' ? w : typeof l === 'string' ? l : undefined;
        if (reason !== undefined) {
          out.diagnostics.push({ file, line, column: 1, severity: 'error', message: reason });
          continue;
        }
        out.comparisons.push({ winner: withRatings(winner.values, w as number[]), loser: withRatings(loser.values, l as number[]), source, group });
        continue;
      }
      out.comparisons.push({ winner: winner.values, loser: loser.values, source, group });
    }
  }
  return out;
}

export interface FitRewardOptions {
  folds?: number;
  l1?: number;
  l2?: number;
  zClip?: number;
  role?: string;
  /** 'sources' (default): every source weighs the same; 'none': every comparison weighs the same. */
  balance?: 'sources' | 'none';
  /** Trait ids to use (default: all the engine knows). */
  traits?: readonly string[];
  name?: string;
  seed?: number;
}

export interface AccuracyRow {
  key: string;
  n: number;
  accuracy: number;
}

export interface FitReport {
  folds: number;
  /** Cross-validated pairwise accuracy, overall, per source and per source:group. */
  crossValidated: AccuracyRow[];
  /** Accuracy of the final model on its own training data (optimistic; for comparison only). */
  training: AccuracyRow[];
  weights: { id: string; label: string; weight: number }[];
  l1: number;
  l2: number;
}

export function fitReward(data: ComparisonSet, opts: FitRewardOptions = {}): { spec: LinearRewardSpec; report: FitReport } {
  const comps = data.comparisons;
  if (comps.length < 2) throw new Error(`need at least 2 comparisons to fit, got ${comps.length} (pairs or human/ai lines)`);
  const folds = Math.max(2, Math.min(opts.folds ?? 5, comps.length));
  const l1 = opts.l1 ?? DEFAULT_FIT.l1;
  const l2 = opts.l2 ?? DEFAULT_FIT.l2;
  const zClip = opts.zClip ?? 6;
  const ids = opts.traits ?? TRAIT_IDS;
  const cols = ids.map((id) => {
    const j = featureIndex(id);
    if (j < 0) throw new Error(`unknown trait: ${id}`);
    return j;
  });
  const k = cols.length;
  const missing = ids.find((_, j) => cols[j] >= comps[0].winner.length);
  if (missing !== undefined) throw new Error(`trait ${missing} is an LLM-judge rating, and this data has none; pass the ratings (styletune fit --judge-ratings FILE)`);

  // Normalization over every side of every comparison.
  const mean = new Float64Array(k);
  const std = new Float64Array(k);
  const n2 = comps.length * 2;
  for (const c of comps) for (let j = 0; j < k; j++) mean[j] += c.winner[cols[j]] + c.loser[cols[j]];
  for (let j = 0; j < k; j++) mean[j] /= n2;
  for (const c of comps) {
    for (let j = 0; j < k; j++) std[j] += (c.winner[cols[j]] - mean[j]) ** 2 + (c.loser[cols[j]] - mean[j]) ** 2;
  }
  // A trait that (numerically) never varies in the data gets std 1; its differences are 0, so its weight is 0.
  for (let j = 0; j < k; j++) {
    const sd = Math.sqrt(std[j] / n2);
    std[j] = sd > 1e-9 * Math.max(1, Math.abs(mean[j])) ? sd : 1;
  }

  const z = (v: Float64Array, j: number) => Math.max(-zClip, Math.min(zClip, (v[cols[j]] - mean[j]) / std[j]));
  const x = new Float64Array(comps.length * k);
  comps.forEach((c, r) => {
    for (let j = 0; j < k; j++) x[r * k + j] = z(c.winner, j) - z(c.loser, j);
  });
  const perSource = new Map<string, number>();
  for (const c of comps) perSource.set(c.source, (perSource.get(c.source) ?? 0) + 1);
  const weight = Float64Array.from(comps, (c) => (opts.balance === 'none' ? 1 : comps.length / (perSource.size * perSource.get(c.source)!)));
  const d: PairDiffs = { x, n: comps.length, k, weight };

  const fold = foldAssignment(d.n, folds, opts.seed ?? 1);
  const cvRight = new Float64Array(d.n);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let r = 0; r < d.n; r++) (fold[r] === f ? test : train).push(r);
    const w = fitPairs(selectRows(d, train), { l1, l2 }).weights;
    for (const r of test) cvRight[r] = pairwiseAccuracy(d, w, [r]);
  }
  const final = fitPairs(d, { l1, l2 }).weights;
  const trainRight = Float64Array.from({ length: d.n }, (_, r) => pairwiseAccuracy(d, final, [r]));

  const spec: LinearRewardSpec = {
    traitIds: ids,
    mean,
    std,
    weights: final,
    bias: 0,
    zClip,
    role: opts.role ?? 'assistant',
    training: {
      name: opts.name ?? 'custom reward',
      fittedAt: new Date().toISOString(),
      method: 'Bradley-Terry logistic regression on pair differences, elastic net (FISTA)',
      l1,
      l2,
      folds,
      balance: opts.balance ?? 'sources',
      sources: [...perSource].map(([source, n]) => ({ source, comparisons: n })),
      crossValidated: breakdown(comps, cvRight),
    },
  };
  return {
    spec,
    report: {
      folds,
      crossValidated: breakdown(comps, cvRight),
      training: breakdown(comps, trainRight),
      weights: ids.map((id, j) => ({ id, label: featureLabel(id), weight: final[j] })),
      l1,
      l2,
    },
  };
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
export function breakdown(comps: readonly Comparison[], right: Float64Array): AccuracyRow[] {
  const tally = new AccuracyTally();
  comps.forEach((c, r) => {
    tally.add('all', right[r]);
    tally.add(c.source, right[r]);
    if (c.group !== undefined) tally.add(`${c.source}:${c.group}`, right[r]);
  });
  return tally.rows();
}
