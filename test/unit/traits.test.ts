/**
 * The trait engine, pinned by hand-written chat replies: every trait in the catalog has a reply where it
 * fires and one where it stays at 0 (or low), plus evidence spans, role selection, partner context,
 * per-turn measurement, real-dictionary typos, and a property test over random text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TRAITS, TRAIT_IDS, traitIndex, type TraitId } from '../../src/core/traits/catalog';
import {
  TraitExtractor,
  measureDialogue,
  measurePerTurn,
  measureResponse,
  valuesById,
  type Evidence,
  type Measurement,
} from '../../src/core/traits/extract';
import { PHRASE_TRAIT_ID } from '../../src/core/traits/phraseIndex';
import type { Message, Turns } from '../../src/core/types';

const msg = (role: string, content: string): Message => ({ role, content });

/** What to measure: one reply (optionally with the prompt it answers) or a whole dialogue. */
interface Sample {
  /** A single reply, measured with measureResponse(text, prompt). */
  text?: string;
  prompt?: Turns;
  /** A dialogue, measured with measureDialogue(messages, { role }). */
  messages?: Message[];
  role?: string;
}

/** What the trait's value must be: exactly `value`, or within [min, max]. Negative cases default to 0. */
interface Expect {
  value?: number;
  min?: number;
  max?: number;
  /** The evidence spans of this trait, as text, in text order. */
  spans?: string[];
}

type Case = Sample & Expect;

interface Row {
  trait: string;
  positive: Case;
  negative: Case;
}

function measure(c: Sample, evidence = true): Measurement {
  if (c.messages) return measureDialogue(c.messages, { role: c.role, evidence });
  assert.ok(c.text !== undefined, 'a case needs text or messages');
  return measureResponse(c.text, c.prompt, { evidence });
}

/** Evidence of one trait as [text, start, end], in text order. */
function spansOf(c: Sample, m: Measurement, trait: string): string[] {
  const text = (e: Evidence) => (c.messages ? c.messages[e.turn].content : c.text!);
  return (m.evidence ?? [])
    .filter((e) => e.trait === trait)
    .sort((a, b) => a.turn - b.turn || a.start - b.start || a.end - b.end)
    .map((e) => text(e).slice(e.start, e.end));
}

const words = (n: number) =>
  Array.from({ length: n }, (_, i) => ['we', 'walked', 'along', 'the', 'river', 'and', 'talked', 'about', 'old', 'friends'][i % 10]).join(' ') + '.';

const ROWS: Row[] = [
  {
    trait: 'length',
    positive: { text: 'Honestly the whole trip was great, we hiked for three days, camped by a lake, cooked on a tiny stove and barely saw anyone else the entire time we were out there.', min: 5 },
    negative: { text: 'ok', value: 1 }, // log2(1 + 1 word)
  },
  {
    trait: 'terse_turns',
    positive: { text: 'nah u?', value: 1, spans: ['nah u?'] },
    negative: { text: 'Not really, I stayed home and watched a movie.' },
  },
  {
    trait: 'long_turns',
    positive: { text: words(70), value: 1 },
    negative: { text: words(60) },
  },
  {
    trait: 'relative_length',
    positive: { text: 'I stayed home all weekend and finally finished that huge puzzle my aunt gave me.', prompt: 'hey', value: 3 }, // log2(16) - log2(2)
    negative: { text: 'Nothing much.', prompt: 'What did you get up to this weekend, anything fun or did you just relax at home?', max: -2 },
  },
  {
    trait: 'slang',
    positive: { text: 'ngl that party was lit lol', value: 3 / 6, spans: ['ngl', 'lit', 'lol'] },
    negative: { text: 'The party was fun.' },
  },
  {
    trait: 'colloquial',
    positive: { text: 'yeah it was pretty cool stuff', value: 4 / 6, spans: ['yeah', 'pretty', 'cool', 'stuff'] },
    negative: { text: 'It was an interesting exhibition.' },
  },
  {
    trait: 'lowercase',
    positive: { text: 'i went there yesterday. it was fun', value: 1 },
    negative: { text: 'I went there yesterday. It was fun.' },
  },
  {
    trait: 'unpunctuated_turns',
    positive: { text: 'sounds good to me  ', value: 1, spans: ['e'] },
    negative: { text: 'Sounds good to me :)' },
  },
  {
    trait: 'typos',
    positive: { text: 'I never recieve any mail.', value: 1 / 5, spans: ['recieve'] },
    negative: { text: 'I received the package from Zorblax.' },
  },
  {
    trait: 'dropped_apostrophes',
    positive: { text: 'i dont know, im tired', value: 2 / 5, spans: ['dont', 'im'] },
    negative: { text: "I don't know, I'm tired." },
  },
  {
    trait: 'emoji',
    positive: { text: "that's hilarious 😂😂 :)", value: 3, spans: ['😂', '😂', ':)'] },
    negative: { text: 'That is hilarious, meet me at 10:30.' },
  },
  {
    trait: 'elongation',
    positive: { text: 'sooo good, yesss', value: 2 / 3, spans: ['sooo', 'yesss'] },
    negative: { text: 'So good, yes. Call me at 555.' },
  },
  {
    trait: 'laughter',
    positive: { text: 'hahahaha that is funny lol', value: 2 / 5, spans: ['hahahaha', 'lol'] },
    negative: { text: 'That is funny.' },
  },
  {
    trait: 'exclamation',
    positive: { text: "Wow! That's amazing!", value: 1, spans: ['!', '!'] },
    negative: { text: "That's amazing." },
  },
  {
    trait: 'expressive_punctuation',
    positive: { text: "well... I don't know??", value: 1, spans: ['...', '??'] },
    negative: { text: "Well, I don't know. It costs 3.5 dollars." },
  },
  {
    trait: 'markdown',
    positive: { text: 'Options:\n- **Pasta** with sauce\n- Salad\n## Dessert', value: 3 / 4 },
    negative: { text: 'We could do pasta - or a salad. 2 of us.' },
  },
  {
    trait: 'formal_vocabulary',
    positive: { text: 'Furthermore, it is crucial to utilize appropriate resources.', value: 5 / 8, spans: ['Furthermore', 'crucial', 'utilize', 'appropriate', 'resources'] },
    negative: { text: 'Also you gotta use the right stuff.' },
  },
  {
    trait: 'assistant_phrasing',
    positive: { text: 'Feel free to let me know if you have any questions.', value: 3, spans: ['Feel free', 'let me know', 'if you have any'] },
    negative: { text: 'Ask me whatever, I know a bit.' },
  },
  {
    trait: 'ai_meta',
    positive: { text: "As an AI language model, I don't have personal preferences.", value: 3, spans: ['As an AI', 'language model', "I don't have personal"] },
    negative: { text: 'I like jazz more than rock, my model train set is old.' },
  },
  {
    trait: 'idioms',
    positive: { text: 'no big deal, we just hang out a lot', value: 3 / 9, spans: ['no big deal', 'hang out', 'a lot'] },
    negative: { text: 'It does not matter, we meet often.' },
  },
  {
    trait: 'hedging',
    positive: { text: 'I think it was maybe Tuesday', value: 2 / 6, spans: ['I think', 'maybe'] },
    negative: { text: 'It was Tuesday.' },
  },
  {
    trait: 'admits_not_knowing',
    positive: { text: 'no idea tbh, idk', value: 2, spans: ['no idea', 'idk'] },
    negative: { text: 'It opens at nine, I know that.' },
  },
  {
    trait: 'questions',
    positive: { text: 'What did you eat', value: 1 }, // asks without a question mark
    negative: { text: 'I ate pasta.' },
  },
  {
    trait: 'question_back',
    positive: { text: 'pretty good, you?', value: 1, spans: ['you'] },
    negative: { text: 'Pretty good, thanks. Did you see it?' },
  },
  {
    trait: 'builds_on_partner',
    positive: { text: 'Hiking is fine but the mountains scare me.', prompt: 'Do you like hiking in the mountains?', value: 1, spans: ['Hiking'] },
    negative: { text: 'Not really, I prefer the beach.', prompt: 'Do you like hiking in the mountains?' },
  },
  {
    trait: 'empathy',
    positive: { text: 'oh no, that sucks', value: 2, spans: ['oh no', 'that sucks'] },
    negative: { text: 'The bus was late.' },
  },
  {
    trait: 'first_person',
    positive: { text: 'I love my dog', value: 2 / 4, spans: ['I', 'my'] },
    negative: { text: 'The weather is nice.' },
  },
  {
    trait: 'second_person',
    positive: { text: 'you should try your luck', value: 2 / 5, spans: ['you', 'your'] },
    negative: { text: 'The weather is nice.' },
  },
  {
    trait: 'personal_details',
    positive: { text: 'My sister lives with my mom.', value: 2, spans: ['My sister', 'my mom'] },
    negative: { text: 'The weather is nice, my goodness.' },
  },
  {
    trait: 'recent_activity',
    positive: { text: 'Just got back from the gym, going again on Friday.', value: 2, spans: ['Just got back', 'Friday'] },
    negative: { text: 'Books are nice.' },
  },
  {
    trait: 'numbers',
    positive: { text: "I'm 23 and work till 5", value: 2 / 6, spans: ['23', '5'] },
    negative: { text: "I'm young and work late." },
  },
  {
    trait: 'contractions',
    positive: { text: 'I’m sure it\'s fine', value: 2 / 4, spans: ['I’m', "it's"] },
    negative: { text: 'I am sure it is fine.' },
  },
  {
    trait: 'sentence_length',
    positive: { text: words(30), value: 30 },
    negative: { text: 'Yes. No. Maybe.', value: 1 },
  },
  {
    trait: 'sentence_variety',
    positive: { text: 'Yes. I went to the store yesterday and bought a lot of food for the week.', min: 0.8 },
    negative: { text: 'I went to the store.' },
  },
  {
    trait: 'lexical_variety',
    positive: { text: 'Quick brown foxes jump over lazy dogs while curious cats watch silently from tall green trees nearby.', value: 17 / Math.sqrt(17) },
    negative: { text: 'no no no no no no no no no', value: 1 / 3 },
  },
  {
    trait: 'word_length',
    positive: { text: 'Unquestionably extraordinary circumstances.', min: 12 },
    negative: { text: 'I am ok so do it.', max: 2 },
  },
  {
    trait: 'self_correction',
    positive: { text: 'Wait, actually I meant Tuesday.', value: 3, spans: ['Wait', 'actually', 'I meant'] },
    negative: { text: 'It was Tuesday.' },
  },
  {
    trait: 'opinion',
    positive: { text: 'I love pizza, pineapple on it is overrated.', value: 2, spans: ['I love', 'overrated'] },
    negative: { text: 'Pizza has cheese on it.' },
  },
  {
    trait: 'interjections',
    positive: { text: 'oh well, um yeah', value: 1, spans: ['oh', 'well', 'um', 'yeah'] },
    negative: { text: 'That is fine.' },
  },
  {
    trait: 'profanity',
    positive: { text: "damn that's crap", value: 2 / 3, spans: ['damn', 'crap'] },
    negative: { text: 'That is bad.' },
  },
  {
    trait: 'em_dash',
    positive: { text: 'It was great — really great.', value: 1, spans: ['—'] },
    negative: { text: 'It was great - really great.' },
  },
  {
    trait: 'commas',
    positive: { text: 'Well, yes, I think so, maybe.', value: 3 / 6, spans: [',', ',', ','] },
    negative: { text: 'Yes I think so.' },
  },
  {
    trait: 'paragraphs',
    positive: { text: 'First point.\n\nSecond point.\n \nThird point.', value: 2 },
    negative: { text: 'First point.\nSecond point.' },
  },
  {
    trait: 'length_deviation',
    positive: { text: words(150), min: 3.5 },
    negative: { text: 'I went to the store and bought some bread today.', value: 0 }, // exactly 10 words
  },
  {
    trait: 'turn_length_variety',
    positive: {
      messages: [
        msg('user', 'hi'),
        msg('assistant', 'hey'),
        msg('user', 'what did you do?'),
        msg('assistant', 'I went to the market this morning and bought fresh bread, cheese and a huge bag of apples.'),
      ],
      min: 0.8,
    },
    negative: {
      messages: [msg('user', 'hi'), msg('assistant', 'hey there you'), msg('user', 'what did you do?'), msg('assistant', 'went to market')],
    },
  },
  {
    trait: 'proper_nouns',
    positive: { text: 'We went to Paris with Maria last year.', value: 2 / 8, spans: ['Paris', 'Maria'] },
    negative: { text: "I think I'll go to the city with a friend." },
  },
  {
    trait: 'all_caps',
    positive: { text: 'that was SO good LOL', value: 2 / 5, spans: ['SO', 'LOL'] },
    negative: { text: 'That was so good, I think.' },
  },
  {
    trait: 'lowercase_vs_partner',
    positive: { text: 'i went there. it was fun', prompt: 'What did you do today?', value: 1 },
    negative: { text: 'I went there. It was fun.', prompt: 'What did you do today?' },
  },
  {
    trait: 'slang_vs_partner',
    positive: { text: 'ngl that was lit lol', prompt: 'How was the party?', value: 3 / 5 },
    negative: { text: 'The party was fun.', prompt: 'How was the party?' },
  },
  {
    trait: 'parroting',
    positive: { text: 'Why do you feel sad about your mother?', prompt: 'I feel sad about my mother.', min: 0.6 },
    negative: { text: 'Not really, I prefer the beach.', prompt: 'Do you like hiking in the mountains?' },
  },
];

function check(row: Row, which: 'positive' | 'negative'): void {
  const c = row[which];
  const m = measure(c);
  const v = valuesById(m.values)[row.trait];
  const where = `${row.trait} on ${JSON.stringify(c.text ?? c.messages)}`;
  assert.ok(Number.isFinite(v), `${where}: not a number (${v})`);
  if (c.value !== undefined) assert.ok(Math.abs(v - c.value) < 1e-9, `${where}: expected ${c.value}, got ${v}`);
  if (c.min !== undefined) assert.ok(v >= c.min, `${where}: expected at least ${c.min}, got ${v}`);
  if (c.max !== undefined) assert.ok(v <= c.max, `${where}: expected at most ${c.max}, got ${v}`);
  if (which === 'negative' && c.value === undefined && c.min === undefined && c.max === undefined) {
    assert.equal(v, 0, `${where}: expected 0, got ${v}`);
  }
  if (which === 'positive') {
    const neg = valuesById(measure(row.negative).values)[row.trait];
    assert.ok(v > neg, `${row.trait}: positive case (${v}) must score above the negative one (${neg})`);
  }
  if (c.spans) assert.deepEqual(spansOf(c, m, row.trait), c.spans, `${where}: evidence spans`);
  if (which === 'negative') assert.deepEqual(spansOf(c, m, row.trait), [], `${where}: no evidence expected`);
}

describe('every trait: a reply where it fires and one where it does not', () => {
  test('every trait in the catalog has a row (a new trait needs cases here)', () => {
    const covered = ROWS.map((r) => r.trait);
    const missing = TRAIT_IDS.filter((id) => !covered.includes(id));
    assert.deepEqual(missing, [], `traits without test cases: ${missing.join(', ')}`);
    const unknown = covered.filter((id) => traitIndex(id) < 0);
    assert.deepEqual(unknown, [], `rows for traits the catalog does not have: ${unknown.join(', ')}`);
    const dup = covered.filter((id, i) => covered.indexOf(id) !== i);
    assert.deepEqual(dup, [], 'one row per trait');
    assert.equal(TRAITS.length, TRAIT_IDS.length);
  });

  test('trait ids are typed from the catalog: an evidence mark with a misspelt id does not compile', () => {
    // Checked when the tests are built (scripts/build.mjs --tests type-checks test/): an @ts-expect-error
    // with no error under it is itself an error, so these lines fail the build if TraitId widens to string.
    // @ts-expect-error 'slagn' is not a catalog trait id
    const misspelt: Evidence = { turn: 0, start: 0, end: 1, trait: 'slagn' };
    // @ts-expect-error the scanner's marks take catalog ids only (never called: a type check of the private mark)
    const markMisspelt = (x: TraitExtractor) => x['mark'](0, 0, 1, 'lowercse');
    void markMisspelt;
    const spelt: TraitId = 'lowercase';
    assert.equal(traitIndex(misspelt.trait), -1);
    assert.ok(traitIndex(spelt) >= 0);
    // The phrase traits' evidence ids are typed the same way; at run time, each is in the catalog.
    for (const id of Object.values(PHRASE_TRAIT_ID)) assert.ok(traitIndex(id) >= 0, id);
  });

  for (const row of ROWS) {
    test(`${row.trait}: positive`, () => check(row, 'positive'));
    test(`${row.trait}: negative`, () => check(row, 'negative'));
  }
});

describe('evidence spans', () => {
  test('phrase spans cover the whole phrase, word spans the word, across turns', () => {
    const messages = [
      msg('user', 'how was the trip?'),
      msg('assistant', 'Honestly sooo good lol 😂'),
      msg('user', 'nice, where did you go?'),
      msg('assistant', 'We drove to Denver. I think it was like 900 miles, no big deal'),
    ];
    const m = measureDialogue(messages, { evidence: true });
    const found = (trait: string) =>
      (m.evidence ?? []).filter((e) => e.trait === trait).map((e) => [e.turn, messages[e.turn].content.slice(e.start, e.end)]);
    assert.deepEqual(found('elongation'), [[1, 'sooo']]);
    assert.deepEqual(found('laughter'), [[1, 'lol']]);
    assert.deepEqual(found('emoji'), [[1, '😂']]);
    assert.deepEqual(found('opinion'), [[1, 'Honestly']]);
    assert.deepEqual(found('proper_nouns'), [[3, 'Denver']]);
    assert.deepEqual(found('numbers'), [[3, '900']]);
    assert.deepEqual(found('hedging'), [[3, 'I think']]);
    assert.deepEqual(found('idioms'), [[3, 'no big deal']]);
    assert.deepEqual(found('unpunctuated_turns'), [[3, 'l']]);
    for (const e of m.evidence ?? []) {
      assert.equal(messages[e.turn].role, 'assistant', 'evidence only in measured turns');
      assert.ok(e.start >= 0 && e.start <= e.end && e.end <= messages[e.turn].content.length, `span in bounds: ${JSON.stringify(e)}`);
      assert.ok(TRAIT_IDS.includes(e.trait), `evidence names a catalog trait: ${e.trait}`);
    }
  });

  test('an emoji with a skin tone, a ZWJ family and ❤️ are one emoji each', () => {
    const text = 'ok 👍🏽 👨‍👩‍👧 ❤️';
    const m = measureResponse(text, undefined, { evidence: true });
    assert.equal(valuesById(m.values).emoji, 3);
    assert.deepEqual(spansOf({ text }, m, 'emoji'), ['👍', '👨', '❤']);
    assert.equal(valuesById(m.values).unpunctuated_turns, 0, 'an emoji ends a turn like punctuation');
  });

  test('without evidence requested there are no spans', () => {
    assert.equal(measureResponse('lol ok').evidence, undefined);
    assert.equal(measureDialogue([msg('assistant', 'lol ok')], { evidence: false }).evidence, undefined);
  });

  test(
    'a lone high surrogate at the end of a turn keeps its span in bounds',
    () => {
      for (const text of ['ok \ud83d', '\ud83d']) {
        const m = measureResponse(text, undefined, { evidence: true });
        for (const e of m.evidence ?? []) assert.ok(e.end <= text.length, `${JSON.stringify(text)}: span ${e.start}-${e.end} past ${text.length}`);
      }
    },
  );
});

describe('property: any text', () => {
  const chatTokens = [
    'lol', 'I', 'i', "I'm", 'im', 'dont', 'you?', 'wbu', 'sooo', 'Paris', 'WOW', 'recieve', 'yesterday', 'I think',
    'no big deal', 'as an AI', 'feel free', '😂', '👍🏽', '👨‍👩‍👧', '❤️', ':)', ':-(', '<3', '10:30', '3.5', 'e.g.',
    '...', '…', '!!', '?', '?!', '.', ',', '—', '**', '- ', '# ', '1. ', '\n', '\n\n', '\r\n', '\t', '\u00a0', "'", '’',
  ];
  const token = fc.oneof(
    { arbitrary: fc.constantFrom(...chatTokens), weight: 4 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 4 }), weight: 1 },
  );
  const text = fc.array(fc.tuple(token, fc.constantFrom('', ' ', ' ', '\n')), { maxLength: 25 }).map((parts) => parts.map(([t, s]) => t + s).join(''));
  const role = fc.constantFrom('user', 'assistant', 'system', 'agent_1');
  const dialogue = fc.array(fc.record({ role, content: text }), { maxLength: 6 });

  function checkMeasurement(m: Measurement, contentOf: (turn: number) => string | undefined): void {
    assert.equal(m.values.length, TRAITS.length);
    TRAITS.forEach((t, k) => {
      const v = m.values[k];
      assert.ok(Number.isFinite(v), `${t.id} is ${v}`);
      assert.ok(v >= t.range[0] && v <= t.range[1], `${t.id} = ${v} outside [${t.range}]`);
    });
    for (const e of m.evidence ?? []) {
      const content = contentOf(e.turn);
      assert.ok(content !== undefined, `evidence in turn ${e.turn}, which is not measured`);
      assert.ok(Number.isInteger(e.start) && Number.isInteger(e.end));
      assert.ok(e.start >= 0 && e.start <= e.end && e.end <= content.length, `${e.trait} span ${e.start}-${e.end} outside 0-${content.length}`);
      assert.ok(TRAIT_IDS.includes(e.trait), e.trait);
    }
  }

  test('measureDialogue never throws, stays in range, keeps spans in bounds; evidence changes nothing else', () => {
    fc.assert(
      fc.property(dialogue, fc.constantFrom('assistant', 'agent_1'), (messages, r) => {
        const on = measureDialogue(messages, { role: r, evidence: true });
        const values = Float64Array.from(on.values);
        const off = measureDialogue(messages, { role: r });
        assert.equal(off.evidence, undefined);
        assert.ok(Array.isArray(on.evidence));
        assert.deepEqual(off.values, values);
        assert.equal(on.turns, messages.filter((x) => x.role === r).length);
        checkMeasurement(on, (t) => (messages[t]?.role === r ? messages[t].content : undefined));
      }),
      { numRuns: 150 },
    );
  });

  test('measureResponse and measurePerTurn too', () => {
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), dialogue, (reply, prompt, messages) => {
        const on = measureResponse(reply, prompt, { evidence: true });
        const off = measureResponse(reply, prompt);
        assert.deepEqual(off.values, on.values);
        assert.equal(on.turns, 1);
        checkMeasurement(on, (t) => (t === 0 ? reply : undefined));

        const perTurn = measurePerTurn(messages, { evidence: true });
        assert.deepEqual(perTurn.map((p) => p.turn), messages.flatMap((x, i) => (x.role === 'assistant' ? [i] : [])));
        for (const p of perTurn) {
          assert.equal(p.measurement.turns, 1);
          checkMeasurement(p.measurement, (t) => (t === p.turn ? messages[t].content : undefined));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('role selection and context', () => {
  const game = [
    msg('system', 'You are a witness in a Turing test. Talk about hiking lol.'),
    msg('user', 'hey whats up'),
    msg('assistant', 'Not much, just got back from a hike.'),
    msg('user', 'nice, where did you hike?'),
    msg('assistant', 'lol up in the hills near Boulder, you?'),
  ];

  test('only assistant turns are measured by default; system and user text is ignored', () => {
    const m = measureDialogue(game, { evidence: true });
    assert.equal(m.turns, 2);
    const v = valuesById(m.values);
    assert.equal(v.laughter, 1 / 16, 'one "lol" in 16 assistant words; the system prompt\'s lol does not count');
    assert.equal(v.question_back, 1 / 2);
    assert.ok((m.evidence ?? []).every((e) => e.turn === 2 || e.turn === 4));
    // The same turns without the system message measure the same.
    assert.deepEqual(measureDialogue(game.slice(1)).values, m.values);
  });

  test("another speaker's turns with role (topical-chat agent_1)", () => {
    const chat = [
      msg('agent_1', 'Are you a football fan?'),
      msg('agent_2', "yes, I'm a big fan lol"),
      msg('agent_1', 'Did you know the visiting locker room in Iowa is painted pink?'),
      msg('agent_2', 'No way, thats hilarious'),
    ];
    const a1 = measureDialogue(chat, { role: 'agent_1', evidence: true });
    assert.equal(a1.turns, 2);
    assert.equal(valuesById(a1.values).laughter, 0);
    assert.equal(valuesById(a1.values).questions, 1);
    assert.ok((a1.evidence ?? []).every((e) => e.turn === 0 || e.turn === 2));
    const a2 = measureDialogue(chat, { role: 'agent_2' });
    assert.equal(a2.turns, 2);
    assert.ok(valuesById(a2.values).laughter > 0);
    assert.equal(valuesById(a2.values).dropped_apostrophes, 1 / 10);
    // Nobody speaks as `assistant` here: nothing is measured.
    const none = measureDialogue(chat, { evidence: true });
    assert.equal(none.turns, 0);
    assert.deepEqual(none.evidence, []);
    assert.equal(valuesById(none.values).laughter, 0);
  });

  test('a system message is neither a turn nor partner context', () => {
    const withSystem = [msg('user', 'hey'), msg('system', 'Remember to mention hiking and the mountains today'), msg('assistant', 'just got back from hiking in the mountains')];
    const v = valuesById(measureDialogue(withSystem).values);
    assert.equal(v.builds_on_partner, 0, 'the system text is not what the partner said');
    assert.equal(v.relative_length, Math.log2(1 + 8) - Math.log2(1 + 1), 'partner words per turn come from the user only');
    const withUser = valuesById(measureDialogue([msg('user', 'did you go hiking?'), msg('assistant', 'just got back from hiking in the mountains')]).values);
    assert.equal(withUser.builds_on_partner, 1);
  });

  test('partner context: relative length and building on the previous partner turn', () => {
    const long = 'I went to the farmers market this morning and bought way too many peaches again.';
    assert.equal(valuesById(measureResponse(long).values).relative_length, 0, 'no partner: 0');
    const vsShort = valuesById(measureResponse(long, 'hey').values).relative_length;
    const vsLong = valuesById(measureResponse('peaches!', 'What did you do this morning before work, anything fun at the market?').values).relative_length;
    assert.ok(vsShort > 2, `long reply to a short prompt: ${vsShort}`);
    assert.ok(vsLong < -2, `short reply to a long prompt: ${vsLong}`);
    // A conversational prompt: the last non-assistant message is the context, earlier ones are not.
    const prompt = [msg('user', 'do you like peaches?'), msg('assistant', 'sure'), msg('user', 'what about plums?')];
    assert.equal(valuesById(measureResponse('plums are great', prompt).values).builds_on_partner, 1);
    assert.equal(valuesById(measureResponse('peaches are great', prompt).values).builds_on_partner, 0);
    // Stop words and short words do not count as building on the partner.
    assert.equal(valuesById(measureResponse('what about it', 'what about that?').values).builds_on_partner, 0);
    // Case does not matter.
    assert.equal(valuesById(measureResponse('PLUMS rule', 'what about plums?').values).builds_on_partner, 1);
  });

  test('builds_on_partner is the share of replies that reuse a partner word', () => {
    const messages = [
      msg('user', 'Do you have any pets?'),
      msg('assistant', 'Two cats and a dog.'),
      msg('user', 'What are the cats called?'),
      msg('assistant', 'The cats are Miso and Tofu.'),
    ];
    const m = measureDialogue(messages, { evidence: true });
    assert.equal(valuesById(m.values).builds_on_partner, 1 / 2);
    const ev = (m.evidence ?? []).filter((e) => e.trait === 'builds_on_partner');
    assert.deepEqual(ev.map((e) => [e.turn, messages[e.turn].content.slice(e.start, e.end)]), [[3, 'cats']]);
  });
});

describe('measurePerTurn', () => {
  const messages = [
    msg('system', 'be casual'),
    msg('user', 'how was your weekend?'),
    msg('assistant', 'Great, thanks for asking. I went hiking.'),
    msg('user', 'oh nice where'),
    msg('assistant', 'lol just the local hills, nothing fancy'),
    msg('assistant', 'wbu'),
  ];

  test('one measurement per turn of the role, each with the previous partner turn as context', () => {
    const per = measurePerTurn(messages, { evidence: true });
    assert.deepEqual(per.map((p) => p.turn), [2, 4, 5]);
    assert.ok(per.every((p) => p.measurement.turns === 1));
    assert.deepEqual(per[0].measurement.values, measureDialogue([messages[1], messages[2]]).values);
    assert.deepEqual(per[1].measurement.values, measureDialogue([messages[3], messages[4]]).values);
    assert.deepEqual(per[2].measurement.values, measureDialogue([messages[3], messages[5]]).values);
    assert.equal(valuesById(per[2].measurement.values).question_back, 1);
    assert.equal(valuesById(per[0].measurement.values).laughter, 0);
  });

  test('evidence turn indices point into the whole dialogue', () => {
    const per = measurePerTurn(messages, { evidence: true });
    for (const p of per) {
      assert.ok(p.measurement.evidence && p.measurement.evidence.length > 0);
      for (const e of p.measurement.evidence) {
        assert.equal(e.turn, p.turn);
        assert.ok(e.end <= messages[e.turn].content.length);
      }
    }
    const lol = per[1].measurement.evidence!.find((e) => e.trait === 'laughter')!;
    assert.equal(messages[lol.turn].content.slice(lol.start, lol.end), 'lol');
    const wbu = per[2].measurement.evidence!.find((e) => e.trait === 'question_back')!;
    assert.equal(messages[wbu.turn].content.slice(wbu.start, wbu.end), 'wbu');
  });

  test('role option and no evidence', () => {
    const per = measurePerTurn(messages, { role: 'user' });
    assert.deepEqual(per.map((p) => p.turn), [1, 3]);
    assert.ok(per.every((p) => p.measurement.evidence === undefined));
    assert.deepEqual(measurePerTurn(messages, { role: 'nobody' }), []);
  });
});

describe('typos use the real English dictionary', () => {
  const typos = (text: string) => {
    const m = measureResponse(text, undefined, { evidence: true });
    return { value: valuesById(m.values).typos, words: spansOf({ text }, m, 'typos') };
  };

  test('"recieve" is a typo, "received" is not', () => {
    assert.deepEqual(typos('I did not recieve it'), { value: 1 / 5, words: ['recieve'] });
    assert.deepEqual(typos('I received it yesterday'), { value: 0, words: [] });
  });

  test('a capitalized name mid-sentence is not a typo; at a sentence start an unknown word is', () => {
    assert.deepEqual(typos('yesterday I met Zorblax and Quentavious at the mall'), { value: 0, words: [] });
    assert.deepEqual(typos('Zorblax is here.').words, ['Zorblax']);
  });

  test('slang, contractions, curly apostrophes, numbers, acronyms, laughs and elongations are not typos', () => {
    assert.deepEqual(typos("lol ngl it's fine, they're sure it doesn't matter, don’t worry").words, []);
    assert.deepEqual(typos('we left at 10pm with 3 friends from NASA').words, []);
    assert.deepEqual(typos('hahahahah sooooo good').words, []);
    assert.deepEqual(typos("my sister's car and Jim's dog").words, []);
  });

  test('a fresh extractor gives the same verdicts (memoized dictionary)', () => {
    const x = new TraitExtractor();
    const a = x.measureResponse('I did not recieve the pacakge').values;
    assert.deepEqual(a, measureResponse('I did not recieve the pacakge').values);
    assert.equal(valuesById(a).typos, 2 / 6);
  });
});

describe('known double counts (bugs in the lexicon or the phrase matcher)', () => {
  test('"am" in "I am" is not a time reference', () => {
    assert.equal(valuesById(measureResponse('I am happy to see you.').values).recent_activity, 0);
  });

  test(
    'a time word that is also a recent_activity phrase counts once',
    () => {
      assert.equal(valuesById(measureResponse('I saw it yesterday.').values).recent_activity, 1);
      assert.equal(valuesById(measureResponse('We went hiking last weekend.').values).recent_activity, 1);
    },
  );

  test(
    'a phrase nested in a longer phrase of the same trait counts once',
    () => {
      const v = valuesById(measureResponse("I'm not sure.").values);
      assert.equal(v.admits_not_knowing, 1);
      assert.equal(v.hedging, 1 / 3);
      assert.equal(valuesById(measureResponse('I hope this helps!').values).assistant_phrasing, 1);
    },
  );
});

describe('a measurement without turns', () => {
  test(
    'carries all-zero values, as Measurement.turns documents',
    () => {
      const onlyPartner = measureDialogue([msg('user', 'hi')]);
      assert.equal(onlyPartner.turns, 0);
      assert.deepEqual(Object.entries(valuesById(onlyPartner.values)).filter(([, v]) => v !== 0), []);
      assert.deepEqual(Object.entries(valuesById(measureDialogue([]).values)).filter(([, v]) => v !== 0), []);
    },
  );
});
