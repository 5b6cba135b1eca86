/**
 * Scoring JSONL files with a reward model, line by line, streaming.
 *
 *   for await (const r of scoreJsonlFile('chats.jsonl', model, { role: 'assistant' })) console.log(lineResultToJson(r));
 *
 * Lines are measured in batches so onnxruntime runs once per batch; results come out in input order,
 * one per non-blank line: a score for every valid line, a diagnostic for every bad one.
 */
import { parseRecordsText, readRecords, type RecordItem } from './formats';
import type { ReadOptions } from './jsonl';
import type { RewardModel } from './reward/model';
import { TRAITS } from './traits/catalog';
import { TraitExtractor, type Measurement } from './traits/extract';
import type { Diagnostic, Message } from './types';

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
  | { line: number; kind: 'diagnostic'; diagnostic: Diagnostic };

export interface ScoreOptions {
  /** Whose turns to score in dialogues and contrastive pairs. Default: the model's role. */
  role?: string;
  signal?: AbortSignal;
  onProgress?: (linesDone: number) => void;
  /** Lines measured per onnxruntime call. */
  batchSize?: number;
}

/** Where the shipped model lives, relative to the extension (or package) root. */
export const DEFAULT_MODEL_RELATIVE_PATH = 'models/default.onnx';

export function scoreJsonlFile(file: string, model: RewardModel, opts: ScoreOptions & ReadOptions = {}): AsyncGenerator<LineResult> {
  return scoreRecords(readRecords(file, opts), file, model, opts);
}

export function scoreJsonlText(text: string, file: string, model: RewardModel, opts: ScoreOptions = {}): AsyncGenerator<LineResult> {
  return scoreRecords(parseRecordsText(text, file), file, model, opts);
}

/** Measures and scores a stream of validated records. */
export async function* scoreRecords(
  items: AsyncIterable<RecordItem> | Iterable<RecordItem>,
  file: string,
  model: RewardModel,
  opts: ScoreOptions = {},
): AsyncGenerator<LineResult> {
  const role = opts.role ?? model.spec.role;
  const batchSize = opts.batchSize ?? 1024;
  const extractor = new TraitExtractor();
  let pending: Pending[] = [];
  let done = 0;
  for await (const item of items) {
    if (opts.signal?.aborted) return;
    pending.push(measureItem(extractor, item, role, file));
    if (pending.length >= batchSize) {
      yield* flush(pending, model);
      done += pending.length;
      opts.onProgress?.(done);
      pending = [];
    }
  }
  if (pending.length > 0) {
    yield* flush(pending, model);
    opts.onProgress?.(done + pending.length);
  }
}

/** A line measured but not yet scored: one or two trait rows, or a diagnostic. */
type Pending =
  | { line: number; kind: 'dialogue'; rows: [Float64Array] }
  | { line: number; kind: 'pair' | 'contrastive'; rows: [Float64Array, Float64Array] }
  | { line: number; kind: 'diagnostic'; diagnostic: Diagnostic };

function measureItem(x: TraitExtractor, item: RecordItem, role: string, file: string): Pending {
  if ('diagnostic' in item) return { line: item.line, kind: 'diagnostic', diagnostic: item.diagnostic };
  const { line, record } = item;
  const missing = (side: string, m: Measurement, messages: readonly Message[]) => {
    if (m.turns > 0) return undefined;
    const roles = [...new Set(messages.map((msg) => msg.role))].join(', ') || 'none';
    return {
      line,
      kind: 'diagnostic' as const,
      diagnostic: {
        file,
        line,
        column: 1,
        severity: 'error' as const,
        message: `${side}has no turns by \`${role}\` to score (roles here: ${roles}); choose the role to score (--role / styletune.role)`,
      },
    };
  };
  switch (record.kind) {
    case 'dialogue': {
      const m = x.measureDialogue(record.dialogue.messages, { role });
      return missing('dialogue ', m, record.dialogue.messages) ?? { line, kind: 'dialogue', rows: [m.values] };
    }
    case 'pair': {
      // Only the responses are measured; the prompt is the partner's context.
      const chosen = x.measureResponse(record.pair.chosen, record.pair.prompt, { role });
      const rejected = x.measureResponse(record.pair.rejected, record.pair.prompt, { role });
      const chosenMsgs = typeof record.pair.chosen === 'string' ? [] : record.pair.chosen;
      const rejectedMsgs = typeof record.pair.rejected === 'string' ? [] : record.pair.rejected;
      return (
        missing('`chosen` ', chosen, chosenMsgs) ??
        missing('`rejected` ', rejected, rejectedMsgs) ?? { line, kind: 'pair', rows: [chosen.values, rejected.values] }
      );
    }
    case 'contrastive': {
      const human = x.measureDialogue(record.pair.human.messages, { role });
      const ai = x.measureDialogue(record.pair.ai.messages, { role });
      return (
        missing('`human` ', human, record.pair.human.messages) ??
        missing('`ai` ', ai, record.pair.ai.messages) ?? { line, kind: 'contrastive', rows: [human.values, ai.values] }
      );
    }
  }
}

async function* flush(pending: Pending[], model: RewardModel): AsyncGenerator<LineResult> {
  const rows: Float64Array[] = [];
  for (const p of pending) if (p.kind !== 'diagnostic') rows.push(...p.rows);
  const scored = rows.length > 0 ? await model.scoreRows(rows) : undefined;
  let r = 0;
  const next = (): TraitScore => toTraitScore(model, rows[r], scored!, r++);
  for (const p of pending) {
    switch (p.kind) {
      case 'diagnostic':
        yield p;
        break;
      case 'dialogue':
        yield { line: p.line, kind: 'dialogue', result: next() };
        break;
      case 'pair': {
        const chosen = next();
        const rejected = next();
        yield { line: p.line, kind: 'pair', result: { chosen, rejected, margin: chosen.score - rejected.score } };
        break;
      }
      case 'contrastive': {
        const human = next();
        const ai = next();
        yield { line: p.line, kind: 'contrastive', result: { human, ai, margin: human.score - ai.score } };
        break;
      }
    }
  }
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
    private readonly weighted: Float64Array,
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
      for (let j = 0; j < this.ids.length; j++) this.contributionsCache[this.ids[j]] = this.weighted[j];
    }
    return this.contributionsCache;
  }

  toJSON(): TraitScore {
    return { score: this.score, bias: this.bias, traits: this.traits, contributions: this.contributions };
  }
}

function toTraitScore(model: RewardModel, values: Float64Array, scored: { score: Float64Array; contributions: Float64Array }, row: number): TraitScore {
  const k = model.traitIds.length;
  return new LazyTraitScore(scored.score[row], model.bias, values, scored.contributions.subarray(row * k, (row + 1) * k), model.traitIds);
}

/**
 * The CLI's JSON shape for one line (README: `styletune score`): the result plus its 1-based `line`, so
 * output stays aligned with input even where blank lines were skipped; bad lines carry `error`.
 */
export function lineResultToJson(r: LineResult): object {
  const plain = (t: TraitScore): TraitScore => ({ score: t.score, bias: t.bias, traits: t.traits, contributions: t.contributions });
  switch (r.kind) {
    case 'diagnostic':
      return { line: r.line, column: r.diagnostic.column, error: r.diagnostic.message };
    case 'dialogue':
      return { line: r.line, ...plain(r.result) };
    case 'pair':
      return { line: r.line, chosen: plain(r.result.chosen), rejected: plain(r.result.rejected), margin: r.result.margin };
    case 'contrastive':
      return { line: r.line, human: plain(r.result.human), ai: plain(r.result.ai), margin: r.result.margin };
  }
}
