/**
 * What a reward model was fitted on, and whether a file's responses are far from it.
 */
import { traitIndex } from '../traits/catalog';
import type { ComparisonTable } from './comparisons';

/** The fitting data in numbers a reader can check a file against; stored in the model (onnx.ts). */
export interface DomainSummary {
  /** Plain words: what the model was fitted on ("chat turns from Turing-test games, …"). */
  fittedOn: string;
  /** Responses (sides of comparisons) the summary was taken over. */
  responses: number;
  /** Words per turn of those responses: 2.5th, 50th and 97.5th percentiles. */
  wordsPerTurn: [number, number, number];
  /** Per model trait, in model order: the 0.5th and 99.5th percentiles of its raw value. */
  traitRange: [number, number][];
}

/** Sides sampled for the summary: percentiles need no more. */
const SUMMARY_SIDES = 100_000;

/** The summary of a table's sides for the model's traits (`cols`: each model trait's column). */
export function summarizeDomain(table: ComparisonTable, cols: readonly number[], fittedOn: string): DomainSummary {
  const rows = Math.min(table.n, Math.ceil(SUMMARY_SIDES / 2));
  const step = table.n / rows;
  const column = (c: number): Float64Array => {
    const v = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const r = Math.floor(i * step);
      v[2 * i] = table.value(r, 0, c);
      v[2 * i + 1] = table.value(r, 1, c);
    }
    return v.sort();
  };
  const words = column(traitIndex('length')).map(wordsPerTurn);
  return {
    fittedOn,
    responses: table.n * 2,
    wordsPerTurn: [quantile(words, 0.025), quantile(words, 0.5), quantile(words, 0.975)],
    traitRange: cols.map((c) => {
      const v = column(c);
      return [quantile(v, 0.005), quantile(v, 0.995)];
    }),
  };
}

/** Words per turn from the `length` trait (log2(1 + words per turn)), rounded to a tenth. */
export const wordsPerTurn = (length: number): number => Math.round((2 ** length - 1) * 10) / 10;

/** The value at quantile p of sorted values (nearest rank). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}
