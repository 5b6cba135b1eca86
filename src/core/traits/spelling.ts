/**
 * Spell checking with Hunspell's English dictionary (the `dictionary-en` package) through `nspell`.
 *
 * nspell is accurate but slow for a hot loop (~2 µs a miss), and chat vocabulary is Zipfian, so verdicts
 * are memoized. Loading the dictionary takes ~0.5 s; it happens once, on the first check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
// nspell ships no types; its surface here is one method.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nspell: (aff: Buffer, dic: Buffer) => { correct(word: string): boolean } = require('nspell');

const MEMO_LIMIT = 500_000;
let checker: { correct(word: string): boolean } | undefined;
const memo = new Map<string, boolean>();

/**
 * The dictionary lives in `dict/en.{aff,dic}` next to the bundles (dist/) or in node_modules during
 * development and tests. STYLETUNE_DICTIONARY_DIR overrides both.
 */
export function findDictionary(start = __dirname): { aff: string; dic: string } {
  const candidates: string[] = [];
  if (process.env.STYLETUNE_DICTIONARY_DIR) candidates.push(process.env.STYLETUNE_DICTIONARY_DIR);
  for (let dir = start; ; dir = dirname(dir)) {
    candidates.push(join(dir, 'dict'), join(dir, 'dist', 'dict'), join(dir, 'node_modules', 'dictionary-en'));
    if (dirname(dir) === dir) break;
  }
  for (const dir of candidates) {
    for (const base of ['en', 'index']) {
      const aff = join(dir, `${base}.aff`);
      const dic = join(dir, `${base}.dic`);
      if (existsSync(aff) && existsSync(dic)) return { aff, dic };
    }
  }
  throw new Error(`English spelling dictionary not found (looked for dict/en.dic near ${start}); run the build`);
}

/** Whether the dictionary has been loaded (it is, on the first spelling check). */
export function dictionaryLoaded(): boolean {
  return checker !== undefined;
}

/** True when `lower` (a lowercase word) is spelled correctly, also as a capitalized proper noun. */
export function isKnownWord(lower: string): boolean {
  const cached = memo.get(lower);
  if (cached !== undefined) return cached;
  if (!checker) {
    const { aff, dic } = findDictionary();
    checker = nspell(readFileSync(aff), readFileSync(dic));
  }
  const known = checker.correct(lower) || checker.correct(lower[0].toUpperCase() + lower.slice(1));
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(lower, known);
  return known;
}
