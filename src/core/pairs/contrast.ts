/**
 * Contrast prompting (the human-like DPO recipe, arXiv 2501.05032): one model answers each prompt once
 * under a casual, human-like system prompt and once under a formal one; the casual answer is `chosen`,
 * the formal one `rejected`. The reward then checks the intended direction: a pair is kept only when
 * reward(casual) − reward(formal) ≥ margin, and every dropped one is counted with its reason.
 *
 * The paper's system prompts are not published word for word; these defaults follow its description
 * (conversational: warm, casual, relatable, with humor and emotion; formal: structured, clear, neutral,
 * without emotional expressiveness). Both can be replaced.
 */
import type { Turns } from '../types';
import { turnsText } from './candidates';
import { trlShape } from './ranked';
import { share } from '../percent';
import { count, counted } from '../counted';

export const DEFAULT_CASUAL_SYSTEM_PROMPT =
  'You are a real person chatting casually with a friend. Reply the way people text: short, warm and relaxed, ' +
  'with everyday words, contractions, a little humor or emotion, and opinions and small details of your own. ' +
  'Ask something back now and then. Never say you are an AI, and never use lists, headings or formal phrasing.';

export const DEFAULT_FORMAL_SYSTEM_PROMPT =
  'You are a professional AI assistant. Answer in a formal, neutral and impersonal tone: clear, structured and ' +
  'complete, without slang, humor, emotion or personal opinions.';

/**
 * Tokens per answer. The trainer's default (128) cuts off most answers of this kind: in the
 * human-like-dpo pairs the median answer has ~550 (formal) to ~720 (casual) characters and the 90th
 * percentile ~1,200, about 300 tokens; a cut-off answer is dropped, so contrast runs default higher.
 */
export const DEFAULT_CONTRAST_MAX_NEW_TOKENS = 384;

/** Reward units (logits). Chosen from the human-like-dpo pairs: see the README's figures. */
export const DEFAULT_MARGIN = 1;

export type DropReason = 'empty' | 'truncated' | 'unscorable' | 'disagreed' | 'below-margin';

export const DROP_REASONS: readonly DropReason[] = ['empty', 'truncated', 'unscorable', 'disagreed', 'below-margin'];

export interface ContrastCase {
  /** 1-based line of the input (prompt or pair line). */
  line: number;
  prompt?: Turns;
  casual: Turns;
  formal: Turns;
  /** Generated answers: whether each stopped at max_new_tokens rather than at its end. */
  casualTruncated?: boolean;
  formalTruncated?: boolean;
}

export interface ContrastVerdict {
  kept: boolean;
  reason?: DropReason;
  /** reward(casual) − reward(formal); NaN when not scored. */
  gap: number;
}

/**
 * The decision for one case. Order of reasons: an empty answer, then a cut-off one (unless allowed),
 * then one the reward cannot score, then the direction (gap < 0: the reward prefers the formal answer),
 * then the margin (0 ≤ gap < margin).
 */
export function judgeContrast(c: ContrastCase, casualScore: number, formalScore: number, margin: number, allowTruncated = false): ContrastVerdict {
  const gap = casualScore - formalScore;
  if (!turnsText(c.casual).trim() || !turnsText(c.formal).trim()) return { kept: false, reason: 'empty', gap: NaN };
  if (!allowTruncated && (c.casualTruncated || c.formalTruncated)) return { kept: false, reason: 'truncated', gap: Number.isFinite(gap) ? gap : NaN };
  if (!Number.isFinite(gap)) return { kept: false, reason: 'unscorable', gap: NaN };
  if (gap < 0) return { kept: false, reason: 'disagreed', gap };
  if (gap < margin) return { kept: false, reason: 'below-margin', gap };
  return { kept: true, gap };
}

export interface ContrastSummary {
  cases: number;
  kept: number;
  dropped: Record<DropReason, number>;
  margin: number;
  /** Mean gap of the kept pairs (NaN when none). */
  meanKeptGap: number;
}

export function summarizeContrast(verdicts: readonly ContrastVerdict[], margin: number): ContrastSummary {
  const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  let kept = 0;
  let gapSum = 0;
  for (const v of verdicts) {
    if (v.kept) {
      kept++;
      gapSum += v.gap;
    } else dropped[v.reason!]++;
  }
  return { cases: verdicts.length, kept, dropped, margin, meanKeptGap: kept ? gapSum / kept : NaN };
}

const REASON_WORDS: Record<DropReason, string> = {
  empty: 'an answer was empty',
  truncated: 'an answer stopped at max_new_tokens (cut off)',
  unscorable: 'the reward could not score an answer (no turn by the scored role)',
  disagreed: 'the reward preferred the formal answer',
  'below-margin': 'the reward agreed, but by less than the margin',
};

export function formatContrastSummary(s: ContrastSummary): string[] {
  const pct = (n: number) => (s.cases ? ` (${share(n, s.cases)})` : '');
  const lines = [`kept ${count(s.kept)} of ${counted(s.cases, 'pair')}${pct(s.kept)}: reward(casual) − reward(formal) ≥ ${s.margin}`];
  if (s.kept) lines.push(`  mean gap of kept pairs ${s.meanKeptGap.toFixed(3)}`);
  for (const r of DROP_REASONS) if (s.dropped[r]) lines.push(`  dropped ${count(s.dropped[r])}${pct(s.dropped[r])}: ${REASON_WORDS[r]}`);
  return lines;
}

/** The TRL line of a kept case; `extra` (source line, prompt index) goes after the scores. */
export function contrastRecord(c: ContrastCase, casualScore: number, formalScore: number): Record<string, unknown> {
  return {
    ...trlShape(c.prompt, c.casual, c.formal),
    chosen_score: casualScore,
    rejected_score: formalScore,
    gap: casualScore - formalScore,
    line: c.line,
  };
}

/** A dropped case, for the optional --dropped file: what was compared and why it was left out. */
export function droppedRecord(c: ContrastCase, v: ContrastVerdict, casualScore: number, formalScore: number): Record<string, unknown> {
  const rec: Record<string, unknown> = { ...trlShape(c.prompt, c.casual, c.formal), reason: v.reason, line: c.line };
  if (Number.isFinite(casualScore)) rec.chosen_score = casualScore;
  if (Number.isFinite(formalScore)) rec.rejected_score = formalScore;
  if (Number.isFinite(v.gap)) rec.gap = v.gap;
  return rec;
}

/** Prepends the system prompt to a prompt, replacing a system turn it already has (templates take one). */
export function withSystemPrompt(prompt: Turns, system: string): { role: string; content: string }[] {
  const msgs = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt.filter((m, i) => !(i === 0 && m.role === 'system'));
  return [{ role: 'system', content: system }, ...msgs];
}
