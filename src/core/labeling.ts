/**
 * Pair labeling on JSONL lines: the pure half of the labeler (the custom editor applies the results as
 * WorkspaceEdits, so VS Code owns undo, save and dirty state).
 *
 * Line formats (one item per non-blank line; the line count never changes):
 *
 *   unlabeled   {"prompt": …, "responses": [a, b, …]}            candidates in `responses`
 *               {"prompt": …, "chosen": a, "rejected": b}         TRL pair without `label`: candidates [a, b]
 *   1 / 2       + "chosen": <that candidate>, "rejected": <the other>,
 *                 "label": {"choice": "1", "time": ISO, "annotator": …}
 *   tie / skip  + "label": {"choice": "tie" | "skip", …}; no `chosen`/`rejected` (a tie is no preference,
 *                 and TRL would train on any pair it finds)
 *   ranking     (3+ candidates) + "label": {"choice": "rank", "ranking": [3, 1, 2], …} (candidate numbers,
 *                 best first), "chosen": best, "rejected": worst, and every derived pair in
 *                 "pairs": [{"chosen", "rejected"}, …] (n·(n−1)/2 of them, better before worse)
 *
 * A labeled line always keeps `responses` (it is added from a TRL pair's `chosen`/`rejected` when first
 * labeled), so the candidates keep their numbers and any label can be changed later. Every other field
 * of the line is kept, in its place. Lines are rewritten with JSON.stringify, so their spacing becomes
 * compact and numbers take JavaScript's shortest form.
 */
import type { Decision } from './shared';
import type { Turns } from './types';

export type Choice = '1' | '2' | 'tie' | 'skip' | 'rank';

export interface Label {
  choice: Choice;
  time: string;
  annotator: string;
  /** Only for `rank`: candidate numbers (1-based), most preferred first. */
  ranking?: number[];
}

export interface LabelItem {
  prompt?: Turns;
  candidates: Turns[];
  label?: Label;
}

/** What the annotator decided (declared in ./shared.ts with the other shapes the webviews share). */
export type { Decision };

export type ParsedLine = { item: LabelItem } | { error: string } | { blank: true };

type Json = Record<string, unknown>;

export function parseLine(text: string): ParsedLine {
  if (text.trim() === '') return { blank: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` };
  }
  if (!isObject(value)) return { error: 'not a JSON object' };
  return toItem(value);
}

function toItem(o: Json): ParsedLine {
  let candidates: Turns[];
  if (Object.hasOwn(o, 'responses')) {
    const r = o.responses;
    if (!Array.isArray(r) || r.length < 2) return { error: '`responses` must be a list of at least two responses' };
    if (!r.every(isTurns)) return { error: '`responses` must hold strings or lists of messages' };
    candidates = r;
  } else if (Object.hasOwn(o, 'chosen') && Object.hasOwn(o, 'rejected')) {
    if (!isTurns(o.chosen) || !isTurns(o.rejected)) return { error: '`chosen`/`rejected` must be strings or lists of messages' };
    candidates = [o.chosen, o.rejected];
  } else {
    return { error: 'no candidates: expected `responses` or `chosen`/`rejected`' };
  }
  if (Object.hasOwn(o, 'prompt') && !isTurns(o.prompt)) return { error: '`prompt` must be a string or a list of messages' };
  const item: LabelItem = { candidates };
  if (Object.hasOwn(o, 'prompt')) item.prompt = o.prompt as Turns;
  const label = toLabel(o.label, candidates.length);
  if (label) item.label = label;
  return { item };
}

/** A `label` this labeler could have written; anything else counts as unlabeled (and is overwritten). */
function toLabel(v: unknown, n: number): Label | undefined {
  if (!isObject(v)) return undefined;
  const choice = v.choice;
  if (choice !== '1' && choice !== '2' && choice !== 'tie' && choice !== 'skip' && choice !== 'rank') return undefined;
  const label: Label = {
    choice,
    time: typeof v.time === 'string' ? v.time : '',
    annotator: typeof v.annotator === 'string' ? v.annotator : '',
  };
  if (choice === 'rank') {
    if (!isRanking(v.ranking, n)) return undefined;
    label.ranking = [...v.ranking];
  }
  return label;
}

/** Whether `r` orders all of the candidates 1..n exactly once. */
export function isRanking(r: unknown, n: number): r is number[] {
  if (!Array.isArray(r) || r.length !== n) return false;
  const seen = new Set<number>();
  for (const x of r) {
    if (!Number.isInteger(x) || x < 1 || x > n || seen.has(x)) return false;
    seen.add(x);
  }
  return true;
}

/** Every pair a ranking implies, better first: [1,3,2] → (1>3), (1>2), (3>2). Candidate numbers are 1-based. */
export function rankingToPairs(ranking: readonly number[]): Array<[better: number, worse: number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < ranking.length; i++) for (let j = i + 1; j < ranking.length; j++) pairs.push([ranking[i], ranking[j]]);
  return pairs;
}

/** Whether a decision fits an item with `n` candidates. */
export function decisionFits(d: Decision, n: number): boolean {
  if (d.choice === '1' || d.choice === '2') return n === 2;
  if (d.choice === 'rank') return n >= 3 && isRanking(d.ranking, n);
  return true;
}

/**
 * The line with `decision` written into it: `chosen`/`rejected`/`pairs`/`label` set or removed as the
 * header describes, `responses` added if the line had none, every other field kept where it was.
 */
export function applyDecision(text: string, decision: Decision, meta: { time: string; annotator: string }): string {
  const parsed = parseLine(text);
  if (!('item' in parsed)) throw new Error('blank' in parsed ? 'cannot label a blank line' : parsed.error);
  const { candidates } = parsed.item;
  if (!decisionFits(decision, candidates.length)) {
    throw new Error(`choice ${decision.choice} does not fit an item with ${candidates.length} candidates`);
  }
  const o = JSON.parse(text) as Json;
  const fields: Json = {};
  // Rebuilt key by key so the fields we own stay where they were and the others keep their order.
  for (const [k, v] of Object.entries(o)) {
    if (k === 'chosen' || k === 'rejected' || k === 'pairs' || k === 'label') fields[k] = undefined;
    else fields[k] = v;
    if (k === 'prompt' && !Object.hasOwn(o, 'responses')) fields.responses = candidates;
  }
  if (!Object.hasOwn(fields, 'responses')) fields.responses = candidates;

  const label: Label = { choice: decision.choice, time: meta.time, annotator: meta.annotator };
  let chosen: Turns | undefined;
  let rejected: Turns | undefined;
  let pairs: Json[] | undefined;
  if (decision.choice === '1' || decision.choice === '2') {
    const c = decision.choice === '1' ? 0 : 1;
    chosen = candidates[c];
    rejected = candidates[1 - c];
  } else if (decision.choice === 'rank') {
    label.ranking = [...decision.ranking];
    chosen = candidates[decision.ranking[0] - 1];
    rejected = candidates[decision.ranking[decision.ranking.length - 1] - 1];
    pairs = rankingToPairs(decision.ranking).map(([b, w]) => ({ chosen: candidates[b - 1], rejected: candidates[w - 1] }));
  }
  fields.chosen = chosen;
  fields.rejected = rejected;
  fields.pairs = pairs;
  fields.label = label;
  // JSON.stringify drops the undefined fields: a tie leaves no `chosen`/`rejected` behind.
  return JSON.stringify(fields);
}

/** A new unlabeled line for two (or more) responses, the shape `Create Pair from Selections` appends. */
export function unlabeledLine(responses: Turns[], extra: Json = {}): string {
  if (responses.length < 2) throw new Error('a pair needs two responses');
  return JSON.stringify({ ...extra, responses });
}

export interface Progress {
  total: number;
  /** Items with a decision (1, 2, tie, rank); skipped ones are counted apart. */
  labeled: number;
  skipped: number;
  /** Non-blank lines that are not items (bad JSON, no candidates). */
  invalid: number;
}

export function progressOf(items: readonly ParsedLine[]): Progress {
  const p: Progress = { total: 0, labeled: 0, skipped: 0, invalid: 0 };
  for (const it of items) {
    if ('error' in it) p.invalid++;
    if (!('item' in it)) continue;
    p.total++;
    if (it.item.label?.choice === 'skip') p.skipped++;
    else if (it.item.label) p.labeled++;
  }
  return p;
}

/** The first item after `from` (wrapping around) that has no label; `from` itself last; -1 if none. */
export function nextUnlabeled(items: readonly ParsedLine[], from: number): number {
  for (let k = 1; k <= items.length; k++) {
    const i = (from + k) % items.length;
    const it = items[i];
    if ('item' in it && !it.item.label) return i;
  }
  return -1;
}

/** The nearest item index from `from` in direction `step` (±1), or `from` if there is none that way. */
export function stepItem(items: readonly ParsedLine[], from: number, step: 1 | -1): number {
  for (let i = from + step; i >= 0 && i < items.length; i += step) if ('item' in items[i]) return i;
  return from;
}

/**
 * `text` with line `index` (0-based) replaced by `line`, line endings kept; returns the old line too,
 * which replaced back is the undo. This is what a WorkspaceEdit on the line's range does.
 */
export function replaceLine(text: string, index: number, line: string): { text: string; old: string } {
  let start = 0;
  for (let i = 0; i < index; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) throw new RangeError(`no line ${index + 1}`);
    start = nl + 1;
  }
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  else if (end > start && text[end - 1] === '\r') end--;
  return { text: text.slice(0, start) + line + text.slice(end), old: text.slice(start, end) };
}

/** Turns as plain text for display: a string, or the messages' contents with their roles. */
export function turnsText(t: Turns): string {
  return typeof t === 'string' ? t : t.map((m) => `${m.role}: ${m.content}`).join('\n');
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTurns(v: unknown): v is Turns {
  if (typeof v === 'string') return true;
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((m) => isObject(m) && typeof m.role === 'string' && typeof m.content === 'string')
  );
}
