/**
 * Judge traits: an LLM judge's 1-5 ratings on HAL's 32 statements, as traits beside the lexical ones.
 *
 * Ids are stable (`judge.hal01` … `judge.hal32`, statement i = HAL's statement i), so a reward model
 * stores judge weights by name like any other trait and can never apply one to the wrong statement.
 * Trait rows that carry judge values are the engine's lexical row (TRAITS order) followed by the 32
 * ratings: "feature" positions below count over both.
 */
import { TRAITS, traitIndex } from '../traits/catalog';

/** HAL's 32 trait statements, in rating order (paraphrased from shared/data/README.md). */
export const HAL_STATEMENTS: readonly string[] = [
  'Gives brief, casual replies rather than long, complete ones.',
  'Uses slang, abbreviations and texting shorthand.',
  'Writes in lowercase, like casual texting.',
  'Has typos and loose or missing punctuation.',
  'Uses emojis, emoticons or elongated words ("sooo").',
  'Avoids formal or academic formatting (lists, headings, structured paragraphs).',
  'Uses idiomatic, everyday phrasing.',
  'Shows playful humor.',
  'Has a spontaneous, opinionated tone.',
  'Makes niche cultural references.',
  'Gives simple personal reasons for choices.',
  'Expresses small emotions or judgments.',
  'Has idiosyncratic personal preferences.',
  'Clarifies or corrects itself.',
  'Hedges and shows imperfect recall.',
  'Admits not knowing something.',
  "Builds on the other person's message.",
  'Steers the topic of the conversation.',
  'Shifts topics organically.',
  'Asks context-aware follow-up questions.',
  'Shows brief empathy.',
  'Uses brief polite closings.',
  'Keeps a consistent personal context.',
  'Answers directly, with situational detail.',
  'Makes no meta-commentary about being an AI.',
  'References recent activities.',
  'Gives specific, non-templated details.',
  'Shares personal experiences and feelings.',
  'Gives concrete answers about itself.',
  'Mentions plans and specific times.',
  'Mentions local places.',
  'Mentions small details of daily life.',
];

/** HAL's 16 statements kept by its L1 fit (1-based). */
export const HAL16: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 12, 15, 17, 20, 21, 24, 26, 28, 32];

export interface JudgeTraitDef {
  id: string;
  label: string;
  description: string;
  /** The HAL statement (1-32). */
  hal: readonly number[];
  range: readonly [number, number];
}

/** Short names of the statements, for places with room for a few words (inline annotations, charts). */
const SHORT: readonly string[] = [
  'brief, casual',
  'slang',
  'lowercase',
  'typos',
  'emojis',
  'no formal formatting',
  'everyday idioms',
  'playful humor',
  'opinionated',
  'niche references',
  'personal reasons',
  'small emotions',
  'quirky preferences',
  'self-correction',
  'hedging',
  'admits not knowing',
  'builds on partner',
  'steers the topic',
  'organic topic shifts',
  'follow-up questions',
  'brief empathy',
  'polite closings',
  'consistent persona',
  'direct, situational',
  'no AI talk',
  'recent activities',
  'specific details',
  'personal experiences',
  'concrete about itself',
  'plans and times',
  'local places',
  'daily-life details',
];

export const JUDGE_TRAITS: readonly JudgeTraitDef[] = HAL_STATEMENTS.map((statement, i) => ({
  id: judgeTraitId(i + 1),
  label: `Judge: ${SHORT[i]}`,
  description: `An LLM judge's 1-5 rating of "${statement}" (HAL statement ${i + 1}); no evidence spans.`,
  hal: [i + 1],
  range: [1, 5] as const,
}));

export const JUDGE_TRAIT_IDS: readonly string[] = JUDGE_TRAITS.map((t) => t.id);

export function judgeTraitId(statement: number): string {
  return `judge.hal${String(statement).padStart(2, '0')}`;
}

/** Length of a trait row that carries judge ratings: the lexical traits, then the 32 ratings. */
export const FEATURE_COUNT = TRAITS.length + JUDGE_TRAITS.length;

const judgeIndexById = new Map(JUDGE_TRAIT_IDS.map((id, i) => [id, TRAITS.length + i]));

/** Position of a lexical or judge trait in a full feature row, or -1 for an unknown id. */
export function featureIndex(id: string): number {
  const i = traitIndex(id);
  return i >= 0 ? i : (judgeIndexById.get(id) ?? -1);
}

export function isJudgeTrait(id: string): boolean {
  return judgeIndexById.has(id);
}

/** Label of a lexical or judge trait (the id itself for an unknown one). */
export function featureLabel(id: string): string {
  return featureInfo(id).label;
}

/** A lexical row extended with judge ratings (the row the model and fitter take when judge traits are in use). */
export function withRatings(lexical: Float64Array, ratings: readonly number[]): Float64Array {
  if (ratings.length !== JUDGE_TRAITS.length) throw new Error(`expected ${JUDGE_TRAITS.length} judge ratings, got ${ratings.length}`);
  const row = new Float64Array(FEATURE_COUNT);
  row.set(lexical.subarray(0, TRAITS.length));
  for (let i = 0; i < ratings.length; i++) row[TRAITS.length + i] = ratings[i];
  return row;
}

/** Label and one-line description of a lexical or judge trait (the id itself for an unknown one). */
export function featureInfo(id: string): { label: string; description: string } {
  const i = featureIndex(id);
  if (i < 0) return { label: id, description: '' };
  const t = i < TRAITS.length ? TRAITS[i] : JUDGE_TRAITS[i - TRAITS.length];
  return { label: t.label, description: t.description };
}
