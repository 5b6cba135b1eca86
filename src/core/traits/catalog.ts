/**
 * The trait catalog: every interpretable trait StyleTune measures, in a fixed order.
 *
 * A trait's `id` is stable: reward models store ids, not positions, and refuse ids this engine does not
 * know. Add traits at the end; never reuse or rename an id (retire one by keeping it measured).
 * `hal` lists the HAL trait statements (1-32, see shared/data/README.md) a trait approximates.
 */
import type { Counters } from './counters';

/** What each catalog entry is checked against; TraitDef is the same with `id` narrowed to TraitId. */
interface TraitSpec {
  id: string;
  label: string;
  /** One line, shown in hovers and the model card. */
  description: string;
  hal: readonly number[];
  /** Closed range of the value; values are clamped into it. */
  range: readonly [number, number];
  /**
   * Only where it is not in doubt: the way more of the trait moves human-likeness in conversation
   * (−1: more can only lower the score, +1: only raise it), and why. The fit keeps the trait's shape
   * monotone that way, whatever quirks the fitting data has (the Turing games' persona AIs, say).
   */
  direction?: {
    sign: -1 | 1;
    why: string;
    /**
     * Only for counts per turn whose first occurrence gives a reply away: going from none to one per turn
     * moves the score by at least this much (score units, in `sign`'s direction), and `firstWhy` says why.
     * The fit keeps it even where other traits already separate its fitting data (the formal replies that
     * say "As an AI" are also long-worded), so that a casual reply that says it is an AI still loses.
     */
    first?: { cost: number; why: string };
  };
  compute(c: Counters): number;
}

/** A catalog entry: a TraitSpec whose id is one of the catalog's own. */
export interface TraitDef extends TraitSpec {
  id: TraitId;
}

/** Median words per turn of the human witnesses in the Turing games (shared/data/turing). */
const TYPICAL_WORDS_PER_TURN = 10;

const per = (n: number, d: number) => (d > 0 ? n / d : 0);
const log2p = (x: number) => Math.log2(1 + x);

// `as const` keeps each id a string literal, so TraitId is exactly the catalog's ids (evidence marks
// and PHRASE_TRAIT_ID are checked against it); `satisfies` still checks every entry's shape.
const CATALOG = [
  {
    id: 'length',
    label: 'Reply length',
    description: 'log2(1 + words per turn): long, essay-like replies score high, brief ones low.',
    hal: [1],
    range: [0, 16],
    compute: (c) => log2p(per(c.words, c.turns)),
  },
  {
    id: 'terse_turns',
    label: 'Fragment replies',
    description: 'Share of turns of three words or fewer ("nah u?", "pizza").',
    hal: [1],
    range: [0, 1],
    compute: (c) => per(c.terseTurns, c.turns),
  },
  {
    id: 'long_turns',
    label: 'Long turns',
    description: 'Share of turns longer than 60 words.',
    hal: [1, 6],
    range: [0, 1],
    compute: (c) => per(c.longTurns, c.turns),
  },
  {
    id: 'relative_length',
    label: 'Length vs partner',
    description: "log2 ratio of this speaker's words per turn to the other speakers' (0 without a partner).",
    hal: [1, 17],
    range: [-16, 16],
    compute: (c) => (c.partnerTurns > 0 ? log2p(per(c.words, c.turns)) - log2p(per(c.partnerWords, c.partnerTurns)) : 0),
  },
  {
    id: 'slang',
    label: 'Slang & shorthand',
    description: 'Share of words that are internet slang or texting shorthand (lol, ngl, u, gonna).',
    hal: [2],
    range: [0, 1],
    compute: (c) => per(c.slang, c.words),
  },
  {
    id: 'colloquial',
    label: 'Colloquial words',
    description: 'Share of everyday informal words (yeah, cool, stuff, pretty, awesome).',
    hal: [2, 7],
    range: [0, 1],
    compute: (c) => per(c.colloquial, c.words),
  },
  {
    id: 'lowercase',
    label: 'Lowercase texting',
    description: "Share of sentences that start lowercase and of lowercase 'i' as a pronoun.",
    hal: [3],
    range: [0, 1],
    compute: (c) => per(c.lowerStarts + c.lowerI, c.sentenceStarts + c.pronounI),
  },
  {
    id: 'unpunctuated_turns',
    label: 'No final punctuation',
    description: 'Share of turns that end without . ! ? or an emoji.',
    hal: [4],
    range: [0, 1],
    compute: (c) => per(c.unpunctuatedTurns, c.turns),
  },
  {
    id: 'typos',
    label: 'Typos',
    description: 'Share of words not in the English spelling dictionary (slang, names and numbers excluded).',
    hal: [4],
    range: [0, 1],
    compute: (c) => per(c.typos, c.words),
  },
  {
    id: 'dropped_apostrophes',
    label: 'Dropped apostrophes',
    description: "Share of words that are contractions typed without the apostrophe (dont, im, thats).",
    hal: [4],
    range: [0, 1],
    compute: (c) => per(c.droppedApostrophe, c.words),
  },
  {
    id: 'emoji',
    label: 'Emojis & emoticons',
    description: 'Emojis and emoticons per turn, capped at 5.',
    hal: [5],
    range: [0, 5],
    compute: (c) => per(c.emojis, c.turns),
  },
  {
    id: 'elongation',
    label: 'Elongated words',
    description: 'Share of words with a letter repeated three or more times ("sooo", "yesss").',
    hal: [5],
    range: [0, 1],
    compute: (c) => per(c.elongations, c.words),
  },
  {
    id: 'laughter',
    label: 'Laughter',
    description: 'Share of words that laugh (haha, lol, lmao).',
    hal: [8],
    range: [0, 1],
    compute: (c) => per(c.laugh, c.words),
  },
  {
    id: 'exclamation',
    label: 'Exclamations',
    description: 'Exclamation marks per sentence, capped at 3.',
    hal: [12],
    range: [0, 3],
    compute: (c) => per(c.exclamations, c.sentences),
  },
  {
    id: 'expressive_punctuation',
    label: 'Expressive punctuation',
    description: 'Ellipses and repeated !! or ?? per sentence, capped at 3.',
    hal: [4, 5],
    range: [0, 3],
    compute: (c) => per(c.expressivePunct, c.sentences),
  },
  {
    id: 'markdown',
    label: 'Markdown structure',
    description: 'Share of lines that are list items, headers or contain bold text.',
    hal: [6],
    range: [0, 1],
    direction: {
      sign: -1,
      why: 'Lists, headers and bold text are the layout of generated answers and documents; people chatting do not lay out their turns, so more of it never reads more human.',
    },
    compute: (c) => per(c.markdownLines, c.lines),
  },
  {
    id: 'formal_vocabulary',
    label: 'Formal vocabulary',
    description: 'Share of words from a formal or academic register (furthermore, utilize, ensure).',
    hal: [6],
    range: [0, 1],
    direction: {
      sign: -1,
      why: 'An academic register (furthermore, utilize, ensure) is what assistants and essays write, not what people say in conversation; more of it never makes a chat reply read more human.',
    },
    compute: (c) => per(c.formal, c.words),
  },
  {
    id: 'assistant_phrasing',
    label: 'Assistant phrasing',
    description: 'Templated assistant phrases per turn ("feel free to", "I hope this helps"), capped at 5.',
    hal: [6, 22, 27],
    range: [0, 5],
    direction: {
      sign: -1,
      why: 'Service templates ("feel free to", "I hope this helps", "Certainly!") are an assistant\'s stock phrases; a person chatting has no use for them, so each one can only cost.',
      first: {
        cost: 1,
        why: 'A service template in a chat turn ("I\'d be happy to", "Is there anything else") is how an assistant opens or closes; a milder cost than \'As an AI\' talk, since a person may say "let me know" too.',
      },
    },
    compute: (c) => per(c.assistant_phrasing, c.turns),
  },
  {
    id: 'ai_meta',
    label: "'As an AI' talk",
    description: 'Meta-commentary about being an AI or a language model, per turn, capped at 5.',
    hal: [25],
    range: [0, 5],
    direction: {
      sign: -1,
      why: 'A person does not say they are an AI or a language model; a reply that does gives itself away however casual the rest of it is.',
      first: {
        cost: 5,
        why: 'One "as an AI" or "I don\'t have personal feelings" is enough to tell a reply is not a person\'s, however casual the rest of it is: it must outweigh what short, casual wording adds.',
      },
    },
    compute: (c) => per(c.ai_meta, c.turns),
  },
  {
    id: 'idioms',
    label: 'Idiomatic phrasing',
    description: 'Share of words that begin an idiom or set phrase ("no big deal", "a bunch", "hang out").',
    hal: [7],
    range: [0, 1],
    compute: (c) => per(c.idioms, c.words),
  },
  {
    id: 'hedging',
    label: 'Hedging',
    description: 'Share of words that hedge or show imperfect recall ("I think", "maybe", "I forget").',
    hal: [15],
    range: [0, 1],
    compute: (c) => per(c.hedgeWords + c.hedging, c.words),
  },
  {
    id: 'admits_not_knowing',
    label: 'Admits not knowing',
    description: 'Admissions of not knowing ("idk", "no idea", "not sure") per turn, capped at 5.',
    hal: [16],
    range: [0, 5],
    compute: (c) => per(c.not_knowing + c.notKnowingWords, c.turns),
  },
  {
    id: 'questions',
    label: 'Asks questions',
    description: 'Share of turns that ask something.',
    hal: [20],
    range: [0, 1],
    compute: (c) => per(c.questionTurns, c.turns),
  },
  {
    id: 'question_back',
    label: 'Bounces the question',
    description: 'Share of turns that end by returning the question ("you?", "wbu", "and you?").',
    hal: [17, 20],
    range: [0, 1],
    compute: (c) => per(c.questionBackTurns, c.turns),
  },
  {
    id: 'builds_on_partner',
    label: "Builds on partner's words",
    description: "Share of replies that reuse a content word from the other speaker's previous turn.",
    hal: [17],
    range: [0, 1],
    compute: (c) => per(c.buildsOnPartnerTurns, c.turnsWithPartner),
  },
  {
    id: 'empathy',
    label: 'Brief empathy',
    description: 'Short empathetic or appreciative reactions ("oh no", "that sucks", "sounds fun") per turn, capped at 5.',
    hal: [21],
    range: [0, 5],
    compute: (c) => per(c.empathy, c.turns),
  },
  {
    id: 'first_person',
    label: 'First person',
    description: 'Share of words that are first-person singular pronouns (I, me, my).',
    hal: [28, 29],
    range: [0, 1],
    compute: (c) => per(c.firstPerson, c.words),
  },
  {
    id: 'second_person',
    label: 'Second person',
    description: 'Share of words addressing the partner (you, your, u).',
    hal: [17],
    range: [0, 1],
    compute: (c) => per(c.secondPerson, c.words),
  },
  {
    id: 'personal_details',
    label: 'Personal details',
    description: 'Mentions of family, pets, work, school or home ("my sister", "at work") per turn, capped at 5.',
    hal: [23, 28, 32],
    range: [0, 5],
    compute: (c) => per(c.personal_details, c.turns),
  },
  {
    id: 'recent_activity',
    label: 'Times & recent activity',
    description: 'References to specific times and recent activities ("last night", "Friday") per turn, capped at 5.',
    hal: [26, 30],
    range: [0, 5],
    compute: (c) => per(c.recent_activity + c.timeRef, c.turns),
  },
  {
    id: 'numbers',
    label: 'Numbers',
    description: 'Share of tokens that are numbers (ages, times, counts): concrete specifics.',
    hal: [27],
    range: [0, 1],
    compute: (c) => per(c.numbers, c.words),
  },
  {
    id: 'contractions',
    label: 'Contractions',
    description: "Share of words that are contractions with an apostrophe (I'm, don't, it's).",
    hal: [1],
    range: [0, 1],
    compute: (c) => per(c.contractions, c.words),
  },
  {
    id: 'sentence_length',
    label: 'Sentence length',
    description: 'Mean words per sentence, capped at 100.',
    hal: [6],
    range: [0, 100],
    compute: (c) => per(c.words, c.sentences),
  },
  {
    id: 'sentence_variety',
    label: 'Sentence variety',
    description: 'Coefficient of variation of sentence lengths (0 with fewer than two sentences), capped at 5.',
    hal: [9],
    range: [0, 5],
    compute: (c) => {
      if (c.sentences < 2) return 0;
      const mean = c.words / c.sentences;
      const variance = Math.max(0, c.sentenceWordsSq / c.sentences - mean * mean);
      return mean > 0 ? Math.sqrt(variance) / mean : 0;
    },
  },
  {
    id: 'lexical_variety',
    label: 'Lexical variety',
    description: "Distinct words over the square root of all words (Guiraud's index), capped at 30.",
    hal: [27],
    range: [0, 30],
    compute: (c) => (c.words > 0 ? c.types / Math.sqrt(c.words) : 0),
  },
  {
    id: 'word_length',
    label: 'Word length',
    description: 'Mean letters per word, capped at 20.',
    hal: [6],
    range: [0, 20],
    compute: (c) => per(c.letters, c.words),
  },
  {
    id: 'self_correction',
    label: 'Self-correction',
    description: 'Clarifications and self-corrections ("I mean", "actually", "wait") per turn, capped at 5.',
    hal: [14],
    range: [0, 5],
    compute: (c) => per(c.self_correction, c.turns),
  },
  {
    id: 'opinion',
    label: 'Opinions & preferences',
    description: 'Stated likes, dislikes and judgments ("I love", "not a fan", "overrated") per turn, capped at 5.',
    hal: [9, 12, 13],
    range: [0, 5],
    compute: (c) => per(c.opinion, c.turns),
  },
  {
    id: 'interjections',
    label: 'Interjections & fillers',
    description: 'Share of words that are interjections or fillers (oh, um, yeah, well).',
    hal: [9, 14],
    range: [0, 1],
    compute: (c) => per(c.interjection, c.words),
  },
  {
    id: 'profanity',
    label: 'Mild profanity',
    description: 'Share of words that swear (damn, crap, wtf).',
    hal: [2, 9],
    range: [0, 1],
    compute: (c) => per(c.profanity, c.words),
  },
  {
    id: 'em_dash',
    label: 'Em dashes',
    description: 'Em dashes per sentence, capped at 3: a habit of polished machine prose.',
    hal: [6],
    range: [0, 3],
    compute: (c) => per(c.emDashes, c.sentences),
  },
  {
    id: 'commas',
    label: 'Commas',
    description: 'Commas per word: clause-heavy, written rather than spoken style.',
    hal: [6],
    range: [0, 1],
    compute: (c) => per(c.commas, c.words),
  },
  {
    id: 'paragraphs',
    label: 'Paragraph breaks',
    description: 'Blank-line paragraph breaks per turn, capped at 10.',
    hal: [6],
    range: [0, 10],
    compute: (c) => per(c.paragraphBreaks, c.turns),
  },
  {
    id: 'length_deviation',
    label: 'Off chat length',
    description: 'Distance in log2 units of words per turn from 10, the typical human chat turn: fragments and essays both score high.',
    hal: [1],
    range: [0, 16],
    compute: (c) => Math.abs(log2p(per(c.words, c.turns)) - log2p(TYPICAL_WORDS_PER_TURN)),
  },
  {
    id: 'turn_length_variety',
    label: 'Turn length variety',
    description: 'Coefficient of variation of words per turn (0 with one turn), capped at 5: people vary, templates do not.',
    hal: [9, 19],
    range: [0, 5],
    compute: (c) => {
      if (c.turns < 2) return 0;
      const mean = c.words / c.turns;
      const variance = Math.max(0, c.turnWordsSq / c.turns - mean * mean);
      return mean > 0 ? Math.sqrt(variance) / mean : 0;
    },
  },
  {
    id: 'proper_nouns',
    label: 'Proper nouns',
    description: 'Share of words capitalized mid-sentence (names of places, shows, people).',
    hal: [10, 31],
    range: [0, 1],
    compute: (c) => per(c.properNouns, c.words),
  },
  {
    id: 'all_caps',
    label: 'All-caps words',
    description: 'Share of words of two or more letters written in capitals (LOL, SO good).',
    hal: [5, 12],
    range: [0, 1],
    compute: (c) => per(c.allCaps, c.words),
  },
  {
    id: 'lowercase_vs_partner',
    label: 'Lowercase vs partner',
    description: "Lowercase texting minus the partner's share of lowercase turns (0 without a partner): mirroring vs overdoing.",
    hal: [3, 17],
    range: [-1, 1],
    compute: (c) => (c.partnerTurns > 0 ? per(c.lowerStarts + c.lowerI, c.sentenceStarts + c.pronounI) - per(c.partnerLowerTurns, c.partnerTurns) : 0),
  },
  {
    id: 'slang_vs_partner',
    label: 'Slang vs partner',
    description: "Slang share minus the partner's slang share (0 without a partner): matching the register vs overdoing it.",
    hal: [2, 17],
    range: [-1, 1],
    compute: (c) => (c.partnerTurns > 0 ? per(c.slang, c.words) - per(c.partnerSlang, c.partnerWords) : 0),
  },
  {
    id: 'parroting',
    label: "Repeats partner's words",
    description: "Share of this speaker's content words taken from the partner's previous turn (ELIZA-style reflection scores high).",
    hal: [17],
    range: [0, 1],
    compute: (c) => per(c.parrotedWords, c.contentWords),
  },
] as const satisfies readonly TraitSpec[];

/** A trait id of this catalog ('length', 'slang', ...): a misspelt id does not compile. */
export type TraitId = (typeof CATALOG)[number]['id'];

export const TRAITS: readonly TraitDef[] = CATALOG;

export const TRAIT_IDS: readonly string[] = TRAITS.map((t) => t.id);

const indexById = new Map<string, number>(TRAITS.map((t, i) => [t.id, i]));

/** Position of a trait in the catalog, or -1 for an id this engine does not know. */
export function traitIndex(id: string): number {
  return indexById.get(id) ?? -1;
}
