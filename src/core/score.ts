/**
 * Scoring JSONL files with a reward model, line by line, streaming.
 *
 *   for await (const r of scoreJsonlFile('chats.jsonl', model, { role: 'assistant' })) console.log(lineResultToJson(r));
 *
 * Lines are measured in batches so onnxruntime runs once per batch; results come out in input order,
 * one per non-blank line: a score for every valid line, a diagnostic for every bad one.
 */
import { parseRecordsText, parseScorableText, readRecords, readScorable, type ScorableItem } from './formats';
import type { ReadOptions } from './jsonl';
import type { RewardModel } from './reward/model';
import { TRAITS } from './traits/catalog';
import { TraitExtractor } from './traits/extract';
import { rolesIn, saysNothing, speakersOf } from './speakers';
import type { Diagnostic, Message, Turns } from './types';

export interface TraitScore {
  score: number;
  bias: number;
  /** Every trait the engine measures, by id. */
  traits: Record<string, number>;
  /** The model's traits only: w·z per trait; score = bias + Σ contributions. */
  contributions: Record<string, number>;
}

export type LineResult =
  | { line: number; kind: 'dialogue'; result: TraitScore }
  | { line: number; kind: 'pair'; result: { chosen: TraitScore; rejected: TraitScore; margin: number } }
  | { line: number; kind: 'contrastive'; result: { human: TraitScore; ai: TraitScore; margin: number } }
  | { line: number; kind: 'candidates'; result: CandidatesResult }
  | { line: number; kind: 'diagnostic'; diagnostic: Diagnostic };

/** Every candidate of a set scored, and how far apart the reward puts them. */
export interface CandidatesResult {
  candidates: TraitScore[];
  /** 1-based candidate numbers of the highest and lowest score (the first of equals). */
  best: number;
  worst: number;
  /** best − worst: how decisive the reward is about this set (0 when all score the same). */
  spread: number;
  /** The line's own ranking (candidate numbers, best first), when it has one. */
  ranking?: number[];
}

export interface ScoreOptions {
  /** Whose turns to score in dialogues and contrastive pairs. Default: the model's role. */
  role?: string;
  signal?: AbortSignal;
  onProgress?: (linesDone: number) => void;
  /** Lines measured per onnxruntime call. */
  batchSize?: number;
  /**
   * Also score candidate sets (`responses` lines, undecided or ranked: formats.ts toScorable). Off for
   * readers that need a decision (eval), where such a line stays a diagnostic saying how to label it.
   */
  candidates?: boolean;
}

/** Where the shipped model lives, relative to the extension (or package) root. */
export const DEFAULT_MODEL_RELATIVE_PATH = 'models/default.onnx';

export function scoreJsonlFile(file: string, model: RewardModel, opts: ScoreOptions & ReadOptions = {}): AsyncGenerator<LineResult> {
  return scoreRecords(opts.candidates ? readScorable(file, opts) : readRecords(file, opts), file, model, opts);
}

export function scoreJsonlText(text: string, file: string, model: RewardModel, opts: ScoreOptions = {}): AsyncGenerator<LineResult> {
  return scoreRecords(opts.candidates ? parseScorableText(text, file) : parseRecordsText(text, file), file, model, opts);
}

/** Measures and scores a stream of validated records. */
export async function* scoreRecords(
  items: AsyncIterable<ScorableItem> | Iterable<ScorableItem>,
  file: string,
  model: RewardModel,
  opts: ScoreOptions = {},
): AsyncGenerator<LineResult> {
  const role = opts.role ?? model.spec.role;
  const batchSize = opts.batchSize ?? 1024;
  const extractor = new TraitExtractor();
  let batch = new Batch(batchSize);
  let done = 0;
  for await (const item of items) {
    if (opts.signal?.aborted) return;
    batch.pending.push(measureItem(extractor, batch, item, role, file));
    if (batch.pending.length >= batchSize) {
      yield* flush(batch, model);
      done += batch.pending.length;
      opts.onProgress?.(done);
      batch = new Batch(batchSize);
    }
  }
  if (batch.pending.length > 0) {
    yield* flush(batch, model);
    opts.onProgress?.(done + batch.pending.length);
  }
}

const L = TRAITS.length;

/**
 * Lines measured but not yet scored. Trait rows go into one matrix per batch (a Float64Array per row
 * cost more to allocate than a short reply costs to measure); results keep views into it.
 */
class Batch {
  values: Float64Array;
  rows = 0;
  readonly pending: Pending[] = [];

  constructor(lines: number) {
    this.values = new Float64Array(L * 2 * (lines >= 1 && lines <= 1 << 16 ? Math.ceil(lines) : 1024));
  }

  /** Makes room for rows [rows, rows + n). */
  reserve(n = 2): void {
    if ((this.rows + n) * L <= this.values.length) return;
    const bigger = new Float64Array(Math.max(this.values.length * 2, (this.rows + n) * L));
    bigger.set(this.values);
    this.values = bigger;
  }
}

/** A line measured but not yet scored: the batch row of its (first) trait row, or a diagnostic. */
type Pending =
  | { line: number; kind: 'dialogue' | 'pair' | 'contrastive'; row: number }
  | { line: number; kind: 'candidates'; row: number; n: number; ranking?: number[] }
  | { line: number; kind: 'diagnostic'; diagnostic: Diagnostic };

function measureItem(x: TraitExtractor, batch: Batch, item: ScorableItem, role: string, file: string): Pending {
  if ('diagnostic' in item) return { line: item.line, kind: 'diagnostic', diagnostic: item.diagnostic };
  const { line, record } = item;
  batch.reserve(record.kind === 'candidates' ? record.candidates.responses.length : 2);
  const row = batch.rows;
  const out = batch.values;
  switch (record.kind) {
    case 'dialogue': {
      if (x.measureDialogueInto(out, row * L, record.dialogue.messages, role) === 0) return missing(file, line, role, 'dialogue ', record.dialogue.messages, true);
      if (saysNothing(record.dialogue.messages, role)) return empty(file, line, `every \`${role}\` turn `);
      batch.rows += 1;
      return { line, kind: 'dialogue', row };
    }
    case 'pair': {
      // Only the responses are measured; the prompt is the partner's context.
      const { prompt, chosen, rejected } = record.pair;
      const chosenTurns = x.measureResponseInto(out, row * L, chosen, prompt, role);
      const rejectedTurns = x.measureResponseInto(out, (row + 1) * L, rejected, prompt, role);
      if (chosenTurns === 0) return missing(file, line, role, '`chosen` ', typeof chosen === 'string' ? [] : chosen);
      if (rejectedTurns === 0) return missing(file, line, role, '`rejected` ', typeof rejected === 'string' ? [] : rejected);
      if (saysNothing(chosen, role)) return empty(file, line, '`chosen` ');
      if (saysNothing(rejected, role)) return empty(file, line, '`rejected` ');
      batch.rows += 2;
      return { line, kind: 'pair', row };
    }
    case 'contrastive': {
      const { human, ai } = record.pair;
      const humanTurns = x.measureDialogueInto(out, row * L, human.messages, role);
      const aiTurns = x.measureDialogueInto(out, (row + 1) * L, ai.messages, role);
      if (humanTurns === 0) return missing(file, line, role, '`human` ', human.messages);
      if (aiTurns === 0) return missing(file, line, role, '`ai` ', ai.messages);
      if (saysNothing(human.messages, role)) return empty(file, line, `every \`${role}\` turn of \`human\` `);
      if (saysNothing(ai.messages, role)) return empty(file, line, `every \`${role}\` turn of \`ai\` `);
      batch.rows += 2;
      return { line, kind: 'contrastive', row };
    }
    case 'candidates': {
      // Like a pair's sides: each response measured after the prompt.
      const { prompt, responses, ranking } = record.candidates;
      for (let i = 0; i < responses.length; i++) {
        if (x.measureResponseInto(out, (row + i) * L, responses[i], prompt, role) === 0) return missing(file, line, role, `\`responses[${i}]\` `, messagesOf(responses[i]));
        if (saysNothing(responses[i], role)) return empty(file, line, `\`responses[${i}]\` `);
      }
      batch.rows += responses.length;
      return ranking ? { line, kind: 'candidates', row, n: responses.length, ranking } : { line, kind: 'candidates', row, n: responses.length };
    }
  }
}

const messagesOf = (t: Turns): readonly Message[] => (typeof t === 'string' ? [] : t);

function missing(file: string, line: number, role: string, side: string, messages: readonly Message[], dialogue = false): Pending {
  const roles = rolesIn(messages);
  return {
    line,
    kind: 'diagnostic',
    diagnostic: {
      file,
      line,
      column: 1,
      severity: 'error',
      message: `${side}has no turns by \`${role}\` to score (roles here: ${roles.join(', ') || 'none'}); choose the role to score (--role / styletune.role)`,
      missingRole: { role, roles: speakersOf(messages), dialogue },
    },
  };
}

/** A reply with nothing in it: no score rather than the model's guess about nothing (see saysNothing). */
function empty(file: string, line: number, side: string): Pending {
  return { line, kind: 'diagnostic', diagnostic: { file, line, column: 1, severity: 'error', message: `${side}is empty: nothing to score` } };
}

async function* flush(batch: Batch, model: RewardModel): AsyncGenerator<LineResult> {
  const rows: Float64Array[] = new Array<Float64Array>(batch.rows);
  for (let r = 0; r < batch.rows; r++) rows[r] = batch.values.subarray(r * L, (r + 1) * L);
  const scored = rows.length > 0 ? await model.scoreRows(rows) : undefined;
  const next = (r: number): TraitScore => new LazyTraitScore(scored!.score[r], model.bias, rows[r], scored!.contributions, r * model.traitIds.length, model.traitIds);
  for (const p of batch.pending) {
    switch (p.kind) {
      case 'diagnostic':
        yield p;
        break;
      case 'dialogue':
        yield { line: p.line, kind: 'dialogue', result: next(p.row) };
        break;
      case 'pair': {
        const chosen = next(p.row);
        const rejected = next(p.row + 1);
        yield { line: p.line, kind: 'pair', result: { chosen, rejected, margin: chosen.score - rejected.score } };
        break;
      }
      case 'contrastive': {
        const human = next(p.row);
        const ai = next(p.row + 1);
        yield { line: p.line, kind: 'contrastive', result: { human, ai, margin: human.score - ai.score } };
        break;
      }
      case 'candidates': {
        const candidates = Array.from({ length: p.n }, (_, i) => next(p.row + i));
        yield { line: p.line, kind: 'candidates', result: candidatesResult(candidates, p.ranking) };
        break;
      }
    }
  }
}

/** The best and worst candidate (1-based, the first of equals) and the spread between them. */
export function candidatesResult(candidates: TraitScore[], ranking?: number[]): CandidatesResult {
  const result: CandidatesResult = { candidates, ...bestAndWorst(candidates.map((c) => c.score)) };
  if (ranking) result.ranking = ranking;
  return result;
}

/**
 * Which of some candidates' scores the reward puts first and last (1-based, the first of equals) and the
 * spread between them: the one rule for `styletune score`, the inspector and the inline annotations.
 */
export function bestAndWorst(scores: ArrayLike<number>): Pick<CandidatesResult, 'best' | 'worst' | 'spread'> {
  let best = 0;
  let worst = 0;
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > scores[best]) best = i;
    if (scores[i] < scores[worst]) worst = i;
  }
  return { best: best + 1, worst: worst + 1, spread: scores[best] - scores[worst] };
}

/**
 * A TraitScore whose `traits` and `contributions` objects are built on first access: bulk scoring
 * (the CLI's eval, the inspector's background pass) mostly reads `score`, and building two 50-key
 * objects per response was a measurable share of the scoring time.
 */
class LazyTraitScore implements TraitScore {
  private traitsCache?: Record<string, number>;
  private contributionsCache?: Record<string, number>;

  constructor(
    readonly score: number,
    readonly bias: number,
    private readonly values: Float64Array,
    /** The batch's contributions matrix; this response's row starts at `offset`. */
    private readonly weighted: Float64Array,
    private readonly offset: number,
    private readonly ids: readonly string[],
  ) {}

  get traits(): Record<string, number> {
    if (!this.traitsCache) {
      this.traitsCache = {};
      for (let j = 0; j < TRAITS.length; j++) this.traitsCache[TRAITS[j].id] = this.values[j];
    }
    return this.traitsCache;
  }

  get contributions(): Record<string, number> {
    if (!this.contributionsCache) {
      this.contributionsCache = {};
      for (let j = 0; j < this.ids.length; j++) this.contributionsCache[this.ids[j]] = this.weighted[this.offset + j];
    }
    return this.contributionsCache;
  }

  toJSON(): TraitScore {
    return { score: this.score, bias: this.bias, traits: this.traits, contributions: this.contributions };
  }

  /**
   * JSON.stringify(this), straight from the arrays (see lineResultToJsonText); `fieldsBefore` goes
   * first inside the object (`"line":3,`).
   */
  jsonText(fieldsBefore = ''): string {
    const traits = objectText(TRAIT_KEYS, this.values, 0);
    const contributions = objectText(keysOf(this.ids), this.weighted, this.offset);
    return `{${fieldsBefore}"score":${jsonNumber(this.score)},"bias":${jsonNumber(this.bias)},"traits":${traits},"contributions":${contributions}}`;
  }
}

/** `"id":` for each id: an object key ready to write. */
const keyTexts = (ids: readonly string[]): string[] => ids.map((id) => `${JSON.stringify(id)}:`);
const TRAIT_KEYS = keyTexts(TRAITS.map((t) => t.id));
const modelKeys = new WeakMap<readonly string[], string[]>();
/** keyTexts of a model's trait ids, made once per model. */
function keysOf(ids: readonly string[]): string[] {
  let keys = modelKeys.get(ids);
  if (!keys) modelKeys.set(ids, (keys = keyTexts(ids)));
  return keys;
}

/** A JSON object of keys[j] → values[offset + j]. */
function objectText(keys: readonly string[], values: Float64Array, offset: number): string {
  let s = '{';
  for (let j = 0; j < keys.length; j++) s += (j === 0 ? '' : ',') + keys[j] + jsonNumber(values[offset + j]);
  return s + '}';
}

/** A TraitScore's own fields, in output order (a LazyTraitScore carries more). */
const plain = (t: TraitScore): TraitScore => ({ score: t.score, bias: t.bias, traits: t.traits, contributions: t.contributions });

/** A number as JSON.stringify writes it (NaN and ±Infinity become null). */
const jsonNumber = (v: number): string => (Number.isFinite(v) ? `${v}` : 'null');

/**
 * JSON.stringify(lineResultToJson(r)), character for character, without building the two 50-key objects
 * per response that it stringifies: the CLI writes one of these per line, and building then stringifying
 * them took more time than measuring the traits.
 */
export function lineResultToJsonText(r: LineResult): string {
  const text = (t: TraitScore): string => (t instanceof LazyTraitScore ? t.jsonText() : JSON.stringify(plain(t)));
  switch (r.kind) {
    case 'diagnostic':
      return JSON.stringify(lineResultToJson(r));
    case 'dialogue':
      return r.result instanceof LazyTraitScore ? r.result.jsonText(`"line":${r.line},`) : JSON.stringify(lineResultToJson(r));
    case 'pair':
      return `{"line":${r.line},"chosen":${text(r.result.chosen)},"rejected":${text(r.result.rejected)},"margin":${jsonNumber(r.result.margin)}}`;
    case 'contrastive':
      return `{"line":${r.line},"human":${text(r.result.human)},"ai":${text(r.result.ai)},"margin":${jsonNumber(r.result.margin)}}`;
    case 'candidates': {
      const c = r.result;
      const ranking = c.ranking ? `,"ranking":${JSON.stringify(c.ranking)}` : '';
      return `{"line":${r.line},"candidates":[${c.candidates.map(text).join(',')}],"best":${c.best},"worst":${c.worst},"spread":${jsonNumber(c.spread)}${ranking}}`;
    }
  }
}

/**
 * The CLI's JSON shape for one line (README: `styletune score`): the result plus its 1-based `line`, so
 * output stays aligned with input even where blank lines were skipped; bad lines carry `error`.
 */
export function lineResultToJson(r: LineResult): object {
  switch (r.kind) {
    case 'diagnostic':
      return { line: r.line, column: r.diagnostic.column, error: r.diagnostic.message };
    case 'dialogue':
      return { line: r.line, ...plain(r.result) };
    case 'pair':
      return { line: r.line, chosen: plain(r.result.chosen), rejected: plain(r.result.rejected), margin: r.result.margin };
    case 'contrastive':
      return { line: r.line, human: plain(r.result.human), ai: plain(r.result.ai), margin: r.result.margin };
    case 'candidates': {
      const c = r.result;
      return { line: r.line, candidates: c.candidates.map(plain), best: c.best, worst: c.worst, spread: c.spread, ...(c.ranking ? { ranking: c.ranking } : {}) };
    }
  }
}
