/**
 * Scores a JSONL text for the inspector in chunks, handing each chunk over as soon as it is done and
 * giving the event loop back between chunks (setImmediate), so the extension host stays responsive
 * while a 100,000-line file is scored and the first rows show after the first chunk.
 */
import { parseScorableText, type ScorableItem } from './formats';
import type { RatingsSource } from './judge/known';
import { scoreRecordsWithJudge } from './judge/score';
import { searchText, type InspectRow } from './inspect';
import type { RewardModel } from './reward/model';
import { scoreRecords, type TraitScore } from './score';
import type { Diagnostic } from './types';

export interface ChunkOptions {
  role?: string;
  signal?: AbortSignal;
  /** Lines per chunk; the first chunk is smaller so the first rows come quickly. */
  chunkSize?: number;
  firstChunkSize?: number;
  /** Where LLM-judge ratings come from, for a model that weighs judge traits (model.usesJudge). */
  judge?: RatingsSource;
  onChunk(chunk: { rows: InspectRow[]; problems: Diagnostic[]; linesDone: number }): void;
}

export interface ChunkSummary {
  rows: number;
  problems: number;
  lines: number;
  aborted: boolean;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function scoreTextInChunks(text: string, file: string, model: RewardModel, opts: ChunkOptions): Promise<ChunkSummary> {
  const chunkSize = opts.chunkSize ?? 1000;
  const firstChunk = opts.firstChunkSize ?? 200;
  const columns = model.traitIds;
  // scoreRecords returns scores, not records: keep each record's search text until its result comes.
  const texts = new Map<number, string>();
  function* items(): Generator<ScorableItem> {
    for (const item of parseScorableText(text, file)) {
      if ('record' in item) texts.set(item.line, searchText(item.record));
      yield item;
    }
  }
  let rows: InspectRow[] = [];
  let problems: Diagnostic[] = [];
  let lines = 0;
  let totalRows = 0;
  let totalProblems = 0;
  let limit = firstChunk;
  const flush = () => {
    opts.onChunk({ rows, problems, linesDone: lines });
    totalRows += rows.length;
    totalProblems += problems.length;
    rows = [];
    problems = [];
  };
  // Batches the size of a chunk: measuring is synchronous, so a batch is the longest the host is blocked.
  const results = opts.judge
    ? scoreRecordsWithJudge(items(), file, model, opts.judge, { role: opts.role, signal: opts.signal })
    : scoreRecords(items(), file, model, { role: opts.role, signal: opts.signal, batchSize: firstChunk });
  for await (const r of results) {
    if (opts.signal?.aborted) break;
    lines++;
    if (r.kind === 'diagnostic') problems.push(r.diagnostic);
    else {
      const t = texts.get(r.line) ?? '';
      texts.delete(r.line);
      if (r.kind === 'dialogue') rows.push({ line: r.line, kind: r.kind, score: r.result.score, values: pick(r.result, undefined, columns), text: t });
      else if (r.kind === 'candidates') {
        // Shown like a pair: the best against the worst candidate (the table's bars are their difference).
        const c = r.result;
        const [best, worst] = [c.candidates[c.best - 1], c.candidates[c.worst - 1]];
        const candidates: NonNullable<InspectRow['candidates']> = { n: c.candidates.length, best: c.best, worst: c.worst };
        if (c.ranking) candidates.rankedFirst = c.ranking[0];
        rows.push({ line: r.line, kind: r.kind, score: c.spread, a: best.score, b: worst.score, candidates, values: pick(best, worst, columns), text: t });
      } else {
        const [first, second] = r.kind === 'pair' ? [r.result.chosen, r.result.rejected] : [r.result.human, r.result.ai];
        rows.push({ line: r.line, kind: r.kind, score: r.result.margin, a: first.score, b: second.score, values: pick(first, second, columns), text: t });
      }
    }
    if (rows.length + problems.length >= limit) {
      flush();
      limit = chunkSize;
      await nextTurn();
    }
  }
  const aborted = opts.signal?.aborted ?? false;
  if (!aborted) flush();
  return { rows: totalRows, problems: totalProblems, lines, aborted };
}

/** Model-order values of one side, or of two sides one after the other. */
function pick(first: TraitScore, second: TraitScore | undefined, ids: readonly string[]): Float32Array {
  const k = ids.length;
  const out = new Float32Array(second ? 2 * k : k);
  const a = first.traits;
  for (let j = 0; j < k; j++) out[j] = a[ids[j]];
  if (second) {
    const b = second.traits;
    for (let j = 0; j < k; j++) out[k + j] = b[ids[j]];
  }
  return out;
}
