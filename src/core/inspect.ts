/**
 * The dataset inspector's pure logic: one compact row per scored line, sorting / filtering / search over
 * those rows, histograms, and the choice of traits worth a column. No vscode, no DOM: the extension host
 * runs it, unit tests check it.
 *
 * Rows keep the model's trait values in the model's column order (Float32Array: a 100,000-line pair file
 * holds 2 × 50 values a line). Contributions are not stored: they follow from the values and the model's
 * spec (`contribution`), exactly as the ONNX graph computes them.
 */
import type { RewardSpec } from './reward/onnx';
import { contribution } from './reward/shape';
import type { ScorableRecord, Turns } from './types';

export interface InspectRow {
  line: number;
  kind: ScorableRecord['kind'];
  /**
   * Dialogue: its reward. Pair / contrastive: the margin (chosen − rejected, human − ai). Candidates: the
   * spread (best − worst).
   */
  score: number;
  /** The scores of the first (chosen, human, best candidate) and second (rejected, ai, worst) side. */
  a?: number;
  b?: number;
  /** Candidates: how many, which scored best and worst (1-based), and which one a ranking puts first. */
  candidates?: { n: number; best: number; worst: number; rankedFirst?: number };
  /** Model trait values in model order; two sides: the first side's k values, then the second side's. */
  values: Float32Array;
  /** Every message's text, lowercased, for full-text search. */
  text: string;
}

/** Sort and filter keys: `line`, `score`, `a`, `b`, or `trait:<id>`. */
export type InspectKey = string;

export interface InspectQuery {
  sort: InspectKey;
  desc: boolean;
  /** Case-insensitive substring of any message; empty: everything. */
  search: string;
  filter?: { key: InspectKey; min?: number; max?: number };
}

export const DEFAULT_QUERY: InspectQuery = { sort: 'line', desc: false, search: '' };

/** The model's view of one trait: where it sits in a row and how a value becomes a contribution. */
export class TraitColumns {
  readonly position = new Map<string, number>();
  constructor(readonly spec: RewardSpec) {
    spec.traitIds.forEach((id, j) => this.position.set(id, j));
  }

  get k(): number {
    return this.spec.traitIds.length;
  }

  /** fᵢ(clip((x − mean) / std)): what trait j adds to the score at value x (as the ONNX graph does). */
  contribution(j: number, x: number): number {
    return contribution(this.spec, j, x);
  }

  /** The value a row shows for trait j: a dialogue's value; for pairs the difference of the two sides. */
  value(row: InspectRow, j: number): number {
    return row.values.length > this.k ? row.values[j] - row.values[this.k + j] : row.values[j];
  }

  /** What trait j adds to the row's score (pairs: to the margin). */
  rowContribution(row: InspectRow, j: number): number {
    const c = this.contribution(j, row.values[j]);
    return row.values.length > this.k ? c - this.contribution(j, row.values[this.k + j]) : c;
  }

  keyValue(row: InspectRow, key: InspectKey): number {
    switch (key) {
      case 'line':
        return row.line;
      case 'score':
        return row.score;
      case 'a':
        return row.a ?? row.score;
      case 'b':
        return row.b ?? row.score;
    }
    const j = key.startsWith('trait:') ? this.position.get(key.slice(6)) : undefined;
    return j === undefined ? row.line : this.value(row, j);
  }
}

/** The traits with the largest |weight| (of evidence, for shape models) first: the ones that move the score most get the columns. */
export function topTraits(spec: RewardSpec, n: number): string[] {
  return spec.traitIds
    .map((id, j) => ({ id, w: Math.abs(spec.weights[j]) }))
    .sort((x, y) => y.w - x.w)
    .slice(0, n)
    .map((t) => t.id);
}

/** Indices into `rows` that pass the query, in its order; ties keep file order (the sort is stable). */
export function queryRows(rows: readonly InspectRow[], cols: TraitColumns, q: InspectQuery): Int32Array {
  const needle = q.search.trim().toLowerCase();
  const f = q.filter;
  const picked: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (needle && !row.text.includes(needle)) continue;
    if (f && (f.min !== undefined || f.max !== undefined)) {
      const v = cols.keyValue(row, f.key);
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) continue;
    }
    picked.push(i);
  }
  const order = Int32Array.from(picked);
  if (q.sort !== 'line' || q.desc) {
    const keys = new Float64Array(rows.length);
    for (const i of order) {
      const v = cols.keyValue(rows[i], q.sort);
      // NaN never happens for scores, but a model could produce one: it sorts last either way.
      keys[i] = Number.isNaN(v) ? (q.desc ? -Infinity : Infinity) : v;
    }
    if (q.desc) order.sort((x, y) => keys[y] - keys[x] || x - y);
    else order.sort((x, y) => keys[x] - keys[y] || x - y);
  }
  return order;
}

export interface Histogram {
  min: number;
  max: number;
  counts: number[];
}

/** Equal-width bins over the data's own range (a constant column gets one full bin). */
export function histogram(values: ArrayLike<number>, bins = 20): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (min === Infinity) return { min: 0, max: 0, counts };
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0;
    counts[b]++;
  }
  return { min, max, counts };
}

export interface InspectStats {
  rows: number;
  traits: Record<string, Histogram>;
  scores: Histogram;
  /** Pair files: how many pairs have a positive margin, i.e. the reward prefers the labeled side, of how many. */
  agreement?: { agree: number; of: number };
  /** Ranked candidate sets: how many have the reward's best ranked first, of how many. */
  ranked?: { agree: number; of: number };
}

export function inspectStats(rows: readonly InspectRow[], cols: TraitColumns, bins = 20): InspectStats {
  // Row-major passes over each row's contiguous values: a trait-by-trait loop would chase every row's
  // pointer 50 times and took seconds on 100,000 rows.
  const k = cols.k;
  const min = new Float64Array(k).fill(Infinity);
  const max = new Float64Array(k).fill(-Infinity);
  const valueAt = (v: Float32Array, j: number) => (v.length > k ? v[j] - v[k + j] : v[j]);
  for (const row of rows) {
    const v = row.values;
    for (let j = 0; j < k; j++) {
      const x = valueAt(v, j);
      if (x < min[j]) min[j] = x;
      if (x > max[j]) max[j] = x;
    }
  }
  const counts = new Float64Array(k * bins);
  for (const row of rows) {
    const v = row.values;
    for (let j = 0; j < k; j++) {
      const x = valueAt(v, j);
      if (!Number.isFinite(x)) continue;
      const width = (max[j] - min[j]) / bins;
      const b = width > 0 ? Math.min(bins - 1, Math.floor((x - min[j]) / width)) : 0;
      counts[j * bins + b]++;
    }
  }
  const traits: Record<string, Histogram> = {};
  cols.spec.traitIds.forEach((id, j) => {
    traits[id] = rows.length ? { min: min[j], max: max[j], counts: Array.from(counts.subarray(j * bins, (j + 1) * bins)) } : { min: 0, max: 0, counts: new Array<number>(bins).fill(0) };
  });
  const scores = new Float64Array(rows.length);
  let sides = 0;
  let agree = 0;
  let ranked = 0;
  let rankedAgree = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    scores[i] = row.score;
    if (row.candidates) {
      if (row.candidates.rankedFirst !== undefined) {
        ranked++;
        if (row.candidates.rankedFirst === row.candidates.best) rankedAgree++;
      }
    } else if (row.a !== undefined) {
      sides++;
      if (row.score > 0) agree++;
    }
  }
  const stats: InspectStats = { rows: rows.length, traits, scores: histogram(scores, bins) };
  if (sides > 0) stats.agreement = { agree, of: sides };
  if (ranked > 0) stats.ranked = { agree: rankedAgree, of: ranked };
  return stats;
}

/** All the text of a record, lowercased, for search. */
export function searchText(record: ScorableRecord): string {
  const turns = (t: Turns | undefined) => (t === undefined ? '' : typeof t === 'string' ? t : t.map((m) => m.content).join('\n'));
  switch (record.kind) {
    case 'dialogue':
      return turns(record.dialogue.messages).toLowerCase();
    case 'pair':
      return [turns(record.pair.prompt), turns(record.pair.chosen), turns(record.pair.rejected)].join('\n').toLowerCase();
    case 'contrastive':
      return [turns(record.pair.human.messages), turns(record.pair.ai.messages)].join('\n').toLowerCase();
    case 'candidates':
      return [turns(record.candidates.prompt), ...record.candidates.responses.map(turns)].join('\n').toLowerCase();
  }
}
