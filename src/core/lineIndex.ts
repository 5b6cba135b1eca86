/**
 * Where each line of a JSONL file starts, in bytes, found without parsing anything: the inspector splits
 * a 100,000-line file into ranges of lines for its worker threads (inspectPool.ts) and reads back one
 * line's text (the detail view, diagnostics) without keeping the whole file as a JS string.
 *
 * Lines are what parseJsonlText (jsonl.ts) counts: split at `\n` only (a `\r` before it stays part of the
 * line, as JSON.parse ignores it), and the text after the last `\n` is one more line, empty or not. The
 * bytes decode exactly as decoding the whole file with TextDecoder would (a `\n` never sits inside a UTF-8
 * sequence, so a line decodes the same alone), a leading byte order mark excluded.
 */

const NEWLINE = 0x0a;

export interface LineIndex {
  /** Byte offset where line i + 1 starts (line numbers are 1-based); starts[lines] = bytes + 1. */
  readonly starts: Float64Array;
  /** Lines, counted as parseJsonlText does (a file without a final `\n` still ends with a line). */
  readonly lines: number;
  /** Lines with something other than spaces, tabs and `\r` on them: one item each for every reader. */
  readonly nonBlank: number;
}

/** Indexes every line of `buf` (one pass of memchr: ~50 ms for 160 MB). */
export function indexLines(buf: Uint8Array): LineIndex {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let starts = new Float64Array(1024);
  let lines = 0;
  let nonBlank = 0;
  let start = 0;
  for (;;) {
    let nl = b.indexOf(NEWLINE, start);
    if (nl === -1) nl = b.length;
    if (lines + 2 > starts.length) {
      const bigger = new Float64Array(starts.length * 2);
      bigger.set(starts);
      starts = bigger;
    }
    starts[lines++] = start;
    // Most lines start with `{`: the loop ends at the first byte.
    for (let i = start === 0 ? bomEnd(b) : start; i < nl; i++) {
      const c = b[i];
      if (c !== 32 && c !== 9 && c !== 13) {
        nonBlank++;
        break;
      }
    }
    if (nl >= b.length) break;
    start = nl + 1;
  }
  starts[lines] = b.length + 1;
  return { starts: starts.subarray(0, lines + 1), lines, nonBlank };
}

/** Where line 1's text begins: after a UTF-8 byte order mark, which TextDecoder drops too. */
export function bomEnd(buf: Uint8Array): number {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Line `line`'s text (1-based, without its `\n`), decoded as the whole file would decode; undefined past
 * the end. A `\uFEFF` left at the very start (a second BOM) is dropped, as parseJsonlText drops it.
 */
export function lineText(buf: Uint8Array, index: LineIndex, line: number): string | undefined {
  if (!Number.isInteger(line) || line < 1 || line > index.lines) return undefined;
  const start = line === 1 ? bomEnd(buf) : index.starts[line - 1];
  const end = index.starts[line] - 1;
  const text = decoder.decode(buf.subarray(start, end));
  return line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
