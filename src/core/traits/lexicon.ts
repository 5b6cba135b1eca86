/**
 * Word and phrase lists behind the lexical traits. Everything is lowercase with straight apostrophes.
 *
 * Single words share one Map from word to a bit set, so the extractor does one lookup per word whatever
 * the number of lists; multi-word phrases are indexed by their first word. Edit the lists freely: the
 * trait tests pin behaviour with hand-written cases, and the default reward model must be refitted
 * (`npm run fit:default`) after a change, because trait values move.
 */

export const enum W {
  slang = 1 << 0, // internet shorthand and texting abbreviations
  colloquial = 1 << 1, // informal everyday words
  formal = 1 << 2, // formal, academic or assistant-register vocabulary
  hedge = 1 << 3, // single-word hedges
  firstPerson = 1 << 4,
  secondPerson = 1 << 5,
  laugh = 1 << 6,
  interjection = 1 << 7,
  profanity = 1 << 8,
  notKnowing = 1 << 9, // single words that admit not knowing (idk, dunno)
  droppedApostrophe = 1 << 10, // dont, im, cant: a contraction typed without its apostrophe
  timeRef = 1 << 11, // yesterday, tonight, weekday and month names
  questionOpener = 1 << 12, // a turn starting with these asks something even without '?'
  stop = 1 << 13, // function words, ignored when measuring whether a reply builds on the partner's words
  phraseStart = 1 << 14, // first word of at least one phrase below
}

const words = (s: string) => s.trim().split(/\s+/);

const SLANG = words(`
  lol lolol lmao lmfao rofl omg omfg ngl fr frfr tbh tbf idk idc imo imho smh btw brb gtg g2g ttyl ily
  wbu hbu wyd wdym rn bc cuz coz cos u ur ya yall y'all yea ye yep yup nah nope gonna wanna gotta kinda
  sorta lemme gimme dunno prolly thx thnx ty pls plz k kk ok okk sus lowkey highkey deadass bruh bro
  fam dude vibe vibes vibing chillin lit fomo yolo af asf istg ikr iirc irl nvm np jk tho thru ppl
  bday convo fave fav tmrw tmr 2day b4 gr8 w/e wtv whatev ig mb hella legit cray noob salty slay bet
  based cap nocap rizz stan simp goat bussin sheesh yeet ded ayy ayo yass oof welp
  sup wassup whaddup tryna finna aint ain't gurl smth sth stg wut wat ye def obvs obv srsly ofc
  vids vid probs prob pic pics sesh gg tmi omw atm hbd nbd ftw fyi gf bf bff idgaf lmk wyd wya ru
  cya ttys xoxo kinda ya'll lol gud luv ur sry soz
`);

const COLLOQUIAL = words(`
  yeah yeh okay cool awesome stuff pretty super totally really basically literally honestly actually
  guy guys kid kids buddy pal chill crazy insane dope sick epic weird funny fun nice great hey hi hello
  hiya cheers gosh geez jeez wow whoa yikes nope sure anyway anyways whatever sorta alright
  huh hmm hm um uh oh ah aw aww yay ooh
`);

const FORMAL = words(`
  additionally furthermore moreover however therefore thus hence consequently nevertheless nonetheless
  utilize utilise utilization facilitate ensure ensuring crucial essential significant significantly
  various numerous comprehensive enhance enhancing enhanced assist assistance assisting provide providing
  regarding pertaining subsequently approximately individuals individual optimal particularly
  specifically aforementioned delve delving foster fostering leverage leveraging robust vital notably
  ultimately overall certainly indeed whilst endeavor endeavour inquire inquiries commence sincerely
  kindly capabilities capability information paramount pivotal intricate tapestry realm seamless
  seamlessly myriad insights insight valuable beneficial appropriate accordingly respectively wherein
  thereby herein primarily predominantly demonstrate demonstrates implement implementation objective
  objectives perspective perspectives aspects aspect considerations consideration fundamental
  potential potentially effectively efficient efficiently relevant regarding strategies strategy
  resources recommend recommendations emphasize crucially vast diverse ensure engage engaging
  continuously evolving artificial commitment committed furnish greetings acknowledge nuanced
  numerous exceptional comprehensive productive tasks activities precise professional knowledgeable
`);

const HEDGE = words(`maybe probably prolly perhaps possibly apparently somewhat presumably supposedly ish kinda sorta`);

const FIRST_PERSON = words(`i me my mine myself i'm i've i'd i'll im ive ill`);
const SECOND_PERSON = words(`you your yours yourself you're you've you'd you'll u ur youre ya yall y'all`);

const LAUGH = words(`lol lolol lmao lmfao rofl haha hahaha hahahaha ha hah hehe hehehe heh xd lul kek`);

const INTERJECTION = words(`
  oh ohh um umm uh uhh hmm hmmm hm ah ahh aw aww eh meh ugh welp wow whoa yikes oops whoops ooh oof
  yeah yea yep yup nah nope ok okay alright anyway anyways well so
`);

const PROFANITY = words(`damn dammit shit shitty fuck fucking fucked crap crappy wtf af asf ass hell dang heck bs bullshit`);

const NOT_KNOWING = words(`idk dunno idek`);

const DROPPED_APOSTROPHE = words(`
  dont cant wont isnt arent wasnt werent didnt doesnt havent hasnt hadnt couldnt shouldnt wouldnt
  im ive id youre theyre theres thats whats hows wheres whos lets aint
`);

const TIME_REF = words(`
  yesterday today tonight tomorrow tmrw weekend weekends morning mornings afternoon evening night
  monday tuesday wednesday thursday friday saturday sunday
  january february march april june july august september october november december
  o'clock
`);

const QUESTION_OPENER = words(`what whats how hows why where wheres who whos when which do does did are is can could would will have has wbu hbu wyd`);

const STOP = words(`
  the a an and or but if so to of in on at by for with from as is are was were be been being am it its
  it's this that these those there here then than too very just also not no yes do does did have has had
  i me my you your he she they we us our them his her their what which who whom how why when where
  will would can could should shall may might must about into over under up down out off again more most
  some any all each both few other such only own same so very s t don't i'm it's that's
`);

/**
 * Multi-word phrases, each tagged with the trait it counts toward. Single words that are also phrases'
 * first words get `W.phraseStart`. Keep each phrase's words lowercase with straight apostrophes.
 */
export type PhraseTrait =
  | 'ai_meta'
  | 'assistant_phrasing'
  | 'hedging'
  | 'not_knowing'
  | 'empathy'
  | 'idioms'
  | 'personal_details'
  | 'recent_activity'
  | 'self_correction'
  | 'opinion'
  | 'question_back';

export const PHRASES: Record<PhraseTrait, readonly string[]> = {
  ai_meta: [
    'as an ai', 'artificial intelligence', 'language model', 'language models',
    "i'm an ai", 'i am an ai', "i'm just an ai", "i'm a bot", 'i am a bot', 'i am a machine', "i'm a machine",
    'ai assistant', 'virtual assistant', 'digital assistant', 'ai model', "i don't have personal", 'i do not have personal',
    "i don't have feelings", 'i do not have feelings', "i don't have a physical", 'i do not have a physical',
    "i don't have emotions", 'i do not have emotions', 'my programming', 'my training data', 'i was programmed',
    'i was trained', 'as a machine', 'as a computer program', 'a computer program', 'digital being',
    'i am not capable of', "i'm not capable of", 'i cannot experience', "i can't experience",
  ],
  assistant_phrasing: [
    'let me know', 'feel free', 'i hope this helps', 'hope this helps', 'happy to help', "i'd be happy to",
    'i would be happy to', "i'm here to help", 'i am here to help', 'how can i assist', 'how can i help',
    'is there anything else', 'great question', 'i can provide', 'i can help you', "don't hesitate",
    'do not hesitate', "i'd be glad to", 'i would be glad to', 'it is important to', "it's important to",
    'it is worth noting', "it's worth noting", 'in conclusion', 'in summary', 'i understand your',
    'thank you for sharing', 'thank you for asking', 'i appreciate your', 'here are some', 'here is a',
    'would you like me to', 'if you have any', 'good day', 'certainly', 'you would like', 'please proceed',
  ],
  hedging: [
    'i think', 'i guess', 'i believe', 'i suppose', 'i feel like', 'kind of', 'sort of', 'not sure',
    "i'm not sure", 'im not sure', 'if i remember', 'if i recall', 'i forget', 'i forgot', "i don't remember",
    'i dont remember', "can't remember", 'cant remember', "don't recall", 'or something', 'or smth',
    'something like that', 'i think so', 'might be', 'could be', 'not really sure', 'i might',
  ],
  not_knowing: [
    "i don't know", 'i dont know', 'i do not know', 'no idea', 'not sure', "i'm not sure", 'im not sure',
    'no clue', 'i have no clue', 'beats me', "i don't remember", 'i dont remember', "can't remember",
    'cant remember', 'not a clue', "i'm not certain", "couldn't tell you", "i wouldn't know",
  ],
  empathy: [
    'sorry to hear', 'that sucks', 'oh no', "i'm sorry", 'im sorry', "that's rough", 'thats rough',
    'i feel you', 'that must be', 'glad to hear', "that's awesome", 'thats awesome', "that's great",
    'thats great', 'good for you', 'congrats', 'congratulations', 'i hear you', 'hope you feel better',
    "that's cool", 'thats cool', 'that sounds fun', 'sounds fun', 'sounds good', 'sounds great',
    "that's so cool", 'same here', 'me too', 'fair enough', 'i get it', 'i get that', 'no worries',
  ],
  idioms: [
    'spill the beans', 'no big deal', 'hang out', 'hanging out', 'for real', 'to be honest', 'all the time',
    'at the end of the day', 'piece of cake', 'under the weather', 'on the fence', 'hit the spot',
    'a ton', 'a bunch', 'no worries', 'not gonna lie', "what's up", 'whats up', 'catch up', 'chill out',
    'kill time', 'killing time', 'call it a day', 'take it easy', 'up to', 'get into', 'got into',
    'into it', 'a lot', 'a bit', 'a little', 'pretty much', 'big fan', 'no way', 'for sure', 'same here',
    'been there', 'my bad', 'my thing', 'not my thing', 'out of nowhere', 'on my mind', 'in a bit',
    'go figure', 'you know', 'i mean', 'or whatever', 'and stuff', 'and all', 'got it', 'count me in',
    'dying to', 'break the ice', 'cup of tea', 'best of both', 'worth it', 'over the moon', 'mind blown',
  ],
  personal_details: [
    'my mom', 'my mum', 'my dad', 'my parents', 'my wife', 'my husband', 'my kids', 'my kid', 'my son',
    'my daughter', 'my brother', 'my sister', 'my family', 'my dog', 'my cat', 'my job', 'my boss',
    'my friends', 'my friend', 'my class', 'my classes', 'my school', 'my house', 'my apartment',
    'my room', 'my car', 'my girlfriend', 'my boyfriend', 'my roommate', 'my partner', 'my nephews',
    'my nieces', 'my grandma', 'my grandpa', 'my city', 'my town', 'my hometown', 'my major',
    'my teacher', 'my professor', 'my coworkers', 'my team', 'my garden', 'my knee', 'my knees', 'my back',
    'at work', 'i work', 'i live', "i'm from", 'im from', 'i grew up', 'i study', "i'm studying",
    'im studying', 'i go to', 'i moved', 'i have a', 'i have two', 'i got a', 'in college', 'in school',
  ],
  recent_activity: [
    // Phrases holding a time word of TIME_REF (last night, this morning) are left out: the word counts.
    'last week', 'this week', 'last month', 'last year', 'the other day', 'just got', 'just finished',
    'just got back', 'i just', 'recently', 'right now', 'a few days ago', 'a couple days ago',
  ],
  self_correction: [
    'i mean', 'actually', 'wait', 'oops', 'i meant', 'sorry i meant', 'scratch that', 'well actually',
    'or rather', 'let me rephrase', 'to clarify', 'no wait', 'correction',
  ],
  opinion: [
    'i love', 'i hate', 'i like', 'i prefer', 'my favorite', 'my favourite', 'honestly', "i'm obsessed",
    'im obsessed', "i can't stand", 'i cant stand', 'not a fan', "i'd rather", 'id rather', 'the best',
    'the worst', 'overrated', 'underrated', 'i enjoy', 'i really like', 'i really love', 'i adore',
    'i dislike', "i'm into", 'im into', 'so good', 'so bad', 'the worst', 'obsessed with',
  ],
  question_back: [
    'and you', 'what about you', 'how about you', 'what about u', 'how about u', 'and u', 'you?', 'u?',
    'wbu', 'hbu', 'you too?', 'u too?', 'yourself?', 'yours?', 'urs?', 'and yours', 'what about yours',
    'how about yours', 'how bout you', 'how bout u',
  ],
};

/** word -> bit set of W flags. */
export const WORD_FLAGS: ReadonlyMap<string, number> = buildWordFlags();

export interface PhraseEntry {
  /** Remaining words after the first one (the Map key). */
  rest: readonly string[];
  trait: PhraseTrait;
  /** `you?`-style entries must end the turn with a question mark; handled by the extractor. */
  needsQuestionMark: boolean;
}

/** first word -> phrases starting with it, longest first so the longest match wins. */
export const PHRASES_BY_FIRST_WORD: ReadonlyMap<string, readonly PhraseEntry[]> = buildPhraseIndex();

function buildWordFlags(): Map<string, number> {
  const m = new Map<string, number>();
  const add = (list: readonly string[], flag: number) => {
    for (const w of list) m.set(w, (m.get(w) ?? 0) | flag);
  };
  add(SLANG, W.slang);
  add(COLLOQUIAL, W.colloquial);
  add(FORMAL, W.formal);
  add(HEDGE, W.hedge);
  add(FIRST_PERSON, W.firstPerson);
  add(SECOND_PERSON, W.secondPerson);
  add(LAUGH, W.laugh);
  add(INTERJECTION, W.interjection);
  add(PROFANITY, W.profanity);
  add(NOT_KNOWING, W.notKnowing);
  add(DROPPED_APOSTROPHE, W.droppedApostrophe);
  add(TIME_REF, W.timeRef);
  add(QUESTION_OPENER, W.questionOpener);
  add(STOP, W.stop);
  for (const e of buildPhraseIndex().keys()) m.set(e, (m.get(e) ?? 0) | W.phraseStart);
  return m;
}

function buildPhraseIndex(): Map<string, PhraseEntry[]> {
  const index = new Map<string, PhraseEntry[]>();
  for (const [trait, list] of Object.entries(PHRASES) as [PhraseTrait, readonly string[]][]) {
    for (const phrase of list) {
      const needsQuestionMark = phrase.endsWith('?');
      const parts = words(needsQuestionMark ? phrase.slice(0, -1) : phrase);
      const entry: PhraseEntry = { rest: parts.slice(1), trait, needsQuestionMark };
      const list2 = index.get(parts[0]) ?? [];
      list2.push(entry);
      index.set(parts[0], list2);
    }
  }
  for (const list of index.values()) list.sort((a, b) => b.rest.length - a.rest.length);
  return index;
}
