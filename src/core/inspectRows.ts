/**
 * The inspector's rows as scoring makes them (one rule for the host's own chunks and the worker
 * threads'), and their packed form for crossing a thread boundary: a few typed arrays that are
 * transferred, not copied, plus the search texts. Structured-cloning 2,000 row objects, each with its own
 * Float32Array, cost more than scoring them; a packed chunk moves in well under a millisecond.
 */
import type { InspectRow } from './inspect';
import type { LineResult, TraitScore } from './score';

/** A scored line as a row; `text` is the record's search text (inspect.ts searchText). */
export function rowOf(r: Exclude<LineResult, { kind: 'diagnostic' }>, text: string, columns: readonly string[]): InspectRow {
  if (r.kind === 'dialogue') return { line: r.line, kind: r.kind, score: r.result.score, values: pick(r.result, undefined, columns), text };
  if (r.kind === 'candidates') {
    // Shown like a pair: the best against the worst candidate (the table's bars are their difference).
    const c = r.result;
    const [best, worst] = [c.candidates[c.best - 1], c.candidates[c.worst - 1]];
    const candidates: NonNullable<InspectRow['candidates']> = { n: c.candidates.length, best: c.best, worst: c.worst };
    if (c.ranking) candidates.rankedFirst = c.ranking[0];
    return { line: r.line, kind: r.kind, score: c.spread, a: best.score, b: worst.score, candidates, values: pick(best, worst, columns), text };
  }
  const [first, second] = r.kind === 'pair' ? [r.result.chosen, r.result.rejected] : [r.result.human, r.result.ai];
  return { line: r.line, kind: r.kind, score: r.result.margin, a: first.score, b: second.score, values: pick(first, second, columns), text };
}

/** Model-order values of one side, or of two sides one after the other. */
function pick(first: TraitScore, second: TraitScore | undefined, ids: readonly string[]): Float32Array {
  const k = ids.length;
  const out = new Float32Array(second ? 2 * k : k);
  const a = first.traits;
  for (let j = 0; j < k; j++) out[j] = a[ids[j]];
  if (second) {
    const b = second.traits;
    for (let j = 0; j < k; j++) out[k + j] = b[ids[j]];
  }
  return out;
}

const KINDS: readonly InspectRow['kind'][] = ['dialogue', 'pair', 'contrastive', 'candidates'];

/** Rows as typed arrays. A dialogue row has no `a`/`b` (its slots hold 0); every other kind has both. */
export interface PackedRows {
  n: number;
  line: Int32Array;
  /** Index into KINDS. */
  kind: Uint8Array;
  /** score, a, b per row. */
  scores: Float64Array;
  /** Row i's values are values[valueStart[i] .. valueStart[i + 1]). */
  valueStart: Int32Array;
  values: Float32Array;
  /** Candidate rows: n, best, worst, rankedFirst (0: no ranking) per row; zeros elsewhere. */
  candidates: Int32Array;
  texts: string[];
}

export function packRows(rows: readonly InspectRow[]): { packed: PackedRows; transfer: ArrayBuffer[] } {
  const n = rows.length;
  const line = new Int32Array(n);
  const kind = new Uint8Array(n);
  const scores = new Float64Array(3 * n);
  const valueStart = new Int32Array(n + 1);
  const candidates = new Int32Array(4 * n);
  const texts = new Array<string>(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    valueStart[i] = v;
    v += rows[i].values.length;
  }
  valueStart[n] = v;
  const values = new Float32Array(v);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    line[i] = r.line;
    kind[i] = KINDS.indexOf(r.kind);
    scores[3 * i] = r.score;
    scores[3 * i + 1] = r.a ?? 0;
    scores[3 * i + 2] = r.b ?? 0;
    values.set(r.values, valueStart[i]);
    if (r.candidates) {
      candidates[4 * i] = r.candidates.n;
      candidates[4 * i + 1] = r.candidates.best;
      candidates[4 * i + 2] = r.candidates.worst;
      candidates[4 * i + 3] = r.candidates.rankedFirst ?? 0;
    }
    texts[i] = r.text;
  }
  const packed: PackedRows = { n, line, kind, scores, valueStart, values, candidates, texts };
  return { packed, transfer: [line.buffer, kind.buffer, scores.buffer, valueStart.buffer, values.buffer, candidates.buffer] as ArrayBuffer[] };
}

/** The rows back; each row's values are a view into the packed values (no copy). */
export function unpackRows(p: PackedRows): InspectRow[] {
  const rows = new Array<InspectRow>(p.n);
  for (let i = 0; i < p.n; i++) {
    const kind = KINDS[p.kind[i]];
    const values = p.values.subarray(p.valueStart[i], p.valueStart[i + 1]);
    if (kind === 'dialogue') {
      rows[i] = { line: p.line[i], kind, score: p.scores[3 * i], values, text: p.texts[i] };
      continue;
    }
    const row: InspectRow = { line: p.line[i], kind, score: p.scores[3 * i], a: p.scores[3 * i + 1], b: p.scores[3 * i + 2], values, text: p.texts[i] };
    if (kind === 'candidates') {
      const c = p.candidates;
      row.candidates = { n: c[4 * i], best: c[4 * i + 1], worst: c[4 * i + 2] };
      if (c[4 * i + 3] > 0) row.candidates.rankedFirst = c[4 * i + 3];
    }
    rows[i] = row;
  }
  return rows;
}
