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
 * A word's record in `Vocabulary.table`, Info.SIZE Int32 fields: the hash-table slot holds the record
 * itself, so a lookup's hit and everything the extractor then reads or writes for the word (flags,
 * stamps) share one cache line, the one the probe already loaded.
 */
export const enum Info {
  H = 0,
  H2 = 1,
  LEN = 2,
  FLAGS = 3,
  /**
   * The extractor's per-measurement marks (see TraitExtractor): equal to the current measurement's
   * serial means "already counted as a distinct word"; equal to the current partner serial means "in
   * the partner's last turn". Kept here rather than in arrays by id so that a word costs one random
   * memory access instead of four.
   */
  TYPE_STAMP = 4,
  PARTNER_STAMP = 5,
  /** id + 1; 0 marks an empty slot. */
  ID = 6,
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values -- log2(SIZE), equal to FLAGS by coincidence
  SHIFT = 3,
  SIZE = 1 << 3,
}

/**
 * An open-addressing hash table of words keyed by FNV-1a hashes. The extractor hashes each word while
 * scanning its characters and looks it up by span (text, start, end) without slicing or lowercasing:
 * a hit, the common case, allocates nothing and reads one cache line.
 *
 * The table grows with the vocabulary instead of starting at a size for a hundred thousand words, to
 * keep the probes' memory reads few and cached. Records move when it grows; ids do not.
 */
class Vocabulary {
  private words: string[] = [];
  /** Records (Info) in open-addressing slots; read it again after any lookup that may have inserted. */
  table: Int32Array = new Int32Array(Info.SIZE << 13);
  /** Per id, the offset of its record in `table`. */
  private recordOf = new Int32Array(1 << 12);
  /**
   * Serials for the stamps, shared by every extractor: a measurement runs synchronously from start to
   * end, so two never interleave. Stamps are Int32; at the end of the range all are cleared.
   */
  private serial = 0;

  get size(): number {
    return this.words.length;
  }

  /** The word with this id. */
  word(id: number): string {
    return this.words[id];
  }

  /** Offset in `table` of the record of the word with this id. */
  record(id: number): number {
    return this.recordOf[id];
  }

  /** Word-list flags (lexicon.ts W, plus V) of a word by id. */
  flagsById(id: number): number {
    return this.table[this.recordOf[id] + Info.FLAGS];
  }

  /** A serial no stamp holds yet (for a measurement, or for a partner turn). */
  nextSerial(): number {
    if (this.serial === 0x7fffffff) {
      for (let at = 0; at < this.table.length; at += Info.SIZE) {
        this.table[at + Info.TYPE_STAMP] = 0;
        this.table[at + Info.PARTNER_STAMP] = 0;
      }
      this.serial = 0;
    }
    return ++this.serial;
  }

  /** Adds V bits to a word's flags. */
  addFlags(id: number, bits: number): void {
    this.table[this.recordOf[id] + Info.FLAGS] |= bits;
  }

  /** Id of `lower` (a lowercase word, straight apostrophes), interning it; -1 once the vocabulary is full. */
  idOf(lower: string): number {
    let h = HASH_SEED;
    for (let i = 0; i < lower.length; i++) h = hashStep(h, lower.charCodeAt(i));
    // Not-ASCII words only ever come through here, so their second hash is never read.
    const table = this.table;
    const mask = (table.length >> Info.SHIFT) - 1;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const at = idx << Info.SHIFT;
      const id = table[at + Info.ID] - 1;
      if (id < 0) {
        const inserted = this.insert(lower, h, at);
        return inserted < 0 ? -1 : this.words.length - 1;
      }
      if (table[at + Info.H] === h && this.words[id] === lower) return id;
    }
  }

  /**
   * Record offset in `table` (see Info; the id is at Info.ID) of the ASCII word text[s, e) folded to
   * lowercase (’ read as '), given its folded hashes: `h` (FNV-1a, hashStep) and `h2` (hashStep2);
   * -1 once the vocabulary is full. A hit is decided by both 32-bit hashes and the length instead of a
   * character compare: a false match needs a 64-bit collision (~1e-14 per lookup at a million words),
   * and skipping the compare saved a tenth of the scoring time.
   */
  recordOfSpan(text: string, s: number, e: number, h: number, h2: number): number {
    const table = this.table;
    const mask = (table.length >> Info.SHIFT) - 1;
    const len = e - s;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const at = idx << Info.SHIFT;
      if (table[at + Info.ID] === 0) return this.insert(foldAscii(text, s, e), h, at);
      if (table[at + Info.H] === h && table[at + Info.H2] === h2 && table[at + Info.LEN] === len) return at;
    }
  }

  /** Interns `lower` in the empty slot at `at`; returns its record offset (after any growth), or -1. */
  private insert(lower: string, h: number, at: number): number {
    if (this.words.length >= MAX_WORDS) return -1;
    const id = this.words.length;
    if (id >= this.recordOf.length) {
      const recordOf = new Int32Array(this.recordOf.length * 2);
      recordOf.set(this.recordOf);
      this.recordOf = recordOf;
    }
    this.words.push(lower);
    let h2 = HASH2_SEED;
    for (let i = 0; i < lower.length; i++) h2 = hashStep2(h2, lower.charCodeAt(i));
    const table = this.table;
    table[at + Info.H] = h;
    table[at + Info.H2] = h2;
    table[at + Info.LEN] = lower.length;
    table[at + Info.FLAGS] = factsOf(lower);
    table[at + Info.ID] = id + 1;
    this.recordOf[id] = at;
    // Keep the load factor under 1/2 so probe runs stay short.
    if (this.words.length * 2 > table.length >> Info.SHIFT) this.rehash();
    return this.recordOf[id];
  }

  private rehash(): void {
    const old = this.table;
    const table = new Int32Array(old.length * 2);
    const mask = (table.length >> Info.SHIFT) - 1;
    for (let from = 0; from < old.length; from += Info.SIZE) {
      const id = old[from + Info.ID] - 1;
      if (id < 0) continue;
      let idx = old[from + Info.H] & mask;
      while (table[(idx << Info.SHIFT) + Info.ID] !== 0) idx = (idx + 1) & mask;
      const at = idx << Info.SHIFT;
      table.set(old.subarray(from, from + Info.SIZE), at);
      this.recordOf[id] = at;
    }
    this.table = table;
  }

  /** Word-list flags of a word with id `id` (or of `lower` directly when the vocabulary is full). */
  flagsOf(id: number, lower: string): number {
    return id >= 0 ? this.flagsById(id) : factsOf(lower);
  }

  /** Spelling verdict, computed on first need: most words never need it (they are in a word list). */
  spelledRight(id: number, lower: string): boolean {
    if (id < 0) return isKnownWord(lower);
    const f = this.flagsById(id);
    if (f & V.spellChecked) return (f & V.spelledRight) !== 0;
    const known = isKnownWord(lower);
    this.addFlags(id, V.spellChecked | (known ? V.spelledRight : 0));
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
