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
  /**
   * The 90th percentile of words per turn: the upper edge a file's median is checked against (the 97.5th
   * of a mixture with long generated replies reaches essay length, where no person's text was seen).
   */
  wordsPerTurn90?: number;
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
    wordsPerTurn90: quantile(words, 0.9),
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

/** A response counts as far from the fitting data when this many of its traits lie outside what fitting saw. */
export const FAR_TRAITS = 4;
/** A file is out of domain when at least this share of its responses is far (or its median words per turn is out of range). */
export const FAR_SHARE = 0.5;

export interface DomainVerdict {
  /** Responses checked. */
  responses: number;
  medianWords: number;
  /** Share of responses with FAR_TRAITS or more traits outside their fitting range. */
  farShare: number;
  /** Traits most often outside their fitting range, most often first (ids), with how often. */
  farTraits: { id: string; share: number }[];
  /** Plain words for the user, or undefined when the file is within the model's domain. */
  notice?: string;
}

/** Something carrying every engine trait by id: a scored response (score.ts TraitScore). */
export interface TraitValues {
  traits: Record<string, number>;
}

/**
 * Checks a file's responses against what a model was fitted on: the median words per turn against the
 * 2.5th and 90th percentiles seen in fitting, and how many traits of each response fall outside the 0.5-99.5 % range
 * seen in fitting (where the z-scores clip and the shapes run flat, so the model no longer tells texts
 * apart). One verdict per file: feed it every scored response, then ask once.
 */
export class DomainCheck {
  private words: number[] = [];
  private far = 0;
  private readonly outside: Int32Array;

  constructor(
    private readonly traitIds: readonly string[],
    private readonly domain: DomainSummary | undefined,
  ) {
    this.outside = new Int32Array(traitIds.length);
  }

  /** False for models without a fitting summary (format 1): they cannot say. */
  get available(): boolean {
    return this.domain !== undefined;
  }

  add(response: TraitValues): void {
    this.addValues((j) => response.traits[this.traitIds[j]], response.traits.length);
  }

  /**
   * One response as values in the model's trait order (the inspector's rows: `values` from `offset`);
   * words per turn come from the model's `length` trait when it has one.
   */
  addModelRow(values: ArrayLike<number>, offset = 0): void {
    const at = this.traitIds.indexOf('length');
    this.addValues((j) => values[offset + j], at >= 0 ? values[offset + at] : undefined);
  }

  private addValues(value: (j: number) => number | undefined, length: number | undefined): void {
    const d = this.domain;
    if (!d) return;
    if (length !== undefined) this.words.push(wordsPerTurn(length));
    let n = 0;
    for (let j = 0; j < this.traitIds.length; j++) {
      const x = value(j);
      const range = d.traitRange[j];
      if (x === undefined || !range) continue;
      // A little slack: a value at the edge of what fitting saw is not "outside" it.
      const slack = (range[1] - range[0]) * 0.05;
      if (x < range[0] - slack || x > range[1] + slack) {
        n++;
        this.outside[j]++;
      }
    }
    if (n >= FAR_TRAITS) this.far++;
  }

  /** Every response of a scored line (score.ts LineResult), diagnostics ignored. */
  addLine(r: { kind: string; result?: unknown }): void {
    const res = r.result as Record<string, unknown> | undefined;
    if (!res) return;
    if (r.kind === 'dialogue') this.add(res as unknown as TraitValues);
    else if (r.kind === 'pair') {
      this.add(res.chosen as TraitValues);
      this.add(res.rejected as TraitValues);
    } else if (r.kind === 'contrastive') {
      this.add(res.human as TraitValues);
      this.add(res.ai as TraitValues);
    } else if (r.kind === 'candidates') for (const c of res.candidates as TraitValues[]) this.add(c);
  }

  verdict(): DomainVerdict | undefined {
    const d = this.domain;
    const n = this.words.length;
    if (!d || n === 0) return undefined;
    const sorted = Float64Array.from(this.words).sort();
    const medianWords = sorted[Math.floor((n - 1) / 2)] / 2 + sorted[Math.ceil((n - 1) / 2)] / 2;
    const farShare = this.far / n;
    const farTraits = this.traitIds
      .map((id, j) => ({ id, share: this.outside[j] / n }))
      .filter((t) => t.share > 0)
      .sort((a, b) => b.share - a.share)
      .slice(0, 5);
    const lo = d.wordsPerTurn[0];
    const hi = d.wordsPerTurn90 ?? d.wordsPerTurn[2];
    const reasons: string[] = [];
    if (medianWords > hi) {
      reasons.push(`their median is ${fmtWords(medianWords)} ${medianWords === 1 ? 'word' : 'words'} per turn, longer than ${d.wordsPerTurn90 !== undefined ? '90' : '97.5'} % of the responses it was fitted on (${fmtWords(hi)} words per turn or less)`);
    } else if (medianWords < lo) {
      reasons.push(`their median is ${fmtWords(medianWords)} ${medianWords === 1 ? 'word' : 'words'} per turn, shorter than 97.5 % of the responses it was fitted on (${fmtWords(lo)} words per turn or more)`);
    }
    if (farShare >= FAR_SHARE) {
      reasons.push(
        `${Math.round(farShare * 100)} % of them have ${FAR_TRAITS} or more traits beyond anything seen in fitting (most often ${farTraits
          .slice(0, 3)
          .map((t) => t.id)
          .join(', ')}), where the model stops telling texts apart`,
      );
    }
    const verdict: DomainVerdict = { responses: n, medianWords, farShare, farTraits };
    if (reasons.length > 0) {
      verdict.notice =
        `These responses are far from what the reward model was fitted on: ${reasons.join('; ')}. ` +
        `It was fitted on ${d.fittedOn}. Its scores here may mislead; to rely on them, refit on data like this (styletune fit).`;
    }
    return verdict;
  }
}

const fmtWords = (w: number) => (w >= 10 ? String(Math.round(w)) : w.toFixed(1).replace(/\.0$/, ''));
