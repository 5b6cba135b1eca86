/**
 * Judge ratings of files: rating every line (`styletune judge`), and reading ratings back for fitting
 * and scoring.
 *
 * A ratings file has one JSON line per rated input line; each rated side carries the sha256 of its
 * transcript (see prompt.ts) and its 32 ratings, so ratings join to data by content, not position:
 *   dialogue     {"line", "judge", "prompt", "sha256", "ratings": [32]}
 *   pair         {"line", "judge", "prompt", "chosen": {"sha256", "ratings"}, "rejected": {...}}
 *   human/ai     {"line", "judge", "prompt", "human": {...}, "ai": {...}}
 *   failed side  {"sha256", "error"} in place of {"sha256", "ratings"}
 * HAL's layout `{"game_id", "human_ratings", "ai_ratings"}` (shared/data/turing/judge_ratings.dev.jsonl)
 * is read too, joined to human/ai lines by their `game_id`.
 */
import { basename, dirname, join } from 'node:path';
import { readRecords, type RecordItem } from '../formats';
import { readJsonl, type ReadOptions } from '../jsonl';
import type { DataRecord, Diagnostic, Message } from '../types';
import type { Judge } from './judge';
import { RATING_PROMPT_VERSION, renderTranscript, responseAsMessages, sha256 } from './prompt';
import { HAL_STATEMENTS } from './traits';

export interface Side {
  name: 'dialogue' | 'chosen' | 'rejected' | 'human' | 'ai';
  messages: Message[];
}

/** The conversations a record holds, each as the judge sees it. */
export function recordSides(record: DataRecord, role: string): Side[] {
  switch (record.kind) {
    case 'dialogue':
      return [{ name: 'dialogue', messages: record.dialogue.messages }];
    case 'pair':
      return [
        { name: 'chosen', messages: responseAsMessages(record.pair.chosen, record.pair.prompt, role) },
        { name: 'rejected', messages: responseAsMessages(record.pair.rejected, record.pair.prompt, role) },
      ];
    case 'contrastive':
      return [
        { name: 'human', messages: record.pair.human.messages },
        { name: 'ai', messages: record.pair.ai.messages },
      ];
  }
}

export function sideHash(side: Side, role: string): string {
  return sha256(renderTranscript(side.messages, role));
}

export type SideRating = { sha256: string; ratings: number[]; cached: boolean } | { sha256: string; error: string };

export type RatedLine =
  | { line: number; kind: DataRecord['kind']; sides: { name: Side['name']; rating: SideRating }[] }
  | { line: number; kind: 'diagnostic'; diagnostic: Diagnostic };

export interface RateOptions {
  role?: string;
  signal?: AbortSignal;
  /** Lines rated at once (the client still enforces its own concurrency and rate limit). */
  parallel?: number;
  onProgress?: (linesDone: number) => void;
}

/** Rates every side of every line; results in input order. A failed side is an error, never a guess. */
export function rateFile(file: string, judge: Judge, opts: RateOptions & ReadOptions = {}): AsyncGenerator<RatedLine> {
  return rateRecords(readRecords(file, opts), judge, opts);
}

export async function* rateRecords(items: AsyncIterable<RecordItem> | Iterable<RecordItem>, judge: Judge, opts: RateOptions = {}): AsyncGenerator<RatedLine> {
  const role = opts.role ?? 'assistant';
  const parallel = Math.max(1, opts.parallel ?? 8);
  const queue: Promise<RatedLine>[] = [];
  let done = 0;
  const rateItem = async (item: RecordItem): Promise<RatedLine> => {
    if ('diagnostic' in item) return { line: item.line, kind: 'diagnostic', diagnostic: item.diagnostic };
    const sides = recordSides(item.record, role);
    const rated = await Promise.all(
      sides.map(async (side) => {
        const hash = sideHash(side, role);
        try {
          const { ratings, cached } = await judge.rate(side.messages, role, opts.signal);
          return { name: side.name, rating: { sha256: hash, ratings, cached } as SideRating };
        } catch (err) {
          if (opts.signal?.aborted) throw err;
          return { name: side.name, rating: { sha256: hash, error: (err as Error).message } as SideRating };
        }
      }),
    );
    return { line: item.line, kind: item.record.kind, sides: rated };
  };
  for await (const item of items) {
    if (opts.signal?.aborted) return;
    queue.push(rateItem(item));
    // Suppress unhandled-rejection noise for promises awaited later, in order.
    queue[queue.length - 1].catch(() => undefined);
    if (queue.length >= parallel) {
      yield await queue.shift()!;
      opts.onProgress?.(++done);
    }
  }
  while (queue.length > 0) {
    yield await queue.shift()!;
    opts.onProgress?.(++done);
  }
}

/** Per-line diagnostics for the sides that could not be rated. */
export function ratedLineDiagnostics(r: RatedLine, file: string): Diagnostic[] {
  if (r.kind === 'diagnostic') return [r.diagnostic];
  return r.sides.flatMap(({ name, rating }) =>
    'error' in rating ? [{ file, line: r.line, column: 1, severity: 'error' as const, message: `judge could not rate ${name === 'dialogue' ? 'the dialogue' : `\`${name}\``}: ${rating.error}` }] : [],
  );
}

/** The ratings file's JSON line for a rated line (see the file comment). */
export function ratedLineToJson(r: RatedLine, judgeName: string): object {
  if (r.kind === 'diagnostic') return { line: r.line, error: r.diagnostic.message };
  const side = (rating: SideRating) => ('error' in rating ? { sha256: rating.sha256, error: rating.error } : { sha256: rating.sha256, ratings: rating.ratings });
  const head = { line: r.line, judge: judgeName, prompt: RATING_PROMPT_VERSION };
  if (r.kind === 'dialogue') return { ...head, ...side(r.sides[0].rating) };
  return { ...head, ...Object.fromEntries(r.sides.map((s) => [s.name, side(s.rating)])) };
}

/** Where "Rate with LLM Judge" writes a file's ratings, and where the inspector looks for them. */
export function ratingsFileFor(file: string): string {
  return join(dirname(file), `${basename(file).replace(/\.jsonl$/i, '')}.ratings.jsonl`);
}

/** Ratings looked up by transcript hash, or by `game_id` for HAL's layout. */
export class RatingsTable {
  readonly byHash = new Map<string, number[]>();
  readonly byGame = new Map<string, { human: number[]; ai: number[] }>();
  readonly diagnostics: Diagnostic[] = [];

  get size(): number {
    return this.byHash.size + this.byGame.size * 2;
  }

  static async load(files: readonly string[]): Promise<RatingsTable> {
    const table = new RatingsTable();
    for (const file of files) {
      for await (const item of readJsonl(file)) {
        if ('diagnostic' in item) table.diagnostics.push(item.diagnostic);
        else table.addLine(item.value, file, item.line);
      }
    }
    return table;
  }

  addLine(value: unknown, file: string, line: number): void {
    const problem = (message: string): void => void this.diagnostics.push({ file, line, column: 1, severity: 'error', message });
    if (!isObject(value)) return problem('a ratings line must be a JSON object');
    if ('game_id' in value && ('human_ratings' in value || 'ai_ratings' in value)) {
      const human = checkRatings(value.human_ratings, 'human_ratings');
      const ai = checkRatings(value.ai_ratings, 'ai_ratings');
      if (typeof human === 'string') return problem(human);
      if (typeof ai === 'string') return problem(ai);
      this.byGame.set(String(value.game_id), { human, ai });
      return;
    }
    const sides = 'sha256' in value ? [['', value]] : Object.entries(value).filter(([, v]) => isObject(v) && 'sha256' in v);
    if (sides.length === 0) {
      if (typeof value.error === 'string') return problem(`this line was not rated: ${value.error}`);
      return problem('a ratings line needs `sha256` and `ratings` (from styletune judge) or `game_id`, `human_ratings`, `ai_ratings`');
    }
    for (const [name, side] of sides as [string, Record<string, unknown>][]) {
      const where = name ? `\`${name}\`: ` : '';
      if (typeof side.sha256 !== 'string') {
        problem(`${where}\`sha256\` must be a string`);
        continue;
      }
      if (typeof side.error === 'string') {
        problem(`${where}was not rated: ${side.error}`);
        continue;
      }
      const ratings = checkRatings(side.ratings, `${name ? name + '.' : ''}ratings`);
      if (typeof ratings === 'string') problem(ratings);
      else this.byHash.set(side.sha256, ratings);
    }
  }

  /** Ratings of one side of a record, or a plain reason why there are none. */
  lookup(record: DataRecord, side: Side, role: string): number[] | string {
    return this.get(side.messages, role, { record, side: side.name }) ?? missingRatings(record, side.name);
  }

  /** RatingsSource (known.ts): the same lookup for callers that may also ask the judge cache. */
  async find(messages: readonly Message[], role: string, of?: SideOf): Promise<number[] | undefined> {
    return this.get(messages, role, of);
  }

  /** By transcript hash; for the human or ai side of a record with a `game_id`, by game (HAL's layout). */
  get(messages: readonly Message[], role: string, of?: SideOf): number[] | undefined {
    const hit = this.byHash.get(sha256(renderTranscript(messages, role)));
    if (hit || !of || (of.side !== 'human' && of.side !== 'ai')) return hit;
    const game = of.record.raw.game_id;
    return game === undefined ? undefined : this.byGame.get(String(game))?.[of.side];
  }
}

/** Which side of which record a conversation is: lets ratings kept per game (HAL's layout) answer. */
export interface SideOf {
  record: DataRecord;
  side: Side['name'];
}

/** The plain reason a side has no ratings, for Problems and the CLI's diagnostics. */
export function missingRatings(record: DataRecord, side: Side['name']): string {
  const game = record.raw.game_id;
  if (game !== undefined && (side === 'human' || side === 'ai')) return `no judge ratings for game_id ${String(game)}`;
  return `no judge ratings for ${side === 'dialogue' ? 'this dialogue' : `\`${side}\``} (rate the file first: StyleTune: Rate with LLM Judge, or styletune judge FILE --out RATINGS.jsonl)`;
}

function checkRatings(v: unknown, field: string): number[] | string {
  if (!Array.isArray(v)) return `\`${field}\` must be a list of ${HAL_STATEMENTS.length} ratings`;
  if (v.length !== HAL_STATEMENTS.length) return `\`${field}\` has ${v.length} ratings, expected ${HAL_STATEMENTS.length}`;
  const bad = v.findIndex((r) => typeof r !== 'number' || !(r >= 1 && r <= 5));
  if (bad >= 0) return `\`${field}\`[${bad}] is ${JSON.stringify(v[bad])}; ratings are numbers from 1 to 5`;
  return v as number[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
