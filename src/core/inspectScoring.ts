/**
 * Scores a JSONL text for the inspector in chunks, handing each chunk over as soon as it is done and
 * giving the event loop back between chunks (setImmediate), so the extension host stays responsive
 * while a 100,000-line file is scored and the first rows show after the first chunk.
 */
import { parseScorableText, toScorable, type ScorableItem } from './formats';
import { lineItem } from './jsonl';
import { bomEnd } from './lineIndex';
import type { RatingsSource } from './judge/known';
import { scoreRecordsWithJudge } from './judge/score';
import { searchText, type InspectRow } from './inspect';
import type { RewardModel } from './reward/model';
import { rowOf } from './inspectRows';
import { scoreRecords } from './score';
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
      rows.push(rowOf(r, t, columns));
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

/** Lines [first, first + count) of a file's bytes, which lie in bytes [start, end) (end: the last line's `\n` or the end). */
export interface LineChunk {
  first: number;
  count: number;
  start: number;
  end: number;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The items parseScorableText yields for these lines of `buf`: each line decoded alone, which gives
 * the same text as decoding the whole file (lineIndex.ts), so the same records and diagnostics.
 */
export function* scorableLines(buf: Uint8Array, chunk: LineChunk, file: string): Generator<ScorableItem> {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = chunk.start;
  for (let line = chunk.first; line < chunk.first + chunk.count; line++) {
    let nl = b.indexOf(0x0a, pos);
    if (nl === -1 || nl > chunk.end) nl = chunk.end;
    let text = utf8.decode(b.subarray(line === 1 ? Math.max(pos, bomEnd(b)) : pos, nl));
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    pos = nl + 1;
    const item = lineItem(text, line, file);
    if (item) yield 'diagnostic' in item ? item : { line, ...toScorable(item.value, file, line) };
  }
}

/**
 * Scores one chunk of lines whole (rows in line order, a diagnostic per bad line): the unit of work of
 * the inspector's worker threads (inspectWorker.ts) and of the host's own first chunk (inspectPool.ts).
 */
export async function scoreLines(
  buf: Uint8Array,
  chunk: LineChunk,
  file: string,
  model: RewardModel,
  role: string | undefined,
): Promise<{ rows: InspectRow[]; problems: Diagnostic[]; lines: number }> {
  const columns = model.traitIds;
  const texts = new Map<number, string>();
  function* items(): Generator<ScorableItem> {
    for (const item of scorableLines(buf, chunk, file)) {
      if ('record' in item) texts.set(item.line, searchText(item.record));
      yield item;
    }
  }
  const rows: InspectRow[] = [];
  const problems: Diagnostic[] = [];
  let lines = 0;
  for await (const r of scoreRecords(items(), file, model, { role, batchSize: Math.max(1, chunk.count) })) {
    lines++;
    if (r.kind === 'diagnostic') problems.push(r.diagnostic);
    else {
      rows.push(rowOf(r, texts.get(r.line) ?? '', columns));
      texts.delete(r.line);
    }
  }
  return { rows, problems, lines };
}
