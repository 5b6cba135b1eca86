/**
 * Interns words seen by the trait extractor: one hash-table probe per word gives an integer id, and
 * every per-word fact (word-list flags, spelling verdict) is an array read by id after that. String
 * slicing, lowercasing and Map lookups dominated the extractor's profile before this; ids also let the
 * extractor count distinct words and match phrases with integer compares.
 */
import { W, WORD_FLAGS } from './lexicon';
import { isKnownWord } from './spelling';

/**
 * Flags beyond the word lists (lexicon.ts uses bits 0-14). Each is a fact of the word's lowercase text,
 * so it can be computed once per word instead of once per occurrence; some are set by the extractor.
 */
export const enum V {
  // The extractor's typo verdict for the word as written: for "x's", the stem's spelling (set by it).
  typoChecked = 1 << 15,
  typoKnown = 1 << 16,
  /** Starts with "i'" (i'm, i'll): the pronoun, not a proper noun, when capitalized. */
  startsWithIApostrophe = 1 << 17,
  laughLike = 1 << 20, // hahaha, hehehe, lmaooo: laughter spelled in ways no list can enumerate
  spellChecked = 1 << 21,
  spelledRight = 1 << 22,
  // The word's shape, for ASCII words (lowercase a-z, digits, '): the extractor reads these instead of
  // tracking them character by character. Meaningless for other words, which it inspects itself.
  hasLetter = 1 << 23,
  hasDigit = 1 << 24,
  apostrophe = 1 << 25,
  /** A letter three or more times in a row ("sooo"), runs broken by digits and apostrophes. */
  elongated = 1 << 26,
  // Set by the extractor's phrase index: first word of a one-word phrase entry, first word of a longer
  // phrase, second word of a longer phrase.
  phraseSingle = 1 << 27,
  phraseFirst = 1 << 28,
  phraseSecond = 1 << 29,
}

const LAUGH_PREFIXES = ['haha', 'hehe', 'lmao', 'lool', 'ahah', 'bahah', 'hahh'];

/** Past this many distinct words new words are not cached (their facts are recomputed each time). */
const MAX_WORDS = 2_000_000;

/**
 * The word hashes' constants. A const enum, like the flags above and the record layout below, so the
 * extractor's loops see literals (as members of an imported object they cost loads per character in
 * the CommonJS build), and write the steps out inline.
 */
export const enum Hash {
  /** FNV-1a over (already folded) UTF-16 code units: h = imul(h ^ code, PRIME). */
  SEED = 0x811c9dc5 | 0,
  PRIME = 16777619,
  /** A second, independent hash (multiply-add with another odd constant): h2 = (imul(h2, MUL2) + code) | 0. */
  SEED2 = 0x2545f491 | 0,
  MUL2 = 0x5bd1e995,
}

export function hashStep(h: number, code: number): number {
  return Math.imul(h ^ code, Hash.PRIME);
}
export const HASH_SEED: number = Hash.SEED;

export function hashStep2(h: number, code: number): number {
  return (Math.imul(h, Hash.MUL2) + code) | 0;
}
export const HASH2_SEED: number = Hash.SEED2;

/**
 * Per-id record in `Vocabulary.info`, Info.SIZE Int32 fields at id << Info.SHIFT: a lookup's hit and
 * everything the extractor then reads or writes for the word (flags, stamps) share one cache line.
 */
export const enum Info {
  H = 0,
  H2 = 1,
  LEN = 2,
  FLAGS = 3,/**
 * The extractor's per-measurement marks (see TraitExtractor): equal to the current measurement's serial
 * means "already counted as a distinct word"; equal to the current partner serial means "in the
 * partner's last turn". They live here rather than in arrays of the extractor's own so that a word costs
 * one random memory access instead of three.
 */
  TYPE_STAMP = 4,
  PARTNER_STAMP = 5,
  SHIFT = 3,
  SIZE = 1 << 3,
}

/**
 * An open-addressing hash table of words keyed by FNV-1a hashes. The extractor hashes each word while
 * scanning its characters and looks it up by span (text, start, end) without slicing or lowercasing:
 * a hit, the common case, allocates nothing.
 *
 * A lookup reads one slot and one `info` record (hashes, length and flags side by side), and the slot
 * table grows with the vocabulary instead of starting at a size for a hundred thousand words: both to
 * keep the probe's memory reads few and cached.
 */
class Vocabulary {
  private words: string[] = [];
  /** Per id, at id << Info.SHIFT: Info.H, Info.H2, Info.LEN, Info.FLAGS, the stamps. */
  info: Int32Array = new Int32Array(Info.SIZE << 12);
  /**
   * Serials for the stamps, shared by every extractor: a measurement runs synchronously from start to
   * end, so two never interleave. Stamps are Int32; at the end of the range all are cleared.
   */
  private serial = 0;
  private slots = new Int32Array(1 << 13); // id + 1; 0 = empty

  get size(): number {
    return this.words.length;
  }

  /** The word with this id. */
  word(id: number): string {
    return this.words[id];
  }

  /** Word-list flags (lexicon.ts W, plus V) of a word by id. */
  flagsById(id: number): number {
    return this.info[(id << Info.SHIFT) + Info.FLAGS];
  }

  /** A serial no stamp holds yet (for a measurement, or for a partner turn). */
  nextSerial(): number {
    if (this.serial === 0x7fffffff) {
      for (let at = 0; at < this.info.length; at += Info.SIZE) {
        this.info[at + Info.TYPE_STAMP] = 0;
        this.info[at + Info.PARTNER_STAMP] = 0;
      }
      this.serial = 0;
    }
    return ++this.serial;
  }

  /** Adds V bits to a word's flags. */
  addFlags(id: number, bits: number): void {
    this.info[(id << Info.SHIFT) + Info.FLAGS] |= bits;
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
      if (this.info[id << Info.SHIFT] === h && this.words[id] === lower) return id;
    }
  }

  /**
   * Id of the ASCII word text[s, e) folded to lowercase (’ read as '), given its folded hashes: `h`
   * (FNV-1a, hashStep) and `h2` (hashStep2). A hit is decided by both 32-bit hashes and the length
   * instead of a character compare: a false match needs a 64-bit collision (~1e-14 per lookup at a
   * million words), and skipping the compare saved a tenth of the scoring time.
   */
  idOfSpan(text: string, s: number, e: number, h: number, h2: number): number {
    const slots = this.slots;
    const info = this.info;
    const mask = slots.length - 1;
    const len = e - s;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const id = slots[idx] - 1;
      if (id < 0) return this.insert(foldAscii(text, s, e), h, idx);
      const at = id << Info.SHIFT;
      if (info[at + Info.H] === h && info[at + Info.H2] === h2 && info[at + Info.LEN] === len) return id;
    }
  }

  private insert(lower: string, h: number, idx: number): number {
    if (this.words.length >= MAX_WORDS) return -1;
    const id = this.words.length;
    if ((id + 1) << Info.SHIFT > this.info.length) {
      const info = new Int32Array(this.info.length * 2);
      info.set(this.info);
      this.info = info;
    }
    this.words.push(lower);
    let h2 = HASH2_SEED;
    for (let i = 0; i < lower.length; i++) h2 = hashStep2(h2, lower.charCodeAt(i));
    const at = id << Info.SHIFT;
    this.info[at + Info.H] = h;
    this.info[at + Info.H2] = h2;
    this.info[at + Info.LEN] = lower.length;
    this.info[at + Info.FLAGS] = factsOf(lower);
    this.slots[idx] = id + 1;
    // Keep the load factor under 1/2 so probe runs stay short.
    if (this.words.length * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.words.length; id++) {
      let idx = this.info[id << Info.SHIFT] & mask;
      while (slots[idx] !== 0) idx = (idx + 1) & mask;
      slots[idx] = id + 1;
    }
    this.slots = slots;
  }

  /** Word-list flags of a word with id `id` (or of `lower` directly when the vocabulary is full). */
  flagsOf(id: number, lower: string): number {
    return id >= 0 ? this.flagsById(id) : factsOf(lower);
  }

  /** Spelling verdict, computed on first need: most words never need it (they are in a word list). */
  spelledRight(id: number, lower: string): boolean {
    if (id < 0) return isKnownWord(lower);
    const at = (id << Info.SHIFT) + Info.FLAGS;
    const f = this.info[at];
    if (f & V.spellChecked) return (f & V.spelledRight) !== 0;
    const known = isKnownWord(lower);
    this.info[at] = f | V.spellChecked | (known ? V.spelledRight : 0);
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

function factsOf(lower: string): number {
  let f = WORD_FLAGS.get(lower) ?? 0;
  if (!(f & W.laugh) && lower.length >= 4) {
    for (const p of LAUGH_PREFIXES) if (lower.startsWith(p)) f |= V.laughLike;
  }
  return f | shapeOf(lower);
}

function shapeOf(lower: string): number {
  let f = lower.startsWith("i'") ? V.startsWithIApostrophe : 0;
  let run = 0;
  let prev = -1;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      f |= V.hasLetter;
      run = c === prev ? run + 1 : 1;
      if (run >= 3) f |= V.elongated;
      prev = c;
    } else {
      if (c >= 48 && c <= 57) f |= V.hasDigit;
      else if (c === 39) f |= V.apostrophe;
      prev = -1;
    }
  }
  return f;
}

/** One vocabulary for the process: word facts do not depend on who asks. */
export const vocabulary = new Vocabulary();
