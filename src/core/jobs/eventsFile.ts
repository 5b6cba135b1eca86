/**
 * A job folder's events.jsonl (and the worker's captured stdout), read whole or followed while the
 * worker appends to it. Lines that are not valid events are reported with their line number, never
 * dropped silently; a last line without its newline is still being written and waits for the next read.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { completeLines } from '../lines';
import type { WorkerEvent } from '../worker/events';
import { parseEventLine } from '../worker/schema';

export interface EventProblem {
  file: string;
  line: number;
  reason: string;
}

export interface EventsChunk {
  events: WorkerEvent[];
  problems: EventProblem[];
}

/** Parses event lines; `firstLine` is the 1-based number of lines[0] in `file`. */
export function parseEventLines(file: string, lines: string[], firstLine: number): EventsChunk {
  const out: EventsChunk = { events: [], problems: [] };
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    const parsed = parseEventLine(text);
    if ('event' in parsed) out.events.push(parsed.event);
    else out.problems.push({ file, line: firstLine + i, reason: parsed.error });
  });
  return out;
}

/** Reads bytes [from, size) of a file. */
function readRange(file: string, from: number): { text: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return { text: '', size };
    const buf = Buffer.alloc(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), size: from + got };
  } finally {
    closeSync(fd);
  }
}

/** Every complete event line of `file` from byte `from` on (a missing file has none). */
export function readEventsFile(file: string, from = 0): EventsChunk & { size: number } {
  if (!existsSync(file)) return { events: [], problems: [], size: 0 };
  const { text, size } = readRange(file, from);
  const firstLine = from > 0 ? countLines(file, from) + 1 : 1;
  const { lines, rest } = completeLines(text);
  return { ...parseEventLines(file, lines, firstLine), size: size - Buffer.byteLength(rest) };
}

function countLines(file: string, upTo: number): number {
  const { text } = readRange(file, 0);
  const head = Buffer.from(text).subarray(0, upTo).toString('utf8');
  let n = 0;
  for (let i = head.indexOf('\n'); i >= 0; i = head.indexOf('\n', i + 1)) n++;
  return n;
}

/** The last `n` lines of a text file (train.log), without reading all of a big one. */
export function lastLines(file: string, n: number, maxBytes = 64 * 1024): string[] {
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  const { text } = readRange(file, Math.max(0, size - maxBytes));
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (size > maxBytes) lines.shift(); // the first one is probably cut
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines.slice(-n);
}

/**
 * Follows a growing text file from byte `offset`: `onLines` gets each batch of complete lines with the
 * line number of the first. fs.watch notices appends at once where it works; a poll every `pollMs`
 * covers network drives and editors' file systems where it does not, and a file that appears later.
 */
export class FileTail {
  private watcher: FSWatcher | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private rest = '';
  private line = 1;
  private closed = false;

  constructor(
    readonly file: string,
    private offset: number,
    private readonly onLines: (lines: string[], firstLine: number) => void,
    pollMs = 1000,
  ) {
    if (offset > 0 && existsSync(file)) this.line = countLines(file, offset) + 1;
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref?.();
    try {
      this.watcher = watch(dirname(file), (_kind, name) => {
        if (!name || name.toString() === basename(file)) this.poll();
      });
      this.watcher.on('error', () => this.stopWatching());
    } catch {
      // The poll alone still follows the file.
    }
    this.poll();
  }

  /** Reads what was appended since the last call and hands over the complete lines. */
  poll(): void {
    if (this.closed || !existsSync(this.file)) return;
    let chunk: { text: string; size: number };
    try {
      chunk = readRange(this.file, this.offset);
    } catch {
      return; // replaced or removed between the check and the read: the next poll sees the new state
    }
    if (chunk.size < this.offset) {
      // Truncated (a new run rewrote it): start over.
      this.offset = 0;
      this.rest = '';
      this.line = 1;
      return this.poll();
    }
    if (!chunk.text) return;
    this.offset = chunk.size;
    const { lines, rest } = completeLines(this.rest + chunk.text);
    this.rest = rest;
    if (!lines.length) return;
    const first = this.line;
    this.line += lines.length;
    this.onLines(lines, first);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.poll();
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatching();
  }
}
