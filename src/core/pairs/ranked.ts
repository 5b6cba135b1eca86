/**
 * Reward-ranked pairs (HAL's recipe): candidates grouped by prompt or persona, each scored by the
 * reward, and pairs chosen within each group by a rule of select.ts. The output is TRL preference
 * lines with the evidence kept beside them:
 *
 *   {"prompt"?, "chosen", "rejected", "chosen_score", "rejected_score", "gap",
 *    "group"?, "chosen_line"?, "rejected_line"?, "chosen_index"?, "rejected_index"?}
 *
 * Text stays text; when the prompt or an answer is a list of messages every part becomes messages
 * (the trainer and TRL refuse a mix). Whole dialogues of one group share their leading turns as the
 * prompt, as TRL's implicit prompt does; without shared turns there is no `prompt` field.
 */
import { writeChunksAtomic } from '../atomic';
import type { Message, Turns } from '../types';
import { turnsText, type Candidate } from './candidates';
import { describeRule, sampleSd, selectGroup, type RankedSummary, type Rule } from './select';

export interface RankedOptions {
  rule: Rule;
  maxPerGroup?: number;
  /** Write `group` on each pair (when groups came from --group-by; prompt groups need no label). */
  groupField?: boolean;
}

/** A candidate that took no part, and why (the caller turns these into diagnostics or counts). */
export interface Excluded {
  candidate: Candidate;
  reason: 'empty' | 'unscorable';
}

export interface RankedResult {
  pairs: Record<string, unknown>[];
  summary: RankedSummary;
  excluded: Excluded[];
}

export function buildRankedPairs(candidates: readonly Candidate[], scores: ArrayLike<number>, opts: RankedOptions): RankedResult {
  const excluded: Excluded[] = [];
  const groups = new Map<string, number[]>();
  const usable: number[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    // A group still counts when all of its candidates were left out: the summary says why.
    if (!groups.has(c.group)) groups.set(c.group, []);
    if (!turnsText(c.response).trim()) excluded.push({ candidate: c, reason: 'empty' });
    else if (!Number.isFinite(scores[i])) excluded.push({ candidate: c, reason: 'unscorable' });
    else {
      groups.get(c.group)!.push(i);
      usable.push(scores[i]);
    }
  }
  const sdAll = sampleSd(usable);
  const summary: RankedSummary = {
    rule: describeRule(opts.rule),
    groups: groups.size,
    candidates: candidates.length,
    pairs: 0,
    pairedGroups: 0,
    skipped: { single: 0, tied: 0, 'below-threshold': 0 },
    capped: 0,
    empty: excluded.filter((e) => e.reason === 'empty').length,
    unscorable: excluded.filter((e) => e.reason === 'unscorable').length,
    sdAll,
  };
  if (opts.rule.kind === 'sd' && opts.rule.scope === 'all') summary.threshold = opts.rule.k * sdAll;
  const pairs: Record<string, unknown>[] = [];
  for (const members of groups.values()) {
    const groupScores = members.map((i) => scores[i]);
    const sel = selectGroup(groupScores, opts.rule, { globalSd: sdAll, maxPerGroup: opts.maxPerGroup });
    if (sel.skipped) {
      summary.skipped[sel.skipped]++;
      continue;
    }
    summary.pairedGroups++;
    summary.capped += sel.eligible - sel.pairs.length;
    for (const p of sel.pairs) {
      const ci = members[p.chosen];
      const ri = members[p.rejected];
      pairs.push(pairRecord(candidates[ci], candidates[ri], scores[ci], scores[ri], opts.groupField ?? false));
    }
  }
  summary.pairs = pairs.length;
  return { pairs, summary, excluded };
}

export function pairRecord(chosen: Candidate, rejected: Candidate, chosenScore: number, rejectedScore: number, withGroup: boolean): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  if (chosen.kind === 'dialogue') {
    const split = splitSharedPrompt(chosen.response as Message[], rejected.response as Message[]);
    if (split.prompt.length > 0) rec.prompt = split.prompt;
    rec.chosen = split.chosen;
    rec.rejected = split.rejected;
  } else {
    Object.assign(rec, trlShape(chosen.prompt, chosen.response, rejected.response));
  }
  rec.chosen_score = chosenScore;
  rec.rejected_score = rejectedScore;
  rec.gap = chosenScore - rejectedScore;
  if (withGroup) rec.group = chosen.group;
  if (chosen.line > 0) rec.chosen_line = chosen.line;
  if (rejected.line > 0) rec.rejected_line = rejected.line;
  if (chosen.index !== undefined) rec.chosen_index = chosen.index;
  if (rejected.index !== undefined) rec.rejected_index = rejected.index;
  return rec;
}

/** prompt/chosen/rejected all text, or all messages when any of them is. */
export function trlShape(prompt: Turns | undefined, chosen: Turns, rejected: Turns): { prompt?: Turns; chosen: Turns; rejected: Turns } {
  const conversational = Array.isArray(prompt) || Array.isArray(chosen) || Array.isArray(rejected);
  if (!conversational) return prompt === undefined ? { chosen, rejected } : { prompt, chosen, rejected };
  const asMessages = (t: Turns, role: string): Message[] => (typeof t === 'string' ? [{ role, content: t }] : t);
  const out: { prompt?: Turns; chosen: Turns; rejected: Turns } = { chosen: asMessages(chosen, 'assistant'), rejected: asMessages(rejected, 'assistant') };
  if (prompt !== undefined) out.prompt = asMessages(prompt, 'user');
  return out;
}

/** The leading turns two dialogues share, keeping at least one turn on each side (as the trainer does). */
export function splitSharedPrompt(a: Message[], b: Message[]): { prompt: Message[]; chosen: Message[]; rejected: Message[] } {
  let i = 0;
  while (i < Math.min(a.length, b.length) - 1 && a[i].role === b[i].role && a[i].content === b[i].content) i++;
  return { prompt: a.slice(0, i), chosen: a.slice(i), rejected: b.slice(i) };
}

/**
 * Writes pair lines atomically, a few hundred lines at a time: pairs of whole dialogues repeat each
 * dialogue in many pairs, and the file can outgrow what one string may hold (roleplay at 0.5 SD: 398 MB).
 */
export function writeJsonlAtomic(file: string, records: readonly unknown[]): Promise<void> {
  return writeChunksAtomic(file, jsonlChunks(records));
}

function* jsonlChunks(records: readonly unknown[], perChunk = 256): Generator<string> {
  for (let i = 0; i < records.length; i += perChunk) {
    yield records.slice(i, i + perChunk).map((r) => JSON.stringify(r) + '\n').join('');
  }
}
