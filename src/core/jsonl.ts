/**
 * Streaming JSON Lines reader. Every non-blank line of a user file becomes exactly one item, either
 * the parsed object or a diagnostic, so a bad line is reported where it is and never hides the rest.
 * File content never makes it throw; only I/O does (missing file, unreadable disk).
 *
 * Columns count UTF-16 code units from 1, as editors do, and exclude a byte order mark.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Diagnostic } from './types';

export type JsonlItem = { line: number; value: unknown } | { line: number; diagnostic: Diagnostic };

export interface ReadOptions {
  /** Stops the read between lines: the generator then simply ends, so callers check `signal.aborted`. */
  signal?: AbortSignal;
  /** Read size in bytes (default 1 MiB). Lines may be longer; tests use tiny values to split lines. */
  chunkSize?: number;
}

/** The record shapes, named in diagnostics for lines that are not objects (see formats.ts). */
export const EXPECTED_SHAPES = 'an object with `messages`, `chosen`/`rejected`, or `human`/`ai`';

const DEFAULT_CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export async function* readJsonl(file: string, opts: ReadOptions = {}): AsyncGenerator<JsonlItem> {
  const { signal } = opts;
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK));
  if (signal?.aborted) return;
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw ioError('cannot open', file, err);
  }
  try {
    let line = 0;
    // Bytes of the current line that arrived in earlier chunks; concatenated once its newline shows up.
    let head: Buffer[] = [];
    for (;;) {
      // A fresh buffer per read, so `head` can keep views into earlier ones without copying.
      const buf = Buffer.allocUnsafe(chunkSize);
      let n: number;
      try {
        n = (await fh.read(buf, 0, chunkSize, null)).bytesRead;
      } catch (err) {
        throw ioError('cannot read', file, err);
      }
      if (n === 0) break;
      const chunk = n < chunkSize ? buf.subarray(0, n) : buf;
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        line++;
        let item: JsonlItem | undefined;
        if (head.length === 0) {
          item = bytesItem(chunk, start, nl, line, file);
        } else {
          head.push(chunk.subarray(start, nl));
          const whole = Buffer.concat(head);
          head = [];
          item = bytesItem(whole, 0, whole.length, line, file);
        }
        start = nl + 1;
        if (item) yield item;
        if (signal?.aborted) return;
      }
      if (start < chunk.length) head.push(chunk.subarray(start));
    }
    // The last line need not end with a newline.
    if (head.length > 0) {
      const whole = Buffer.concat(head);
      const item = bytesItem(whole, 0, whole.length, line + 1, file);
      if (item) yield item;
    }
  } finally {
    await fh.close();
  }
}

/** The same rules for a document already in memory, such as an editor's text. */
export function* parseJsonlText(text: string, file: string): Generator<JsonlItem> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (start <= text.length) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    line++;
    const item = lineItem(text.slice(start, nl), line, file);
    if (item) yield item;
    start = nl + 1;
  }
}

function bytesItem(buf: Buffer, start: number, end: number, line: number, file: string): JsonlItem | undefined {
  if (line === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
    start += 3;
  }
  const text = buf.toString('utf8', start, end);
  // The decoder turns bad bytes into U+FFFD; only then is the (rare) byte scan worth it, to tell them
  // from a U+FFFD that really is in the file.
  if (text.indexOf('\ufffd') !== -1) {
    const bad = firstInvalidUtf8(buf, start, end);
    if (bad !== -1) {
      const column = buf.toString('utf8', start, bad).length + 1;
      return { line, diagnostic: diag(file, line, column, `invalid UTF-8 byte 0x${hex(buf[bad])}`) };
    }
  }
  return lineItem(text, line, file);
}

/** One decoded line (without its `\n`) to an item; undefined for a blank line, which is not data. */
export function lineItem(text: string, line: number, file: string): JsonlItem | undefined {
  const first = skipSpace(text);
  if (first === text.length) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const { column, message } = jsonError(text, err);
    return { line, diagnostic: diag(file, line, column, `invalid JSON: ${message}`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, diagnostic: diag(file, line, first + 1, notAnObject(value)) };
  // Only a line of 2·MAX_NESTING characters or more can nest that deep: short lines skip the walk.
  if (text.length > 2 * MAX_NESTING && nestingDepth(value, MAX_NESTING) > MAX_NESTING) {
    return { line, diagnostic: diag(file, line, tooDeepColumn(text), `line nests arrays and objects more than ${MAX_NESTING} levels deep; StyleTune reads up to ${MAX_NESTING}`) };
  }
  return { line, value };
}

/**
 * JSON.parse copes with any depth, but JSON.stringify, String(), structured clone (webview messages)
 * and every recursive walk of a value do not: thousands of levels end in "Maximum call stack size
 * exceeded" far from the line that caused it. Lines nested deeper are diagnostics here, once.
 */
export const MAX_NESTING = 512;

/** Levels of arrays and objects in `value` (0 for anything else), counted without recursion and no further than `limit` + 1. */
export function nestingDepth(value: unknown, limit = Infinity): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) break;
    }
    // Indexes for arrays, `for in` for objects: Object.values would allocate an array per node.
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = node[key];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return deepest;
}

/** Column (1-based) of the bracket that goes one level past MAX_NESTING in valid JSON text. */
function tooDeepColumn(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i + 1;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return 1;
}

/** Index of the first character that is not JSON whitespace (`\r` included, which also covers CRLF). */
function skipSpace(text: string): number {
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
  }
  return i;
}

// Anchored at the end: "Unexpected token" messages quote the line, which may itself say "at position 3".
// Newer V8 versions append "(line 1 column 8)".
const AT_POSITION = /(?: in JSON)? at position (\d+)(?: \(line \d+ column \d+\))?$/;

/**
 * Where and why JSON.parse failed. Node 20 gives "... in JSON at position N" for most errors but
 * not for "Unexpected token": there the position is found by bisecting on prefixes, since a prefix
 * that fails only for running out of input is still a possible start of valid JSON.
 */
function jsonError(text: string, err: unknown): { column: number; message: string } {
  const raw = err instanceof Error ? err.message : String(err);
  // Input that stops too early is reported just after its last character, not after trailing spaces.
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  const at = AT_POSITION.exec(raw);
  if (at) return { column: Math.min(Number(at[1]), end) + 1, message: raw.slice(0, at.index) };
  if (raw.startsWith('Unexpected end of JSON input')) return { column: end + 1, message: raw };
  if (raw.startsWith('Unexpected token')) {
    const pos = longestViablePrefix(text);
    const cp = text.codePointAt(pos);
    return { column: pos + 1, message: cp === undefined ? raw : `Unexpected token '${String.fromCodePoint(cp)}'` };
  }
  return { column: 1, message: raw };
}

function longestViablePrefix(text: string): number {
  let lo = 0; // JSON.parse('') fails only for lack of input: viable
  let hi = text.length; // known to fail
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (isViablePrefix(text.slice(0, mid))) lo = mid;
    else hi = mid;
  }
  return lo;
}

function isViablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    if (msg.startsWith('Unexpected end of JSON input')) return true;
    const at = AT_POSITION.exec(msg);
    return at !== null && Number(at[1]) >= prefix.length;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** The diagnostic for a line whose JSON is valid but not an object. */
export function notAnObject(value: unknown): string {
  const kind = value === null ? 'JSON null' : Array.isArray(value) ? 'a JSON array' : `a JSON ${typeof value}`;
  return `line is ${kind}; expected ${EXPECTED_SHAPES}`;
}

/**
 * Index of the first byte that does not begin a well-formed UTF-8 sequence, or -1.
 * Follows Unicode Table 3-7 (no overlongs, surrogates or code points above U+10FFFF), which is also
 * where Node's decoder puts its U+FFFD.
 */
export function firstInvalidUtf8(buf: Uint8Array, start = 0, end = buf.length): number {
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= end) return i;
    if (buf[i + 1] < lo || buf[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) {
      if (buf[i + k] < 0x80 || buf[i + k] > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

function diag(file: string, line: number, column: number, message: string): Diagnostic {
  return { file, line, column, severity: 'error', message };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

const IO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
};

/** A plain-worded Error that still carries the system `code` and the original error as `cause`. */
export function ioError(action: string, file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && IO_REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
  const out = new Error(`${action} ${file}: ${reason}`, { cause: err }) as NodeJS.ErrnoException;
  if (code) out.code = code;
  return out;
}
