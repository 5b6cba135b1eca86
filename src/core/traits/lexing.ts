/**
 * Character classes and small lexing helpers of the trait scanner (extractor.ts), all on UTF-16 code
 * units so the scanner never builds a string or runs a regular expression per character. Called from
 * the hot loop: keep them small and monomorphic (numbers in, numbers or booleans out).
 */
import { V } from './vocabulary';

export function isLetter(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) ||
    (c >= 0x370 && c <= 0x1fff) ||
    (c >= 0x3040 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}
export const isDigit = (c: number) => c >= 48 && c <= 57;
/** isLetter(c) || isDigit(c), with ASCII decided first. */
export function isWordChar(c: number): boolean {
  if (c < 128) {
    const f = c | 32;
    return (f >= 97 && f <= 122) || (c >= 48 && c <= 57);
  }
  return isLetter(c);
}
export const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === 10 || c === 0xa0;
export const isUpper = (c: number) => (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
/**
 * text.charCodeAt(i), or -1 outside the text. Reading past either end in optimized code is a
 * deoptimization (V8 bails out on its first out-of-bounds charCodeAt), and every turn that ends in "." hit
 * one; each costs a recompile of the whole scanner, ~0.1 s of CPU on the scoring thread.
 */
export const codeAt = (text: string, i: number) => ((i >>> 0) < text.length ? text.charCodeAt(i) : -1);

/** Emoticon such as :) ;-) :D :'( =P <3 starting at i; returns its length or 0. */
export function emoticonAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 60 /* < */) return codeAt(text, i + 1) === 51 /* 3 */ ? 2 : 0;
  if (c !== 58 && c !== 59 && c !== 61) return 0; // : ; =
  if (isDigit(codeAt(text, i - 1))) return 0; // 10:30
  let j = i + 1;
  const m = codeAt(text, j);
  if (m === 45 || m === 39) j++; // - '
  const f = codeAt(text, j);
  // ) ( D P p O o / | 3 * ] [
  const face = f === 41 || f === 40 || f === 68 || f === 80 || f === 112 || f === 79 || f === 111 || f === 47 || f === 124 || f === 51 || f === 42 || f === 93 || f === 91;
  if (!face) return 0;
  const after = codeAt(text, j + 1);
  if (isLetter(after) || isDigit(after)) return 0;
  // "(see: /path)" style false positives are rare; a URL's "://" is excluded
  if (f === 47 && after === 47) return 0;
  return j + 1 - i;
}

/** Line begins a markdown list item or header: "- x", "* x", "• x", "1. x", "2) x", "# x". */
export function markdownLineStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const next = codeAt(text, i + 1);
  if (c === 35 /* # */) return next === 35 || next === 32;
  if (c === 45 || c === 42 || c === 43 || c === 0x2022) return next === 32;
  if (isDigit(c)) {
    let j = i + 1;
    while (isDigit(codeAt(text, j))) j++;
    const p = codeAt(text, j);
    return (p === 46 || p === 41) && codeAt(text, j + 1) === 32;
  }
  return false;
}

export function lastNonSpace(text: string): number {
  let j = text.length - 1;
  while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
  return j;
}

export function nextNonSpace(text: string, from: number): number {
  let j = from;
  while (j < text.length && text.charCodeAt(j) === 32) j++;
  return codeAt(text, j);
}

/** shapeOfSpan bits beyond V's: an uppercase letter, a letter that is not uppercase. */
export const SHAPE_UPPER = 1 << 0;
export const SHAPE_LOWER = 1 << 1;

/**
 * The shape of a word with letters beyond ASCII, character by character: V.hasLetter, V.hasDigit,
 * V.apostrophe, V.elongated (runs compare code units | 32) and the case bits above.
 */
export function shapeOfSpan(text: string, s: number, e: number): number {
  let f = 0;
  let run = 0;
  let prev = -1;
  for (let i = s; i < e; i++) {
    const d = text.charCodeAt(i);
    if (isLetter(d)) {
      f |= V.hasLetter | (isUpper(d) ? SHAPE_UPPER : SHAPE_LOWER);
      const low = d | 32;
      run = low === prev ? run + 1 : 1;
      if (run >= 3) f |= V.elongated;
      prev = low;
    } else {
      if (isDigit(d)) f |= V.hasDigit;
      else f |= V.apostrophe;
      prev = -1;
    }
  }
  return f;
}
