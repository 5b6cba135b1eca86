/**
 * Interns words seen by the trait extractor: one hash-table probe per word gives an integer id, and
 * every per-word fact (word-list flags, spelling verdict) is an array read by id after that. String
 * slicing, lowercasing and Map lookups dominated the extractor's profile before this; ids also let the
 * extractor count distinct words and match phrases with integer compares.
 */
import { W, WORD_FLAGS } from './lexicon';
import { isKnownWord } from './spelling';

/** Flags beyond the word lists (lexicon.ts uses bits 0-14). */
export const V = {
  laughLike: 1 << 20, // hahaha, hehehe, lmaooo: laughter spelled in ways no list can enumerate
  spellChecked: 1 << 21,
  spelledRight: 1 << 22,
} as const;

const LAUGH_PREFIXES = ['haha', 'hehe', 'lmao', 'lool', 'ahah', 'bahah', 'hahh'];

/** Past this many distinct words new words are not cached (their facts are recomputed each time). */
const MAX_WORDS = 2_000_000;

/** FNV-1a step over one (already folded) UTF-16 code unit. */
export function hashStep(h: number, code: number): number {
  return Math.imul(h ^ code, 16777619);
}
export const HASH_SEED = 0x811c9dc5 | 0;

/** A second, independent string hash (multiply-add with another odd constant). */
export function hashStep2(h: number, code: number): number {
  return (Math.imul(h, 0x5bd1e995) + code) | 0;
}
export const HASH2_SEED = 0x2545f491 | 0;

/**
 * An open-addressing hash table of words keyed by FNV-1a hashes. The extractor hashes each word while
 * scanning its characters and looks it up by span (text, start, end) without slicing or lowercasing:
 * a hit, the common case, allocates nothing.
 */
class Vocabulary {
  private words: string[] = [];
  private hashes: Int32Array = new Int32Array(1 << 16);
  private hashes2: Int32Array = new Int32Array(1 << 16);
  private lengths: Int32Array = new Int32Array(1 << 16);
  private slots = new Int32Array(1 << 17); // id + 1; 0 = empty
  flags: Int32Array = new Int32Array(1 << 16);

  get size(): number {
    return this.words.length;
  }

  /** The word with this id. */
  word(id: number): string {
    return this.words[id];
  }

  /** Id of `lower` (a lowercase word, straight apostrophes), interning it; -1 once the vocabulary is full. */
  idOf(lower: string): number {
    let h = HASH_SEED;
    for (let i = 0; i < lower.length; i++) h = hashStep(h, lower.charCodeAt(i));
    // Not-ASCII words only ever come through here, so their second hash is never read.
    const mask = this.slots.length - 1;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const id = this.slots[idx] - 1;
      if (id < 0) return this.insert(lower, h, idx);
      if (this.hashes[id] === h && this.words[id] === lower) return id;
    }
  }

  /**
   * Id of the ASCII word text[s, e) folded to lowercase (’ read as '), given its folded hashes: `h`
   * (FNV-1a, hashStep) and `h2` (hashStep2). A hit is decided by both 32-bit hashes and the length
   * instead of a character compare: a false match needs a 64-bit collision (~1e-14 per lookup at a
   * million words), and skipping the compare saved a tenth of the scoring time.
   */
  idOfSpan(text: string, s: number, e: number, h: number, h2: number): number {
    const mask = this.slots.length - 1;
    const len = e - s;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const id = this.slots[idx] - 1;
      if (id < 0) return this.insert(foldAscii(text, s, e), h, idx);
      if (this.hashes[id] === h && this.hashes2[id] === h2 && this.lengths[id] === len) return id;
    }
  }

  private insert(lower: string, h: number, idx: number): number {
    if (this.words.length >= MAX_WORDS) return -1;
    const id = this.words.length;
    if (id === this.flags.length) {
      this.flags = grow32(this.flags);
      this.hashes = grow32(this.hashes);
      this.hashes2 = grow32(this.hashes2);
      this.lengths = grow32(this.lengths);
    }
    this.words.push(lower);
    this.flags[id] = factsOf(lower);
    this.hashes[id] = h;
    let h2 = HASH2_SEED;
    for (let i = 0; i < lower.length; i++) h2 = hashStep2(h2, lower.charCodeAt(i));
    this.hashes2[id] = h2;
    this.lengths[id] = lower.length;
    this.slots[idx] = id + 1;
    // Keep the load factor under 1/2 so probe runs stay short.
    if (this.words.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.words.length; id++) {
      let idx = this.hashes[id] & mask;
      while (slots[idx] !== 0) idx = (idx + 1) & mask;
      slots[idx] = id + 1;
    }
    this.slots = slots;
  }

  /** Word-list flags of a word with id `id` (or of `lower` directly when the vocabulary is full). */
  flagsOf(id: number, lower: string): number {
    return id >= 0 ? this.flags[id] : factsOf(lower);
  }

  /** Spelling verdict, computed on first need: most words never need it (they are in a word list). */
  spelledRight(id: number, lower: string): boolean {
    if (id < 0) return isKnownWord(lower);
    const f = this.flags[id];
    if (f & V.spellChecked) return (f & V.spelledRight) !== 0;
    const known = isKnownWord(lower);
    this.flags[id] = f | V.spellChecked | (known ? V.spelledRight : 0);
    return known;
  }
}

/** ASCII A-Z to lowercase and ’ to ': the folding the extractor hashes with. */
export function foldCode(c: number): number {
  return c >= 65 && c <= 90 ? c | 32 : c === 0x2019 ? 39 : c;
}

function foldAscii(text: string, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(foldCode(text.charCodeAt(i)));
  return out;
}

function grow32(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function factsOf(lower: string): number {
  let f = WORD_FLAGS.get(lower) ?? 0;
  if (!(f & W.laugh) && lower.length >= 4) {
    for (const p of LAUGH_PREFIXES) if (lower.startsWith(p)) f |= V.laughLike;
  }
  return f;
}

/** One vocabulary for the process: word facts do not depend on who asks. */
export const vocabulary = new Vocabulary();
