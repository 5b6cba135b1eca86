/**
 * Measures the trait catalog on a conversation in one pass over each turn's characters.
 *
 *   measureDialogue(messages, { role: 'assistant', evidence: true })  -> values in catalog order + spans
 *   measureResponse(chosen, prompt)                                    -> the same for a TRL pair side
 *
 * Speed matters (the inspector scores 100k-line files while you scroll): no regular expressions in the
 * loop, one Map lookup per word for every word list at once, spelling verdicts memoized, and evidence
 * spans only collected when asked for.
 */
import type { Message, Turns } from '../types';
import { TRAITS, traitIndex } from './catalog';
import { Counters } from './counters';
import { PHRASES_BY_FIRST_WORD, W, type PhraseTrait } from './lexicon';
import { foldCode, HASH2_SEED, HASH_SEED, hashStep, hashStep2, V, vocabulary } from './vocabulary';

/** Why a trait fired: a character range [start, end) in `messages[turn].content`. */
export interface Evidence {
  turn: number;
  start: number;
  end: number;
  trait: string;
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

const PHRASE_TRAIT_ID: Record<PhraseTrait, string> = {
  ai_meta: 'ai_meta',
  assistant_phrasing: 'assistant_phrasing',
  hedging: 'hedging',
  not_knowing: 'admits_not_knowing',
  empathy: 'empathy',
  idioms: 'idioms',
  personal_details: 'personal_details',
  recent_activity: 'recent_activity',
  self_correction: 'self_correction',
  opinion: 'opinion',
  question_back: 'question_back',
};

const TERSE_MAX_WORDS = 3;
const LONG_MIN_WORDS = 61;

const enum Last {
  None,
  Word,
  Terminal, // . ! ? … or an emoji/emoticon
  Other,
}

function isLetter(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) ||
    (c >= 0x370 && c <= 0x1fff) ||
    (c >= 0x3040 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === 10 || c === 0xa0;
const isUpper = (c: number) => (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);

/** Emoticon such as :) ;-) :D :'( =P <3 starting at i; returns its length or 0. */
function emoticonAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 60 /* < */) return text.charCodeAt(i + 1) === 51 /* 3 */ ? 2 : 0;
  if (c !== 58 && c !== 59 && c !== 61) return 0; // : ; =
  if (i > 0 && isDigit(text.charCodeAt(i - 1))) return 0; // 10:30
  let j = i + 1;
  const m = text.charCodeAt(j);
  if (m === 45 || m === 39) j++; // - '
  const f = text.charCodeAt(j);
  // ) ( D P p O o / | 3 * ] [
  const face = f === 41 || f === 40 || f === 68 || f === 80 || f === 112 || f === 79 || f === 111 || f === 47 || f === 124 || f === 51 || f === 42 || f === 93 || f === 91;
  if (!face) return 0;
  const after = text.charCodeAt(j + 1);
  if (!Number.isNaN(after) && (isLetter(after) || isDigit(after))) return 0;
  // "(see: /path)" style false positives are rare; a URL's "://" is excluded
  if (f === 47 && text.charCodeAt(j + 1) === 47) return 0;
  return j + 1 - i;
}

/** Line begins a markdown list item or header: "- x", "* x", "• x", "1. x", "2) x", "# x". */
function markdownLineStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  if (c === 35 /* # */) return next === 35 || next === 32;
  if (c === 45 || c === 42 || c === 43 || c === 0x2022) return next === 32;
  if (isDigit(c)) {
    let j = i + 1;
    while (isDigit(text.charCodeAt(j))) j++;
    const p = text.charCodeAt(j);
    return (p === 46 || p === 41) && text.charCodeAt(j + 1) === 32;
  }
  return false;
}

/** Reusable measuring state; one per thread of work. Not reentrant. */
export class TraitExtractor {
  private c = new Counters();
  // Per-turn word buffers for phrase matching (vocabulary ids and character offsets), reused.
  private wid = new Int32Array(256);
  private ws = new Int32Array(256);
  private we = new Int32Array(256);
  // Distinct-word counting and partner-word lookup by vocabulary id: a stamp equal to the current
  // serial means "seen in this measurement" / "in the partner's last turn".
  private typeStamp = new Uint32Array(1 << 16);
  private partnerStamp = new Uint32Array(1 << 16);
  private serial = 0;
  private partnerSerial = 0;
  /** Per phrase trait, the last word of the last counted match in the current turn. */
  private readonly phraseEnd = new Int32Array(Object.keys(PHRASE_TRAIT_ID).length);
  private evidence: Evidence[] | undefined;

  measureDialogue(messages: readonly Message[], opts: MeasureOptions = {}): Measurement {
    const role = opts.role ?? 'assistant';
    this.begin(opts.evidence);
    let partner = false;
    for (let t = 0; t < messages.length; t++) {
      const m = messages[t];
      if (m.role === role) this.scanTurn(m.content, t, partner);
      else if (m.role !== 'system') partner = this.scanPartner(m.content);
    }
    return this.finish();
  }

  /**
   * One side of a TRL pair. Only the response is measured; the prompt's last message from someone other
   * than `role` is the partner's context (a conversational prompt may hold earlier assistant turns, which
   * belong to neither side).
   */
  measureResponse(response: Turns, prompt?: Turns, opts: MeasureOptions = {}): Measurement {
    const role = opts.role ?? 'assistant';
    this.begin(opts.evidence);
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
    return this.finish();
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
    this.serial++;
    this.partnerSerial++;
    this.evidence = evidence ? [] : undefined;
  }

  private finish(): Measurement {
    const c = this.c;
    const values = new Float64Array(TRAITS.length);
    // Nothing said by the role: all zeros, whatever the partner said.
    if (c.turns === 0) return { values, turns: 0, evidence: this.evidence };
    for (let k = 0; k < TRAITS.length; k++) {
      const t = TRAITS[k];
      const v = t.compute(c);
      values[k] = v < t.range[0] ? t.range[0] : v > t.range[1] ? t.range[1] : v;
    }
    return { values, turns: c.turns, evidence: this.evidence };
  }

  private mark(turn: number, start: number, end: number, trait: string): void {
    this.evidence!.push({ turn, start, end, trait });
  }

  /** Stamp arrays must cover every vocabulary id. */
  private grow(id: number): void {
    let size = this.typeStamp.length;
    while (size <= id) size *= 2;
    const t = new Uint32Array(size);
    t.set(this.typeStamp);
    this.typeStamp = t;
    const p = new Uint32Array(size);
    p.set(this.partnerStamp);
    this.partnerStamp = p;
  }

  /** Partner turns give context only: their length and their content words. Returns true. */
  private scanPartner(text: string): true {
    const c = this.c;
    const serial = ++this.partnerSerial;
    let words = 0;
    let slang = 0;
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (!isLetter(text.charCodeAt(i)) && !isDigit(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const s = i;
      while (i < n && (isLetter(text.charCodeAt(i)) || isDigit(text.charCodeAt(i)))) i++;
      if (words === 0 && isLetter(text.charCodeAt(s)) && !isUpper(text.charCodeAt(s))) c.partnerLowerTurns++;
      words++;
      const id = vocabulary.idOf(text.slice(s, i).toLowerCase());
      if (id < 0) continue;
      const f = vocabulary.flags[id];
      if (f & W.slang) slang++;
      if (i - s >= 3 && !(f & W.stop)) {
        if (id >= this.partnerStamp.length) this.grow(id);
        this.partnerStamp[id] = serial;
      }
    }
    c.partnerSlang += slang;
    c.partnerTurns++;
    c.partnerWords += words;
    return true;
  }

  private scanTurn(text: string, turn: number, partner: boolean): void {
    const c = this.c;
    const ev = this.evidence !== undefined;
    const n0 = text.length;
    // A turn has at most one word per two characters: size the buffers once.
    if (this.wid.length < n0 / 2 + 2) {
      const size = Math.ceil(n0 / 2) + 2;
      this.wid = new Int32Array(size);
      this.ws = new Int32Array(size);
      this.we = new Int32Array(size);
    }
    const wid = this.wid;
    const ws = this.ws;
    const we = this.we;
    const partnerSerial = this.partnerSerial;
    const n = text.length;
    let nw = 0; // words in this turn
    let sentenceWords = 0;
    let atSentenceStart = true;
    let lineStart = true;
    let lineHasContent = false;
    let lineMarkdown = false;
    let last = Last.None;
    let hasQuestionMark = false;
    let buildsOn = false;
    let i = 0;

    const endSentence = () => {
      if (sentenceWords > 0) {
        c.sentences++;
        c.sentenceWordsSq += sentenceWords * sentenceWords;
        sentenceWords = 0;
      }
      atSentenceStart = true;
    };
    const endLine = () => {
      if (lineHasContent) {
        c.lines++;
        if (lineMarkdown) c.markdownLines++;
      }
      lineStart = true;
      lineHasContent = false;
      lineMarkdown = false;
    };

    while (i < n) {
      const ch = text.charCodeAt(i);
      if (lineStart && !isSpace(ch)) {
        lineStart = false;
        lineHasContent = true;
        if (markdownLineStart(text, i)) {
          lineMarkdown = true;
          if (ev) this.mark(turn, i, i + 1, 'markdown');
        }
      }

      if (isLetter(ch) || isDigit(ch)) {
        // ---- a word: letters, digits and inner apostrophes ----
        const s = i;
        let hasUpperCh = false;
        let allUpper = true;
        let hasLetterCh = false;
        let hasDigitCh = false;
        let nonAscii = false;
        let apostrophe = false;
        let run = 0;
        let maxRun = 0;
        let prev = -1;
        let h = HASH_SEED;
        let h2 = HASH2_SEED;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (isLetter(d)) {
            hasLetterCh = true;
            if (isUpper(d)) hasUpperCh = true;
            else allUpper = false;
            if (d > 127) nonAscii = true;
            const low = d | 32;
            run = low === prev ? run + 1 : 1;
            if (run > maxRun) maxRun = run;
            prev = low;
          } else if (isDigit(d)) {
            hasDigitCh = true;
            prev = -1;
          } else if ((d === 39 || d === 0x2019) && i + 1 < n && isLetter(text.charCodeAt(i + 1))) {
            apostrophe = true;
            prev = -1;
          } else break;
          const folded = foldCode(d);
          h = hashStep(h, folded);
          h2 = hashStep2(h2, folded);
          i++;
        }
        const e = i;
        // ASCII words (the vast majority) are looked up by span without allocating a string.
        const id = nonAscii ? vocabulary.idOf(text.slice(s, e).toLowerCase().replace(/\u2019/g, "'")) : vocabulary.idOfSpan(text, s, e, h, h2);
        const isI = id === ID_I;

        c.words++;
        c.letters += e - s;
        sentenceWords++;
        if (id >= this.typeStamp.length) this.grow(id);
        if (id < 0) c.types++;
        else if (this.typeStamp[id] !== this.serial) {
          this.typeStamp[id] = this.serial;
          c.types++;
        }
        wid[nw] = id;
        ws[nw] = s;
        we[nw] = e;
        nw++;

        const sentenceInitial = atSentenceStart;
        if (hasUpperCh && hasLetterCh) {
          if (allUpper && e - s >= 2) {
            c.allCaps++;
            if (ev) this.mark(turn, s, e, 'all_caps');
          } else if (!sentenceInitial && isUpper(ch) && !isI && !wordText(id, text, s, e).startsWith("i'")) {
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
        if (maxRun >= 3) {
          c.elongations++;
          if (ev) this.mark(turn, s, e, 'elongation');
        }
        if (apostrophe) {
          c.contractions++;
          if (ev) this.mark(turn, s, e, 'contractions');
        }
        if (partner && e - s >= 3 && id >= 0 && !(vocabulary.flags[id] & W.stop)) {
          c.contentWords++;
          if (this.partnerStamp[id] === partnerSerial) {
            c.parrotedWords++;
            if (!buildsOn) {
              buildsOn = true;
              if (ev) this.mark(turn, s, e, 'builds_on_partner');
            }
          }
        }

        const flags = id >= 0 ? vocabulary.flags[id] : vocabulary.flagsOf(id, wordText(id, text, s, e));
        if ((flags & WORD_LIST_BITS) !== 0) {
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
        } else if (hasLetterCh && !hasDigitCh && e - s >= 3 && !(hasUpperCh && (!sentenceInitial || allUpper))) {
          // Capitalized mid-sentence words are names and all-caps words acronyms: not typos.
          if (flags & V.laughLike) {
            c.laugh++;
            if (ev) this.mark(turn, s, e, 'laughter');
          } else if (maxRun < 3) {
            const lower = wordText(id, text, s, e);
            const stem = apostrophe && lower.endsWith("'s") ? lower.slice(0, -2) : lower;
            const known = vocabulary.spelledRight(stem === lower ? id : vocabulary.idOf(stem), stem);
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
        if (j < n && text.charCodeAt(j) === 10 && c.words > 0) c.paragraphBreaks++;
        endSentence();
        endLine();
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
        const nextCh = text.charCodeAt(j);
        if (!(j - i === 1 && (isDigit(nextCh) || isLetter(nextCh)))) endSentence();
        last = Last.Terminal;
        i = j;
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
        endSentence();
        last = Last.Terminal;
        i = j;
        continue;
      }
      if (ch === 44 /* , */) {
        c.commas++;
        if (ev) this.mark(turn, i, i + 1, 'commas');
        last = Last.Other;
        i++;
        continue;
      }
      if (ch === 0x2014 /* — */) {
        c.emDashes++;
        if (ev) this.mark(turn, i, i + 1, 'em_dash');
        last = Last.Other;
        i++;
        continue;
      }
      if (ch === 42 /* * */ && text.charCodeAt(i + 1) === 42) {
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
        if (!modifier && text.charCodeAt(i - 1) !== 0x200d) {
          c.emojis++;
          if (ev) this.mark(turn, i, i + 2, 'emoji');
        }
        last = Last.Terminal;
        i += 2;
        continue;
      }
      if ((ch >= 0x2600 && ch <= 0x27bf) || (ch >= 0x2b50 && ch <= 0x2b55)) {
        if (text.charCodeAt(i - 1) !== 0x200d) {
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
    endSentence();
    endLine();

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

    let questionBack = false;
    let asksWithoutMark = false;
    if (nw > 0 && !hasQuestionMark && wid[0] >= 0 && vocabulary.flags[wid[0]] & W.questionOpener && last !== Last.Terminal) asksWithoutMark = true;
    const phraseEnd = this.phraseEnd.fill(-1);
    for (let k = 0; k < nw; k++) {
      const index = wid[k] >= 0 && vocabulary.flags[wid[k]] & W.phraseStart ? PHRASES_BY_FIRST_ID.get(wid[k]) : undefined;
      if (index === undefined) continue;
      // Longer phrases (by their second word) before one-word ones, so the longest match is counted.
      const longer = k + 1 < nw ? index.bySecond.get(wid[k + 1]) : undefined;
      for (const entry of longer === undefined ? index.single : index.single.length === 0 ? longer : longer.concat(index.single)) {
        const len = entry.restIds.length;
        if (k + len >= nw) continue;
        let ok = true;
        for (let r = 0; r < len; r++) {
          if (wid[k + 1 + r] !== entry.restIds[r]) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        const endWord = k + len;
        if (entry.trait === 'question_back') {
          // Only at the end of the turn, or right before a question mark.
          const followedByQuestion = nextNonSpace(text, we[endWord]) === 63;
          if (entry.needsQuestionMark ? !followedByQuestion : !(endWord === nw - 1 || followedByQuestion)) continue;
          questionBack = true;
        }
        // A match inside one already counted for the same trait ("not sure" in "I'm not sure") is the same hit.
        const bit = PHRASE_BIT[entry.trait];
        if (k <= phraseEnd[bit]) continue;
        phraseEnd[bit] = endWord;
        c[entry.trait]++;
        if (ev) this.mark(turn, ws[k], we[endWord], PHRASE_TRAIT_ID[entry.trait]);
      }
    }
    if (hasQuestionMark || asksWithoutMark || questionBack) c.questionTurns++;
    if (questionBack) c.questionBackTurns++;
  }
}

const ID_I = vocabulary.idOf('i');

/** A word's lowercase text; needed only off the hot path (and when the vocabulary is full). */
function wordText(id: number, text: string, s: number, e: number): string {
  return id >= 0 ? vocabulary.word(id) : text.slice(s, e).toLowerCase().replace(/\u2019/g, "'");
}

const PHRASE_BIT = Object.fromEntries(Object.keys(PHRASE_TRAIT_ID).map((k, i) => [k, i])) as Record<PhraseTrait, number>;

/** Bits of lexicon.ts's word lists that count toward a trait (excludes structural bits). */
const WORD_LIST_BITS =
  W.slang | W.colloquial | W.formal | W.hedge | W.firstPerson | W.secondPerson | W.laugh | W.interjection | W.profanity | W.notKnowing | W.droppedApostrophe | W.timeRef;

interface PhraseMatcher {
  restIds: Int32Array;
  trait: PhraseTrait;
  needsQuestionMark: boolean;
}

/**
 * Phrases by their first word's vocabulary id, then by their second: common first words ("i", "my")
 * start dozens of phrases, and one integer lookup on the next word leaves only the few that can match.
 */
const PHRASES_BY_FIRST_ID = new Map<number, { single: PhraseMatcher[]; bySecond: Map<number, PhraseMatcher[]> }>();
for (const [first, entries] of PHRASES_BY_FIRST_WORD) {
  const index = { single: [] as PhraseMatcher[], bySecond: new Map<number, PhraseMatcher[]>() };
  for (const e of entries) {
    const m: PhraseMatcher = { restIds: Int32Array.from(e.rest, (w) => vocabulary.idOf(w)), trait: e.trait, needsQuestionMark: e.needsQuestionMark };
    if (m.restIds.length === 0) index.single.push(m);
    else {
      const list = index.bySecond.get(m.restIds[0]) ?? [];
      list.push(m); // entries arrive longest first (lexicon.ts), so each list stays longest first
      index.bySecond.set(m.restIds[0], list);
    }
  }
  PHRASES_BY_FIRST_ID.set(vocabulary.idOf(first), index);
}

function lastNonSpace(text: string): number {
  let j = text.length - 1;
  while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
  return j;
}

function nextNonSpace(text: string, from: number): number {
  let j = from;
  while (j < text.length && text.charCodeAt(j) === 32) j++;
  return text.charCodeAt(j);
}

const shared = new TraitExtractor();

/** Convenience wrappers over one shared extractor (single-threaded JS makes that safe). */
export function measureDialogue(messages: readonly Message[], opts?: MeasureOptions): Measurement {
  return shared.measureDialogue(messages, opts);
}
export function measureResponse(response: Turns, prompt?: Turns, opts?: MeasureOptions): Measurement {
  return shared.measureResponse(response, prompt, opts);
}
export function measurePerTurn(messages: readonly Message[], opts?: MeasureOptions) {
  return shared.measurePerTurn(messages, opts);
}

/** Values as an object keyed by trait id (for JSON output). */
export function valuesById(values: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < TRAITS.length; k++) out[TRAITS[k].id] = values[k];
  return out;
}

export { traitIndex };
