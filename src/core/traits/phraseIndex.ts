/**
 * The phrase index the scanner matches against (extractor.ts, matchPhrases): lexicon.ts's phrases by
 * their words' vocabulary ids, built once at import. Building it also marks the words that can start
 * or continue a phrase in their vocabulary flags (V.phraseSingle, V.phraseFirst, V.phraseSecond), which
 * the scanner reads to find where a phrase may start without a lookup per word.
 */
import type { TraitId } from './catalog';
import { PHRASES_BY_FIRST_WORD, type PhraseTrait } from './lexicon';
import { V, vocabulary } from './vocabulary';

/** The trait id each phrase trait's hits count toward in evidence. */
export const PHRASE_TRAIT_ID: Record<PhraseTrait, TraitId> = {
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

export const PHRASE_TRAITS = Object.keys(PHRASE_TRAIT_ID) as PhraseTrait[];
// matchPhrases adds the hits to named Counters fields in this order.
if (PHRASE_TRAITS.join() !== 'ai_meta,assistant_phrasing,hedging,not_knowing,empathy,idioms,personal_details,recent_activity,self_correction,opinion,question_back') {
  throw new Error('phrase traits changed: update TraitExtractor.matchPhrases');
}

export interface PhraseMatcher {
  restIds: Int32Array;
  /** Position of the trait in PHRASE_TRAITS. */
  bit: number;
  /** The trait's id in evidence. */
  evidenceTrait: TraitId;
  questionBack: boolean;
  needsQuestionMark: boolean;
}

export interface PhraseIndex {
  single: PhraseMatcher[];
  /** Whether some phrase has more words than this first one. */
  hasLonger: boolean;
}

/**
 * Phrases by their first word's vocabulary id (an array: phrase words are interned at startup, so their
 * ids are small), and multi-word phrases by their first two ids: common first words ("i", "my") start
 * dozens of phrases, and one integer lookup on the next word leaves only the few that can match.
 */
export const PHRASES_BY_FIRST_ID: (PhraseIndex | undefined)[] = [];
const pairLists = new Map<string, { first: number; second: number; list: PhraseMatcher[] }>();
for (const [first, entries] of PHRASES_BY_FIRST_WORD) {
  const firstId = vocabulary.idOf(first);
  const index: PhraseIndex = { single: [], hasLonger: false };
  for (const e of entries) {
    const m: PhraseMatcher = {
      restIds: Int32Array.from(e.rest, (w) => vocabulary.idOf(w)),
      bit: PHRASE_TRAITS.indexOf(e.trait),
      evidenceTrait: PHRASE_TRAIT_ID[e.trait],
      questionBack: e.trait === 'question_back',
      needsQuestionMark: e.needsQuestionMark,
    };
    if (m.restIds.length === 0) {
      index.single.push(m);
      vocabulary.addFlags(firstId, V.phraseSingle);
    } else {
      index.hasLonger = true;
      vocabulary.addFlags(firstId, V.phraseFirst);
      vocabulary.addFlags(m.restIds[0], V.phraseSecond);
      const key = `${firstId} ${m.restIds[0]}`;
      const pair = pairLists.get(key) ?? { first: firstId, second: m.restIds[0], list: [] };
      pair.list.push(m); // entries arrive longest first (lexicon.ts), so each list stays longest first
      pairLists.set(key, pair);
    }
  }
  while (PHRASES_BY_FIRST_ID.length <= firstId) PHRASES_BY_FIRST_ID.push(undefined);
  PHRASES_BY_FIRST_ID[firstId] = index;
}

// An open-addressing table of (first id, second id) -> phrases: a Map lookup per phrase-starting word
// ("i", "you", "a" are most words' neighbours) was a tenth of the scoring time.
let pairMask = 15;
while (pairMask + 1 < pairLists.size * 4) pairMask = pairMask * 2 + 1;
const PAIR_FIRST = new Int32Array(pairMask + 1).fill(-1);
const PAIR_SECOND = new Int32Array(pairMask + 1);
const PAIR_LISTS: PhraseMatcher[][] = new Array<PhraseMatcher[]>(pairMask + 1).fill([]);
const pairSlot = (first: number, second: number) => (Math.imul(first, 0x9e3779b1) ^ Math.imul(second, 0x85ebca6b)) & pairMask;
for (const { first, second, list } of pairLists.values()) {
  let idx = pairSlot(first, second);
  while (PAIR_FIRST[idx] !== -1) idx = (idx + 1) & pairMask;
  PAIR_FIRST[idx] = first;
  PAIR_SECOND[idx] = second;
  PAIR_LISTS[idx] = list;
}

/** Phrases of two or more words starting with the words `first` `second`, longest first. */
export function longerPhrases(first: number, second: number): PhraseMatcher[] | undefined {
  for (let idx = pairSlot(first, second); ; idx = (idx + 1) & pairMask) {
    const f = PAIR_FIRST[idx];
    if (f === -1) return undefined;
    if (f === first && PAIR_SECOND[idx] === second) return PAIR_LISTS[idx];
  }
}
