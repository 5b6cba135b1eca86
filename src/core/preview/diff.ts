/**
 * A preview's two responses scored by the reward model, and the traits whose contribution changed
 * most between them. Each response is measured as a reply to the prompt (its last partner turn is the
 * context), the way pair sides are measured everywhere else. A model that weighs LLM-judge traits needs
 * each response's 32 judge ratings as well (of the response after the prompt, as `styletune judge` rates a pair side).
 */
import { featureIndex, featureInfo, withRatings } from '../judge/traits';
import type { RewardModel } from '../reward/model';
import { TraitExtractor } from '../traits/extract';
import type { Turns } from '../types';

export interface ScoredResponse {
  text: string;
  score: number;
  /** Model order: measured value and contribution (w·z) per model trait. */
  values: number[];
  contributions: number[];
}

export interface TraitDelta {
  id: string;
  label: string;
  description: string;
  base: number;
  tuned: number;
  baseContribution: number;
  tunedContribution: number;
  /** tunedContribution − baseContribution; the deltas sum to the reward difference. */
  delta: number;
}

export interface PreviewScores {
  base: ScoredResponse;
  tuned: ScoredResponse;
  /** tuned − base. */
  rewardDelta: number;
  bias: number;
  /** Every model trait, largest |delta| first. */
  traits: TraitDelta[];
}

const extractor = new TraitExtractor();

/**
 * Scores responses to `prompt` (any number, in order). `role` is the responder's role in `prompt`;
 * `ratings`, per response, its judge ratings (required when the model weighs judge traits).
 */
export async function scoreResponses(model: RewardModel, prompt: Turns, texts: readonly string[], role = 'assistant', ratings?: readonly (readonly number[])[]): Promise<ScoredResponse[]> {
  if (model.usesJudge && ratings?.length !== texts.length) throw new Error('this reward model weighs LLM-judge ratings: rate the replies with the judge first');
  const rows = texts.map((t, i) => {
    const lexical = extractor.measureResponse(t, prompt, { role }).values;
    return ratings ? withRatings(lexical, ratings[i]) : lexical;
  });
  const scored = await model.scoreRows(rows);
  const k = model.traitIds.length;
  const cols = model.traitIds.map(featureIndex);
  return texts.map((text, r) => ({
    text,
    score: scored.score[r],
    values: cols.map((c) => rows[r][c]),
    contributions: Array.from(scored.contributions.subarray(r * k, (r + 1) * k)),
  }));
}

/** The per-trait difference of two scored responses (model order in, largest |delta| first out). */
export function traitDeltas(traitIds: readonly string[], base: ScoredResponse, tuned: ScoredResponse): TraitDelta[] {
  const rows = traitIds.map((id, j) => {
    return {
      id,
      ...featureInfo(id),
      base: base.values[j],
      tuned: tuned.values[j],
      baseContribution: base.contributions[j],
      tunedContribution: tuned.contributions[j],
      delta: tuned.contributions[j] - base.contributions[j],
    };
  });
  // Ties (often all-zero deltas) keep the model's order, so the list is stable between runs.
  return rows.map((r, i) => ({ r, i })).sort((a, b) => Math.abs(b.r.delta) - Math.abs(a.r.delta) || a.i - b.i).map((x) => x.r);
}

/** `ratings`: the base and the tuned reply's judge ratings, for a model that weighs judge traits. */
export async function scorePreview(model: RewardModel, prompt: Turns, baseText: string, tunedText: string, ratings?: [readonly number[], readonly number[]]): Promise<PreviewScores> {
  const [base, tuned] = await scoreResponses(model, prompt, [baseText, tunedText], 'assistant', ratings);
  return { base, tuned, rewardDelta: tuned.score - base.score, bias: model.bias, traits: traitDeltas(model.traitIds, base, tuned) };
}

/** Traits worth naming: those whose contribution moved by at least `min`, at most `n` of them. */
export function topDeltas(traits: readonly TraitDelta[], n: number, min = 0.005): TraitDelta[] {
  return traits.filter((t) => Math.abs(t.delta) >= min).slice(0, n);
}
