/**
 * The trait scanner: TraitExtractor measures the catalog on a conversation in one pass over each turn's
 * characters (scanTurn, the hot loop), with the partner's last turn as context (scanPartner) and phrase
 * hits matched after each turn (matchPhrases). Its helpers: lexing.ts (character classes), phraseIndex.ts
 * (the phrase index). extract.ts is the entry point (a shared, warmed-up extractor).
 */
import type { Message, Turns } from '../types';
import { TRAITS, type TraitId } from './catalog';
import { Counters } from './counters';
import { W } from './lexicon';
import { codeAt, emoticonAt, isDigit, isLetter, isSpace, isUpper, isWordChar, lastNonSpace, markdownLineStart, nextNonSpace, SHAPE_LOWER, SHAPE_UPPER, shapeOfSpan } from './lexing';
import { longerPhrases, PHRASE_TRAIT_ID, PHRASES_BY_FIRST_ID } from './phraseIndex';
import { Hash, Info, V, vocabulary } from './vocabulary';

/** Why a trait fired: a character range [start, end) in `messages[turn].content`. */
export interface Evidence {
  turn: number;
  start: number;
  end: number;
  trait: TraitId;
}

export interface Measurement {
  /** Trait values in catalog order (TRAITS), each clamped to its range. */
  values: Float64Array;
  /** Turns of the measured role; 0 means the values are all 0 and carry no information. */
  turns: number;
  evidence?: Evidence[];
}

export interface MeasureOptions {
  /** Whose turns to measure; everyone else but `system` is the partner. Default `assistant`. */
  role?: string;
  /** Collect evidence spans (slower; for the UI, not for bulk scoring). */
  evidence?: boolean;
}

const TERSE_MAX_WORDS = 3;
const LONG_MIN_WORDS = 61;

const enum Last {
  None,
  Word,
  Terminal, // . ! ? … or an emoji/emoticon
  Other,
}

/** Reusable measuring state; one per thread of work. Not reentrant. */
export class TraitExtractor {
  private c = new Counters();
  // Per-turn word buffers for phrase matching (vocabulary ids and character offsets), reused.
  private wid = new Int32Array(256);
  private ws = new Int32Array(256);
  private we = new Int32Array(256);
  /** Positions (word indexes) where a phrase may start: see scanTurn. */
  private pk = new Int32Array(256);
  // Distinct-word counting and partner-word lookup by vocabulary id: a word's stamp (in its vocabulary
  // record) equal to `serial` means "seen in this measurement", to `partnerSerial` "in the partner's
  // last turn".
  private serial = 0;
  private partnerSerial = 0;
  /** Per phrase trait, the last word of the last counted match in the current turn. */
  private readonly phraseEnd = new Int32Array(Object.keys(PHRASE_TRAIT_ID).length);
  /** Per phrase trait, hits in the current turn. */
  private readonly phraseHits = new Int32Array(Object.keys(PHRASE_TRAIT_ID).length);
  private evidence: Evidence[] | undefined;

  measureDialogue(messages: readonly Message[], opts: MeasureOptions = {}): Measurement {
    this.scanDialogue(messages, opts.role ?? 'assistant', opts.evidence);
    return this.finish();
  }

  /**
   * One side of a TRL pair. Only the response is measured; the prompt's last message from someone other
   * than `role` is the partner's context (a conversational prompt may hold earlier assistant turns, which
   * belong to neither side).
   */
  measureResponse(response: Turns, prompt?: Turns, opts: MeasureOptions = {}): Measurement {
    this.scanResponse(response, prompt, opts.role ?? 'assistant', opts.evidence);
    return this.finish();
  }

  /**
   * measureDialogue without evidence, writing the values to `out[offset, offset + TRAITS.length)`
   * instead of a new array; returns the turns measured. For bulk scoring: allocating a small
   * Float64Array costs more than measuring a short reply.
   */
  measureDialogueInto(out: Float64Array, offset: number, messages: readonly Message[], role = 'assistant'): number {
    this.scanDialogue(messages, role, false);
    return this.finishInto(out, offset);
  }

  /** measureResponse, writing into `out` like measureDialogueInto. */
  measureResponseInto(out: Float64Array, offset: number, response: Turns, prompt: Turns | undefined, role = 'assistant'): number {
    this.scanResponse(response, prompt, role, false);
    return this.finishInto(out, offset);
  }

  private scanDialogue(messages: readonly Message[], role: string, evidence: boolean | undefined): void {
    this.begin(evidence);
    let partner = false;
    for (let t = 0; t < messages.length; t++) {
      const m = messages[t];
      if (m.role === role) this.scanTurn(m.content, t, partner);
      else if (m.role !== 'system') partner = this.scanPartner(m.content);
    }
  }

  private scanResponse(response: Turns, prompt: Turns | undefined, role: string, evidence: boolean | undefined): void {
    this.begin(evidence);
    let partner = false;
    if (typeof prompt === 'string') partner = this.scanPartner(prompt);
    else if (prompt !== undefined) {
      for (let t = prompt.length - 1; t >= 0; t--) {
        if (prompt[t].role !== role && prompt[t].role !== 'system') {
          partner = this.scanPartner(prompt[t].content);
          break;
        }
      }
    }
    if (typeof response === 'string') this.scanTurn(response, 0, partner);
    else {
      for (let t = 0; t < response.length; t++) {
        const m = response[t];
        if (m.role === role) this.scanTurn(m.content, t, partner);
        else if (m.role !== 'system') partner = this.scanPartner(m.content);
      }
    }
  }

  /** One measurement per turn of `role`, each with the conversation so far as context. */
  measurePerTurn(messages: readonly Message[], opts: MeasureOptions = {}): { turn: number; measurement: Measurement }[] {
    const role = opts.role ?? 'assistant';
    const out: { turn: number; measurement: Measurement }[] = [];
    let lastPartner: Message | undefined;
    for (let t = 0; t < messages.length; t++) {
      const m = messages[t];
      if (m.role === role) {
        const measurement = this.measureDialogue(lastPartner ? [lastPartner, m] : [m], opts);
        if (measurement.evidence) for (const e of measurement.evidence) e.turn = t;
        out.push({ turn: t, measurement });
      } else if (m.role !== 'system') lastPartner = m;
    }
    return out;
  }

  private begin(evidence: boolean | undefined): void {
    this.c = new Counters();
    this.serial = vocabulary.nextSerial();
    // Partner stamps are read only after scanPartner (which takes a fresh serial) ran in this measurement.
    this.evidence = evidence ? [] : undefined;
  }

  private finish(): Measurement {
    const values = new Float64Array(TRAITS.length);
    const turns = this.finishInto(values, 0);
    return { values, turns, evidence: this.evidence };
  }

  private finishInto(out: Float64Array, offset: number): number {
    const c = this.c;
    // Nothing said by the role: all zeros, whatever the partner said.
    if (c.turns === 0) {
      out.fill(0, offset, offset + TRAITS.length);
      return 0;
    }
    for (let k = 0; k < TRAITS.length; k++) {
      const v = TRAITS[k].compute(c);
      const lo = RANGE_LO[k];
      const hi = RANGE_HI[k];
      out[offset + k] = v < lo ? lo : v > hi ? hi : v;
    }
    return c.turns;
  }

  private mark(turn: number, start: number, end: number, trait: TraitId): void {
    this.evidence!.push({ turn, start, end, trait });
  }

  /** Partner turns give context only: their length and their content words. Returns true. */
  private scanPartner(text: string): true {
    const c = this.c;
    const serial = (this.partnerSerial = vocabulary.nextSerial());
    let words = 0;
    let slang = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (!isWordChar(ch)) {
        i++;
        continue;
      }
      const s = i;
      // Hashed like the extractor's ASCII words, so a pure-ASCII word (String#toLowerCase is then ASCII
      // folding) is looked up by span; any other word keeps the slice-and-lowercase lookup.
      let h = Hash.SEED;
      let h2 = Hash.SEED2;
      let ascii = true;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d < 128) {
          let f = d | 32;
          if (f >= 97 && f <= 122) {
            // letter: folded already
          } else if (d >= 48 && d <= 57) f = d;
          else break;
          h = Math.imul(h ^ f, Hash.PRIME);
          h2 = (Math.imul(h2, Hash.MUL2) + f) | 0;
        } else if (isLetter(d)) ascii = false;
        else break;
      }
      if (words === 0 && isLetter(ch) && !isUpper(ch)) c.partnerLowerTurns++;
      words++;
      let at: number;
      if (ascii) at = vocabulary.recordOfSpan(text, s, i, h, h2);
      else {
        const id = vocabulary.idOf(text.slice(s, i).toLowerCase());
        at = id < 0 ? -1 : vocabulary.record(id);
      }
      if (at < 0) continue;
      const table = vocabulary.table;
      const f = table[at + Info.FLAGS];
      if (f & W.slang) slang++;
      if (i - s >= 3 && !(f & W.stop)) table[at + Info.PARTNER_STAMP] = serial;
    }
    c.partnerSlang += slang;
    c.partnerTurns++;
    c.partnerWords += words;
    return true;
  }

  /*
   * Hot path. State lives in locals, not in closures (captured variables would live in a heap context)
   * nor in `this.c` (the counters touched by every word are summed locally and added at the end).
   */
  private scanTurn(text: string, turn: number, partner: boolean): void {
    const c = this.c;
    const ev = this.evidence !== undefined;
    const n = text.length;
    // A turn has at most one word per two characters: size the buffers once.
    if (this.wid.length < n / 2 + 2) {
      const size = Math.ceil(n / 2) + 2;
      this.wid = new Int32Array(size);
      this.ws = new Int32Array(size);
      this.we = new Int32Array(size);
      this.pk = new Int32Array(size);
    }
    const wid = this.wid;
    const ws = this.ws;
    const we = this.we;
    const serial = this.serial;
    const partnerSerial = this.partnerSerial;
    const wordsBefore = c.words;
    let nw = 0; // words in this turn
    let letters = 0;
    let types = 0;
    let sentences = 0;
    let sentenceWordsSq = 0;
    let contentWords = 0;
    let parrotedWords = 0;
    let commas = 0;
    let sentenceWords = 0;
    let atSentenceStart = true;
    let lineStart = true; // also: the line has no content yet
    let lineMarkdown = false;
    let last = Last.None;
    let hasQuestionMark = false;
    let buildsOn = false;
    const pk = this.pk;
    let np = 0;
    let prevFlags = 0;
    let i = 0;

    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch === 32) {
        i++;
        continue;
      }
      if (lineStart && !isSpace(ch)) {
        lineStart = false;
        if (markdownLineStart(text, i)) {
          lineMarkdown = true;
          if (ev) this.mark(turn, i, i + 1, 'markdown');
        }
      }

      if (isWordChar(ch)) {
        // ---- a word: letters, digits and inner apostrophes ----
        // The loop only finds the word's end, hashes it and notes its case; the rest of its shape
        // (digits, apostrophe, elongation) is a fact of the lowercase word, kept in the vocabulary.
        const s = i;
        let hasUpperCh = false;
        let allUpper = true;
        let nonAscii = false;
        let h = Hash.SEED;
        let h2 = Hash.SEED2;
        while (i < n) {
          let d = text.charCodeAt(i);
          if (d >= 97 && d <= 122) allUpper = false;
          else if (d >= 65 && d <= 90) {
            hasUpperCh = true;
            d |= 32;
          } else if (d >= 48 && d <= 57) {
            // a digit
          } else if (d === 39 || d === 0x2019) {
            if (!(i + 1 < n && isLetter(text.charCodeAt(i + 1)))) break;
            d = 39;
          } else if (d > 127 && isLetter(d)) nonAscii = true;
          else break;
          h = Math.imul(h ^ d, Hash.PRIME); // vocabulary.ts: hashStep, hashStep2
          h2 = (Math.imul(h2, Hash.MUL2) + d) | 0;
          i++;
        }
        const e = i;
        const len = e - s;
        // The word's vocabulary record (`at` in `table`, which a new word may have reallocated), or -1.
        let at: number;
        let id: number;
        if (!nonAscii) {
          // ASCII words (the vast majority) are looked up by span without allocating a string.
          at = vocabulary.recordOfSpan(text, s, e, h, h2);
        } else {
          const wordId = vocabulary.idOf(text.slice(s, e).toLowerCase().replace(/\u2019/g, "'"));
          at = wordId < 0 ? -1 : vocabulary.record(wordId);
        }
        const table = vocabulary.table;
        let flags: number;
        if (at >= 0) {
          id = table[at + Info.ID] - 1;
          flags = table[at + Info.FLAGS];
        } else {
          id = -1;
          flags = vocabulary.flagsOf(id, wordText(id, text, s, e));
        }
        let shape = flags;
        if (nonAscii) {
          shape = shapeOfSpan(text, s, e);
          hasUpperCh = (shape & SHAPE_UPPER) !== 0;
          allUpper = (shape & SHAPE_LOWER) === 0;
        }
        const hasLetterCh = (shape & V.hasLetter) !== 0;
        const hasDigitCh = (shape & V.hasDigit) !== 0;
        const apostrophe = (shape & V.apostrophe) !== 0;
        const elongated = (shape & V.elongated) !== 0;
        const isI = id === ID_I;

        letters += len;
        sentenceWords++;
        if (at < 0) types++;
        else if (table[at + Info.TYPE_STAMP] !== serial) {
          table[at + Info.TYPE_STAMP] = serial;
          types++;
        }
        wid[nw] = id;
        ws[nw] = s;
        we[nw] = e;
        nw++;
        // The previous word may start a phrase: it has one-word entries, or this word can be the second
        // of its longer ones. matchPhrases looks at these positions only (a third of all words start
        // some phrase, far fewer can match one).
        if ((prevFlags & V.phraseSingle) !== 0 || ((prevFlags & V.phraseFirst) !== 0 && (flags & V.phraseSecond) !== 0)) pk[np++] = nw - 2;
        prevFlags = flags;

        const sentenceInitial = atSentenceStart;
        if (hasUpperCh) {
          if (allUpper && len >= 2) {
            c.allCaps++;
            if (ev) this.mark(turn, s, e, 'all_caps');
          } else if (!sentenceInitial && isUpper(ch) && !isI && (flags & V.startsWithIApostrophe) === 0) {
            c.properNouns++;
            if (ev) this.mark(turn, s, e, 'proper_nouns');
          }
        }
        if (atSentenceStart) {
          atSentenceStart = false;
          if (hasLetterCh && isLetter(ch)) {
            c.sentenceStarts++;
            if (!isUpper(ch)) {
              c.lowerStarts++;
              if (ev) this.mark(turn, s, s + 1, 'lowercase');
            }
          }
        }
        if (isI) {
          c.pronounI++;
          if (ch === 105) {
            c.lowerI++;
            if (ev) this.mark(turn, s, e, 'lowercase');
          }
        }
        if (hasDigitCh) {
          c.numbers++;
          if (ev) this.mark(turn, s, e, 'numbers');
        }
        if (elongated) {
          c.elongations++;
          if (ev) this.mark(turn, s, e, 'elongation');
        }
        if (apostrophe) {
          c.contractions++;
          if (ev) this.mark(turn, s, e, 'contractions');
        }
        if (partner && len >= 3 && id >= 0 && !(flags & W.stop)) {
          contentWords++;
          if (table[at + Info.PARTNER_STAMP] === partnerSerial) {
            parrotedWords++;
            if (!buildsOn) {
              buildsOn = true;
              if (ev) this.mark(turn, s, e, 'builds_on_partner');
            }
          }
        }

        if ((flags & WORD_LIST_BITS) !== 0) {
          this.countListWord(flags, turn, s, e);
        } else if (hasLetterCh && !hasDigitCh && len >= 3 && !(hasUpperCh && (!sentenceInitial || allUpper))) {
          // Capitalized mid-sentence words are names and all-caps words acronyms: not typos.
          if (flags & V.laughLike) {
            c.laugh++;
            if (ev) this.mark(turn, s, e, 'laughter');
          } else if (!elongated) {
            // The verdict (of the word, or of its stem for "'s" words) is kept in the word's flags: after
            // the first time no string is needed.
            let known: boolean;
            if ((flags & V.typoChecked) !== 0) known = (flags & V.typoKnown) !== 0;
            else {
              const lower = wordText(id, text, s, e);
              const stem = apostrophe && lower.endsWith("'s") ? lower.slice(0, -2) : lower;
              known = vocabulary.spelledRight(stem === lower ? id : vocabulary.idOf(stem), stem);
              if (id >= 0) vocabulary.addFlags(id, V.typoChecked | (known ? V.typoKnown : 0));
            }
            if (!known) {
              c.typos++;
              if (ev) this.mark(turn, s, e, 'typos');
            }
          }
        }
        last = Last.Word;
        continue;
      }

      // ---- everything that is not a word character ----
      if (ch === 10) {
        // A blank line between paragraphs: "\n\n" possibly with spaces or \r in between.
        let j = i + 1;
        while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 13 || text.charCodeAt(j) === 9)) j++;
        if (j < n && text.charCodeAt(j) === 10 && wordsBefore + nw > 0) c.paragraphBreaks++;
        // end of sentence
        if (sentenceWords > 0) {
          sentences++;
          sentenceWordsSq += sentenceWords * sentenceWords;
          sentenceWords = 0;
        }
        atSentenceStart = true;
        // end of line
        if (!lineStart) {
          c.lines++;
          if (lineMarkdown) c.markdownLines++;
        }
        lineStart = true;
        lineMarkdown = false;
        i++;
        continue;
      }
      if (isSpace(ch)) {
        i++;
        continue;
      }
      if (ch === 46 /* . */ || ch === 0x2026 /* … */) {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 46 || text.charCodeAt(j) === 0x2026)) j++;
        if (ch === 0x2026 || j - i >= 3) {
          c.expressivePunct++;
          if (ev) this.mark(turn, i, j, 'expressive_punctuation');
        }
        // "3.5" and "e.g" do not end sentences
        const nextCh = codeAt(text, j);
        if (!(j - i === 1 && (isDigit(nextCh) || isLetter(nextCh)))) {
          if (sentenceWords > 0) {
            sentences++;
            sentenceWordsSq += sentenceWords * sentenceWords;
            sentenceWords = 0;
          }
          atSentenceStart = true;
        }
        last = Last.Terminal;
        i = j;
        continue;
      }
      if (ch === 44 /* , */) {
        commas++;
        if (ev) this.mark(turn, i, i + 1, 'commas');
        last = Last.Other;
        i++;
        continue;
      }
      if (ch === 33 /* ! */ || ch === 63 /* ? */) {
        let j = i;
        while (j < n && (text.charCodeAt(j) === 33 || text.charCodeAt(j) === 63)) j++;
        let bangs = 0;
        for (let k = i; k < j; k++) {
          if (text.charCodeAt(k) === 33) bangs++;
          else {
            hasQuestionMark = true;
            if (ev) this.mark(turn, k, k + 1, 'questions');
          }
        }
        if (bangs > 0) {
          c.exclamations += bangs > 3 ? 3 : bangs;
          if (ev) this.mark(turn, i, j, 'exclamation');
        }
        if (j - i >= 2) {
          c.expressivePunct++;
          if (ev) this.mark(turn, i, j, 'expressive_punctuation');
        }
        if (sentenceWords > 0) {
          sentences++;
          sentenceWordsSq += sentenceWords * sentenceWords;
          sentenceWords = 0;
        }
        atSentenceStart = true;
        last = Last.Terminal;
        i = j;
        continue;
      }
      if (ch === 0x2014 /* — */) {
        c.emDashes++;
        if (ev) this.mark(turn, i, i + 1, 'em_dash');
        last = Last.Other;
        i++;
        continue;
      }
      if (ch === 42 /* * */ && codeAt(text, i + 1) === 42) {
        lineMarkdown = true;
        if (ev) this.mark(turn, i, i + 2, 'markdown');
        i += 2;
        continue;
      }
      const emoticon = emoticonAt(text, i);
      if (emoticon > 0) {
        c.emojis++;
        if (ev) this.mark(turn, i, i + emoticon, 'emoji');
        last = Last.Terminal;
        i += emoticon;
        continue;
      }
      if (ch >= 0xd83c && ch <= 0xd83e && i + 1 < n) {
        // Astral-plane pictographs. Skin-tone modifiers and the parts of ZWJ sequences are one emoji.
        const low = text.charCodeAt(i + 1);
        const modifier = ch === 0xd83c && low >= 0xdffb && low <= 0xdfff;
        if (!modifier && codeAt(text, i - 1) !== 0x200d) {
          c.emojis++;
          if (ev) this.mark(turn, i, i + 2, 'emoji');
        }
        last = Last.Terminal;
        i += 2;
        continue;
      }
      if ((ch >= 0x2600 && ch <= 0x27bf) || (ch >= 0x2b50 && ch <= 0x2b55)) {
        if (codeAt(text, i - 1) !== 0x200d) {
          c.emojis++;
          if (ev) this.mark(turn, i, i + 1, 'emoji');
        }
        last = Last.Terminal;
        i++;
        continue;
      }
      // Closing quotes, brackets and selectors keep the previous terminal state ("Fine." / (ok!) / ❤️).
      if (!(ch === 34 || ch === 39 || ch === 41 || ch === 93 || ch === 0x201d || ch === 0x2019 || ch === 0xfe0f || ch === 0x200d || ch === 126)) last = Last.Other;
      i++;
    }
    if (sentenceWords > 0) {
      sentences++;
      sentenceWordsSq += sentenceWords * sentenceWords;
    }
    if (!lineStart) {
      c.lines++;
      if (lineMarkdown) c.markdownLines++;
    }
    c.words += nw;
    c.letters += letters;
    c.types += types;
    c.sentences += sentences;
    c.sentenceWordsSq += sentenceWordsSq;
    c.contentWords += contentWords;
    c.parrotedWords += parrotedWords;
    c.commas += commas;

    // ---- turn-level traits ----
    c.turns++;
    c.turnWordsSq += nw * nw;
    if (nw <= TERSE_MAX_WORDS) {
      c.terseTurns++;
      if (ev) this.mark(turn, 0, n, 'terse_turns');
    } else if (nw >= LONG_MIN_WORDS) {
      c.longTurns++;
      if (ev) this.mark(turn, 0, n, 'long_turns');
    }
    if (nw > 0 && last !== Last.Terminal) {
      c.unpunctuatedTurns++;
      if (ev) this.mark(turn, Math.max(0, lastNonSpace(text)), Math.max(0, lastNonSpace(text)) + 1, 'unpunctuated_turns');
    }
    if (partner) {
      c.turnsWithPartner++;
      if (buildsOn) c.buildsOnPartnerTurns++;
    }

    let asksWithoutMark = false;
    if (nw > 0 && !hasQuestionMark && wid[0] >= 0 && vocabulary.flagsById(wid[0]) & W.questionOpener && last !== Last.Terminal) asksWithoutMark = true;
    if ((prevFlags & V.phraseSingle) !== 0) pk[np++] = nw - 1;
    const questionBack = np > 0 ? this.matchPhrases(text, turn, nw, np) : false;
    if (hasQuestionMark || asksWithoutMark || questionBack) c.questionTurns++;
    if (questionBack) c.questionBackTurns++;
  }

  /** Counts a word that is on one or more of lexicon.ts's word lists. */
  private countListWord(flags: number, turn: number, s: number, e: number): void {
    const c = this.c;
    const ev = this.evidence !== undefined;
    if (flags & W.slang) {
      c.slang++;
      if (ev) this.mark(turn, s, e, 'slang');
    }
    if (flags & W.colloquial) {
      c.colloquial++;
      if (ev) this.mark(turn, s, e, 'colloquial');
    }
    if (flags & W.formal) {
      c.formal++;
      if (ev) this.mark(turn, s, e, 'formal_vocabulary');
    }
    if (flags & W.hedge) {
      c.hedgeWords++;
      if (ev) this.mark(turn, s, e, 'hedging');
    }
    if (flags & W.firstPerson) {
      c.firstPerson++;
      if (ev) this.mark(turn, s, e, 'first_person');
    }
    if (flags & W.secondPerson) {
      c.secondPerson++;
      if (ev) this.mark(turn, s, e, 'second_person');
    }
    if (flags & W.laugh) {
      c.laugh++;
      if (ev) this.mark(turn, s, e, 'laughter');
    }
    if (flags & W.interjection) {
      c.interjection++;
      if (ev) this.mark(turn, s, e, 'interjections');
    }
    if (flags & W.profanity) {
      c.profanity++;
      if (ev) this.mark(turn, s, e, 'profanity');
    }
    if (flags & W.notKnowing) {
      c.notKnowingWords++;
      if (ev) this.mark(turn, s, e, 'admits_not_knowing');
    }
    if (flags & W.droppedApostrophe) {
      c.droppedApostrophe++;
      if (ev) this.mark(turn, s, e, 'dropped_apostrophes');
    }
    if (flags & W.timeRef) {
      c.timeRef++;
      if (ev) this.mark(turn, s, e, 'recent_activity');
    }
  }

  /**
   * Phrase hits over the turn's word ids (wid/ws/we, nw words); returns whether the turn ends by
   * returning the question.
   */
  private matchPhrases(text: string, turn: number, nw: number, np: number): boolean {
    const ev = this.evidence !== undefined;
    const wid = this.wid;
    const ws = this.ws;
    const we = this.we;
    const hits = this.phraseHits.fill(0);
    const phraseEnd = this.phraseEnd.fill(-1);
    let questionBack = false;
    const pk = this.pk;
    for (let p = 0; p < np; p++) {
      const k = pk[p];
      const first = wid[k];
      const index = first >= 0 && first < PHRASES_BY_FIRST_ID.length ? PHRASES_BY_FIRST_ID[first] : undefined;
      if (index === undefined) continue;
      // Longer phrases (by their second word) before one-word ones, so the longest match is counted.
      const longer = k + 1 < nw && index.hasLonger ? longerPhrases(first, wid[k + 1]) : undefined;
      for (let pass = longer === undefined ? 1 : 0; pass < 2; pass++) {
        const entries = pass === 0 ? longer! : index.single;
        for (let q = 0; q < entries.length; q++) {
          const entry = entries[q];
          const rest = entry.restIds;
          const len = rest.length;
          if (k + len >= nw) continue;
          let ok = true;
          for (let r = 0; r < len; r++) {
            if (wid[k + 1 + r] !== rest[r]) {
              ok = false;
              break;
            }
          }
          if (!ok) continue;
          const endWord = k + len;
          if (entry.questionBack) {
            // Only at the end of the turn, or right before a question mark.
            const followedByQuestion = nextNonSpace(text, we[endWord]) === 63;
            if (entry.needsQuestionMark ? !followedByQuestion : !(endWord === nw - 1 || followedByQuestion)) continue;
            questionBack = true;
          }
          // A match inside one already counted for the same trait ("not sure" in "I'm not sure") is the same hit.
          const bit = entry.bit;
          if (k <= phraseEnd[bit]) continue;
          phraseEnd[bit] = endWord;
          hits[bit]++;
          if (ev) this.mark(turn, ws[k], we[endWord], entry.evidenceTrait);
        }
      }
    }
    // Named fields, in PHRASE_TRAIT_ID order: one keyed increment per hit would be a megamorphic access.
    const c = this.c;
    c.ai_meta += hits[0];
    c.assistant_phrasing += hits[1];
    c.hedging += hits[2];
    c.not_knowing += hits[3];
    c.empathy += hits[4];
    c.idioms += hits[5];
    c.personal_details += hits[6];
    c.recent_activity += hits[7];
    c.self_correction += hits[8];
    c.opinion += hits[9];
    c.question_back += hits[10];
    return questionBack;
  }
}

const ID_I = vocabulary.idOf('i');

const RANGE_LO = Float64Array.from(TRAITS, (t) => t.range[0]);
const RANGE_HI = Float64Array.from(TRAITS, (t) => t.range[1]);

/** A word's lowercase text; needed only off the hot path (and when the vocabulary is full). */
function wordText(id: number, text: string, s: number, e: number): string {
  return id >= 0 ? vocabulary.word(id) : text.slice(s, e).toLowerCase().replace(/\u2019/g, "'");
}

/** Bits of lexicon.ts's word lists that count toward a trait (excludes structural bits). */
const WORD_LIST_BITS =
  W.slang | W.colloquial | W.formal | W.hedge | W.firstPerson | W.secondPerson | W.laugh | W.interjection | W.profanity | W.notKnowing | W.droppedApostrophe | W.timeRef;
