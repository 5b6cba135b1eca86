/**
 * Counts as people read them: "1 pair", "4,948 pairs". One locale for every machine (so messages and the
 * tests that read them agree), and one place for the singular, so no message says "1 tokens" or "2 line".
 * Every message that counts something (CLI, extension, webviews) formats it here.
 */

/** 21504 → "21,504". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `n` things: counted(1, 'pair') is "1 pair", counted(4948, 'pair') "4,948 pairs"; `many` for other plurals. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
