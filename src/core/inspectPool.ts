/**
 * Scores a whole file for the inspector on worker threads (inspectWorker.ts), one chunk of lines each at
 * a time, and hands the chunks over in file order, exactly as scoreTextInChunks (inspectScoring.ts)
 * would: the same rows, the same diagnostics with the same file:line, the same order.
 *
 *   const source = await readSource('big.pairs.jsonl');            // bytes in shared memory + line index
 *   const pool = new InspectPool(join(dist, 'inspectWorker.js'));
 *   await pool.score(source, file, model, { onChunk(c) { … } });
 *
 * Why: scoring runs ~54k responses/s on one core, so a 100,000-pair file took 9 s on the extension host's
 * thread while other cores idled. The file is read once into a SharedArrayBuffer that every worker reads
 * without a copy; a line index (lineIndex.ts) cuts it into chunks without parsing; rows come back packed
 * in transferred typed arrays (inspectRows.ts). The host scores the first chunk itself, at once, and goes
 * on with small chunks while the workers start (each loads the spelling dictionary, ~0.5 s, before it
 * takes work), so the first rows show at once and a cold start costs no idle second. Workers stay for a
 * while after a run (the next file, or the same one edited, starts warm) and are ended when idle.
 */
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { InspectRow } from './inspect';
import { unpackRows, type PackedRows } from './inspectRows';
import { scoreLines, type ChunkSummary, type LineChunk } from './inspectScoring';
import { indexLines, type LineIndex } from './lineIndex';
import { encodeReward } from './reward/onnx';
import type { RewardModel } from './reward/model';
import type { Diagnostic } from './types';

/** A file's bytes (in shared memory, so workers read them without a copy) and where its lines start. */
export interface LineSource {
  buf: Buffer;
  index: LineIndex;
}

/** Reads a file straight into shared memory and indexes its lines. */
export async function readSource(path: string): Promise<LineSource> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.from(new SharedArrayBuffer(size));
    let at = 0;
    // A file that grows while being read keeps its first `size` bytes; one that shrinks ends early.
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, Math.min(size - at, 16 << 20), at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    const bytes = at < size ? buf.subarray(0, at) : buf;
    return { buf: bytes, index: indexLines(bytes) };
  } finally {
    await fh.close();
  }
}

/** An editor's text (unsaved edits included), encoded into shared memory. */
export function sourceFromText(text: string): LineSource {
  const size = Buffer.byteLength(text, 'utf8');
  const buf = Buffer.from(new SharedArrayBuffer(size));
  buf.write(text, 0, 'utf8');
  return { buf, index: indexLines(buf) };
}

/** Lines [from, to) of a source as a chunk. */
export function chunkOf(source: LineSource, from: number, to: number): LineChunk {
  const s = source.index.starts;
  return { first: from, count: to - from, start: s[from - 1], end: s[to - 1] - 1 };
}

/** How many chunks of `firstChunkLines` a run starts with. */
const SMALL_CHUNKS = 10;

/**
 * The chunks a run works through: `small` chunks of `firstLines` (the first rows to show, and what the
 * host scores while the workers start: each blocks it only ~40 ms), then chunks of `chunkLines`.
 */
export function planChunks(source: LineSource, firstLines: number, chunkLines: number, small = SMALL_CHUNKS): LineChunk[] {
  const lines = source.index.lines;
  const out: LineChunk[] = [];
  let from = 1;
  while (from <= lines) {
    const size = Math.max(1, out.length < small ? firstLines : chunkLines);
    const to = Math.min(lines + 1, from + size);
    out.push(chunkOf(source, from, to));
    from = to;
  }
  return out;
}

/** Host → worker: score one chunk. `modelBytes` comes with the first task of a model for each worker. */
export interface PoolTask {
  run: number;
  index: number;
  buf: SharedArrayBuffer;
  chunk: LineChunk;
  file: string;
  role: string | undefined;
  modelKey: string;
  modelFile: string;
  modelBytes?: Uint8Array;
}

export type PoolReply =
  | { type: 'warm' }
  | { type: 'rows'; run: number; index: number; rows: PackedRows; problems: Diagnostic[]; lines: number }
  | { type: 'error'; run: number; index: number; message: string };

export interface PoolOptions {
  role?: string;
  signal?: AbortSignal;
  /** Lines in the first chunk, scored on the calling thread (default 200). */
  firstChunkLines?: number;
  /** Lines per worker chunk (default 2,000: ~60 ms of work, a small message back). */
  chunkLines?: number;
  onChunk(chunk: { rows: InspectRow[]; problems: Diagnostic[]; linesDone: number }): void;
  /** Told when a worker thread dies; its chunk is scored again by another, or by the calling thread. */
  onWorkerLost?(err: Error): void;
}

interface Slot {
  worker: Worker;
  /** Ready for work (its dictionary loaded): only warm workers get chunks. */
  warm: boolean;
  models: Set<string>;
  busy: { run: Run; index: number } | undefined;
}

interface Run {
  id: number;
  source: LineSource;
  file: string;
  role: string | undefined;
  model: RewardModel;
  modelKey: string;
  queue: number[];
  chunks: LineChunk[];
  /** Finished chunks waiting for the ones before them. */
  done: Map<number, { rows: InspectRow[]; problems: Diagnostic[]; lines: number }>;
  next: number;
  /** A host loop is running for this run (hostLoop: the first chunks; all that are left when no worker is able to). */
  hostBusy: boolean;
  settled: boolean;
  /** Hands finished chunks over in order; ends the run after the last. */
  emit(): void;
  settle(err?: Error): void;
  /** Told when a worker dies (the run goes on without it). */
  onWorkerLost?(err: Error): void;
}

const modelKeys = new WeakMap<RewardModel, { key: string; bytes: Uint8Array }>();
let modelCounter = 0;

function modelKey(model: RewardModel): { key: string; bytes: Uint8Array } {
  let k = modelKeys.get(model);
  if (!k) {
    // The workers build their session from the same spec the host's model was decoded from.
    k = { key: `${++modelCounter}:${model.file}`, bytes: encodeReward(model.spec) };
    modelKeys.set(model, k);
  }
  return k;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InspectPool {
  private readonly slots: Slot[] = [];
  private runCount = 0;
  /** Runs with chunks still to score, oldest first: workers serve the oldest (several panels may score at once). */
  private readonly active: Run[] = [];
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /**
   * @param workerFile the compiled inspectWorker.ts: dist/inspectWorker.js in the extension,
   *   out/src/core/inspectWorker.js in tests.
   * @param size workers (default: one per core, at most 4).
   * @param idleMs workers end after this long without a run.
   */
  constructor(
    private readonly workerFile: string,
    readonly size = Math.max(1, Math.min(4, availableParallelism())),
    private readonly idleMs = 60_000,
  ) {}

  /** Chunks scored so far by the calling thread and by the workers (tests check both take part). */
  readonly scored = { host: 0, workers: 0 };

  /** Workers alive now (tests; they start with the first run). */
  get workers(): number {
    return this.slots.length;
  }

  /**
   * Scores every line of `source`, calling onChunk in line order. `signal` abandons the run: its chunks
   * still being scored are thrown away when they come back.
   */
  score(source: LineSource, file: string, model: RewardModel, opts: PoolOptions): Promise<ChunkSummary> {
    if (this.disposed) return Promise.reject(new Error('the inspector pool was disposed'));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const chunks = planChunks(source, opts.firstChunkLines ?? 200, opts.chunkLines ?? 2000);
    const { key } = modelKey(model);
    let totalRows = 0;
    let totalProblems = 0;
    let linesDone = 0;
    return new Promise<ChunkSummary>((resolve, reject) => {
      let settled = false;
      const run: Run = {
        id: ++this.runCount,
        source,
        file,
        role: opts.role,
        model,
        modelKey: key,
        queue: chunks.map((_, i) => i),
        chunks,
        done: new Map(),
        next: 0,
        hostBusy: false,
        settled: false,
        emit: () => emit(),
        onWorkerLost: opts.onWorkerLost,
        settle: (err) => {
          if (settled) return;
          settled = true;
          opts.signal?.removeEventListener('abort', onAbort);
          run.queue.length = 0;
          run.settled = true;
          const at = this.active.indexOf(run);
          if (at >= 0) this.active.splice(at, 1);
          if (this.active.length === 0) this.idleLater();
          if (err) reject(err);
          else resolve({ rows: totalRows, problems: totalProblems, lines: linesDone, aborted: run.next < chunks.length });
        },
      };
      const onAbort = () => run.settle();
      if (opts.signal?.aborted) {
        resolve({ rows: 0, problems: 0, lines: 0, aborted: true });
        return;
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const emit = () => {
        for (let c = run.done.get(run.next); c && !settled; c = run.done.get(run.next)) {
          run.done.delete(run.next);
          run.next++;
          linesDone += c.lines;
          totalRows += c.rows.length;
          totalProblems += c.problems.length;
          try {
            opts.onChunk({ rows: c.rows, problems: c.problems, linesDone });
          } catch (err) {
            run.settle(err as Error);
            return;
          }
        }
        if (run.next === chunks.length) run.settle();
      };
      this.active.push(run);
      if (chunks.length === 0) {
        run.settle();
        return;
      }
      // Small files never wake a worker: the host scores them (its small chunks) as fast as a worker starts.
      if (chunks.length > SMALL_CHUNKS) this.ensureWorkers();
      void this.hostLoop(run);
      this.dispatch();
    });
  }

  /**
   * The host scores the first chunk at once, then more only while no worker can: small chunks until one
   * is warm (a small file is done before), everything when every worker has died.
   */
  private async hostLoop(run: Run): Promise<void> {
    if (run.hostBusy) return;
    run.hostBusy = true;
    try {
      let first = true;
      const small = run.chunks[0]?.count ?? 0;
      while (!run.settled && run.queue.length > 0) {
        const noWorkers = this.slots.length === 0;
        const cold = !this.slots.some((s) => s.warm) && run.chunks[run.queue[0]].count <= small;
        if (!(first || noWorkers || cold)) break;
        first = false;
        const index = run.queue.shift()!;
        try {
          run.done.set(index, await scoreLines(run.source.buf, run.chunks[index], run.file, run.model, run.role));
          this.scored.host++;
        } catch (err) {
          run.settle(err as Error);
          return;
        }
        if (run.settled) return;
        run.emit();
        await nextTurn();
      }
    } finally {
      run.hostBusy = false;
    }
  }


  private ensureWorkers(): void {
    while (this.slots.length < this.size) {
      const worker = new Worker(this.workerFile);
      // Only a worker with a task keeps the process alive (dispatch refs it, an answer unrefs it).
      worker.unref();
      const slot: Slot = { worker, warm: false, models: new Set(), busy: undefined };
      worker.on('message', (m: PoolReply) => this.receive(slot, m));
      worker.on('error', (err) => this.lost(slot, err));
      worker.on('exit', (code) => this.lost(slot, new Error(`an inspector worker exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  /** Gives every idle worker the next chunk of the oldest run that has one. */
  private dispatch(): void {
    for (const slot of this.slots) {
      const run = this.active.find((r) => r.queue.length > 0);
      if (!run) return;
      if (slot.busy || !slot.warm) continue;
      const index = run.queue.shift()!;
      slot.busy = { run, index };
      slot.worker.ref();
      const task: PoolTask = {
        run: run.id,
        index,
        buf: run.source.buf.buffer as SharedArrayBuffer,
        chunk: shift(run.chunks[index], run.source.buf.byteOffset),
        file: run.file,
        role: run.role,
        modelKey: run.modelKey,
        modelFile: run.model.file,
      };
      if (!slot.models.has(run.modelKey)) {
        task.modelBytes = modelKey(run.model).bytes;
        slot.models.clear();
        slot.models.add(run.modelKey);
      }
      slot.worker.postMessage(task);
    }
  }

  private receive(slot: Slot, m: PoolReply): void {
    if (m.type === 'warm') {
      slot.warm = true;
      this.dispatch();
      return;
    }
    const busy = slot.busy;
    slot.busy = undefined;
    slot.worker.unref();
    const run = busy?.run;
    if (run && !run.settled && run.id === m.run) {
      if (m.type === 'error') {
        run.settle(new Error(m.message));
      } else {
        run.done.set(m.index, { rows: unpackRows(m.rows), problems: m.problems, lines: m.lines });
        this.scored.workers++;
        run.emit();
      }
    }
    this.dispatch();
  }

  /** A worker that died: its chunk goes back to the queue; with none left the host scores the rest. */
  private lost(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    const busy = slot.busy;
    slot.busy = undefined;
    if (busy && !busy.run.settled) {
      // Back to the front, where the next worker (or the host) takes it first.
      busy.run.queue.unshift(busy.index);
      busy.run.queue.sort((a, b) => a - b);
    }
    for (const run of [...this.active]) {
      if (run === (busy?.run ?? this.active[0])) run.onWorkerLost?.(err);
      // With no thread left the host scores the rest.
      if (this.slots.length === 0 && !run.hostBusy) void this.hostLoop(run);
    }
    this.dispatch();
  }

  private idleLater(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopWorkers(), this.idleMs);
    this.idleTimer.unref?.();
  }

  private stopWorkers(): void {
    for (const slot of this.slots.splice(0)) {
      slot.worker.removeAllListeners();
      void slot.worker.terminate();
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const run of [...this.active]) run.settle();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.stopWorkers();
  }
}

/** A chunk's byte offsets within the shared buffer itself (a source may be a view at an offset). */
function shift(c: LineChunk, by: number): LineChunk {
  return by === 0 ? c : { ...c, start: c.start + by, end: c.end + by };
}
