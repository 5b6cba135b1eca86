/**
 * How many preference pairs a file gives the trainer, counted by the trainer's own rule
 * (trainer/styletune_trainer/data.py read_pairs): a TRL line `{prompt?, chosen, rejected}` is one pair; a
 * ranked labeler line gives every pair in its `pairs`; unlabeled `responses` lines and lines labeled tie
 * or skip give none. Lines the trainer would stop at (not JSON, not an object, a pair without
 * `chosen`/`rejected`) are counted apart, with the first one's line number. Also the mean length of a
 * pair's text, for a rough time estimate.
 */
import { readJsonl } from '../jsonl';

export interface TrainingPairsCount {
  pairs: number;
  /** Lines with candidates but no label yet. */
  unlabeled: number;
  /** Lines labeled tie or skip. */
  noPreference: number;
  /** Lines the trainer would refuse; training stops at the first. */
  invalid: number;
  firstInvalidLine?: number;
  /** Characters the trainer reads for a pair (the prompt once per side, chosen and rejected), averaged. */
  meanChars: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text or a list of {role, content} messages, as the trainer accepts them. */
function isTurns(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((m) => isObject(m) && typeof m.content === 'string'));
}

function chars(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) return v.reduce<number>((n, m) => n + (isObject(m) && typeof m.content === 'string' ? m.content.length : 0), 0);
  return 0;
}

/** The pairs one line stands for, or undefined when the trainer would refuse the line. */
function pairsOf(rec: unknown): Json[] | 'unlabeled' | 'no-preference' | undefined {
  if (!isObject(rec)) return undefined;
  if ('chosen' in rec || 'rejected' in rec) {
    if (Array.isArray(rec.pairs) && rec.pairs.length > 0) {
      const pairs = rec.pairs.map((p) => (isObject(p) ? { ...('prompt' in rec ? { prompt: rec.prompt } : {}), ...p } : p));
      return pairs.every((p) => isObject(p) && isTurns(p.chosen) && isTurns(p.rejected)) ? (pairs as Json[]) : undefined;
    }
    return isTurns(rec.chosen) && isTurns(rec.rejected) ? [rec] : undefined;
  }
  const label = rec.label;
  if (isObject(label) && (label.choice === 'tie' || label.choice === 'skip')) return 'no-preference';
  if ('responses' in rec && !label) return 'unlabeled';
  return undefined;
}

export async function countTrainingPairs(file: string, signal?: AbortSignal): Promise<TrainingPairsCount> {
  const count: TrainingPairsCount = { pairs: 0, unlabeled: 0, noPreference: 0, invalid: 0, meanChars: 0 };
  let totalChars = 0;
  for await (const item of readJsonl(file, { signal })) {
    const got = 'diagnostic' in item ? undefined : pairsOf(item.value);
    if (got === 'unlabeled') count.unlabeled++;
    else if (got === 'no-preference') count.noPreference++;
    else if (got === undefined) {
      count.invalid++;
      count.firstInvalidLine ??= item.line;
    } else {
      count.pairs += got.length;
      for (const p of got) totalChars += 2 * chars(p.prompt) + chars(p.chosen) + chars(p.rejected);
    }
  }
  count.meanChars = count.pairs ? totalChars / count.pairs : 0;
  return count;
}
