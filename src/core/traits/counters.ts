/**
 * Raw counts gathered in one pass over a speaker's turns. Trait values (catalog.ts) are ratios of these.
 * A plain class with numeric fields keeps V8 on its fast path; `reset()` lets one instance be reused.
 */
export class Counters {
  turns = 0;
  words = 0;
  letters = 0;
  sentences = 0;
  sentenceWordsSq = 0;
  sentenceStarts = 0;
  lowerStarts = 0;
  pronounI = 0;
  lowerI = 0;
  slang = 0;
  colloquial = 0;
  formal = 0;
  hedgeWords = 0;
  firstPerson = 0;
  secondPerson = 0;
  laugh = 0;
  interjection = 0;
  profanity = 0;
  notKnowingWords = 0;
  droppedApostrophe = 0;
  timeRef = 0;
  numbers = 0;
  typos = 0;
  contractions = 0;
  emojis = 0;
  elongations = 0;
  exclamations = 0;
  expressivePunct = 0;
  emDashes = 0;
  commas = 0;
  lines = 0;
  markdownLines = 0;
  paragraphBreaks = 0;
  types = 0;
  // phrase hits, one field per PhraseTrait
  ai_meta = 0;
  assistant_phrasing = 0;
  hedging = 0;
  not_knowing = 0;
  empathy = 0;
  idioms = 0;
  personal_details = 0;
  recent_activity = 0;
  self_correction = 0;
  opinion = 0;
  question_back = 0;
  // turn-level
  turnWordsSq = 0;
  properNouns = 0;
  allCaps = 0;
  terseTurns = 0;
  longTurns = 0;
  unpunctuatedTurns = 0;
  questionTurns = 0;
  questionBackTurns = 0;
  turnsWithPartner = 0;
  contentWords = 0;
  parrotedWords = 0;
  buildsOnPartnerTurns = 0;
  partnerTurns = 0;
  partnerWords = 0;
  partnerLowerTurns = 0;
  partnerSlang = 0;

  reset(): void {
    const self = this as unknown as Record<string, number>;
    for (const k of Object.keys(self)) self[k] = 0;
  }
}
