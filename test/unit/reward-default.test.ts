/**
 * The shipped default model reads right where any person is sure: a casual chat turn beats an
 * assistant-style reply, and a reply that says it is an AI never beats a plain human turn. Each turn is
 * scored as the inline annotations score it: with the partner's turn before it as context.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { scoreJsonlFile, type LineResult } from '../../src/core/score';
import { TraitExtractor } from '../../src/core/traits/extract';
import { parseTranscript } from '../../src/core/transcript';
import type { Message } from '../../src/core/types';
import { repoRoot } from './paths';

let model: RewardModel;
const x = new TraitExtractor();
before(async () => (model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'))));
after(() => model.dispose());

async function score(content: string, partner?: string): Promise<number> {
  const messages: Message[] = partner !== undefined ? [{ role: 'user', content: partner }, { role: 'assistant', content }] : [{ role: 'assistant', content }];
  return (await model.scoreRows([x.measureDialogue(messages, { role: 'assistant' }).values])).score[0];
}

describe('the default model on the sample transcript', () => {
  test('every casual assistant turn outscores every assistant-style one', async () => {
    const turns = parseTranscript(readFileSync(join(repoRoot, 'samples', 'workspace', 'transcript.md'), 'utf8'));
    const scored: { content: string; score: number }[] = [];
    for (let i = 0; i < turns.length; i++) {
      if (turns[i].role !== 'assistant') continue;
      const partner = i > 0 && turns[i - 1].role === 'user' ? turns[i - 1].content : undefined;
      scored.push({ content: turns[i].content, score: await score(turns[i].content, partner) });
    }
    // The sample's assistant-style turns are the ones that open with "Certainly".
    const formal = scored.filter((s) => s.content.startsWith('Certainly'));
    const casual = scored.filter((s) => !s.content.startsWith('Certainly'));
    assert.equal(formal.length, 2);
    assert.equal(casual.length, 3);
    for (const c of casual) for (const f of formal) assert.ok(c.score > f.score, `${JSON.stringify(c.content)} (${c.score.toFixed(2)}) should outscore ${JSON.stringify(f.content)} (${f.score.toFixed(2)})`);
  });

  test('a terse human reply beats a cheerful generic assistant one, alone and after the question it answers', async () => {
    // The pair: "meh" is an interjection (not slang), "yours?" returns the question, and
    // "productive ... tasks" is assistant register (far more common in the formal replies of the
    // casual-vs-formal pairs than in their casual ones, absent from the Turing games' people).
    const terse = 'meh. long. yours?';
    const generic = 'It was great! I had a productive day and accomplished many tasks. How about you?';
    for (const partner of [undefined, 'how was your day?']) {
      const t = await score(terse, partner);
      const g = await score(generic, partner);
      assert.ok(t > g, `after ${JSON.stringify(partner)}: ${JSON.stringify(terse)} (${t.toFixed(2)}) should outscore ${JSON.stringify(generic)} (${g.toFixed(2)})`);
    }
  });

  test('the issue\'s single turns read right: a casual turn beats an assistant reply that says it is an AI', async () => {
    assert.ok((await score('honestly pretty chill lol, went hiking sat. you?')) > (await score('Certainly! I would be happy to share some recommendations. As an AI, I do not watch television myself; however, many viewers enjoy acclaimed series such as "Breaking Bad".')));
  });
});

describe('the default model on the sample pairs', () => {
  async function lines(file: string, candidates: boolean): Promise<LineResult[]> {
    const out: LineResult[] = [];
    for await (const r of scoreJsonlFile(join(repoRoot, 'samples', 'workspace', file), model, { candidates })) out.push(r);
    return out;
  }

  test('pairs.jsonl: the chosen reply wins where a person is sure (lines 1, 3, 4)', async () => {
    const scored = await lines('pairs.jsonl', false);
    assert.equal(scored.length, 4);
    for (const r of scored) {
      assert.equal(r.kind, 'pair');
      if (r.kind !== 'pair' || r.line === 2) continue;
      assert.ok(r.result.margin > 0, `line ${r.line}: margin ${r.result.margin.toFixed(2)}`);
    }
  });

  // Not pinned: line 2 ("ooh tough one. curious, chatty, kinda stubborn lol. you?" over "Precise.
  // Professional. Knowledgeable.") is the model card's known limit: slang and laughter dense in one short
  // turn cost (the Turing games' persona AIs overdo them), and three formal words are short enough to
  // read as a person's fragment. Every fix tried lowered cross-validated accuracy (models/README.md).

  test('demo.pairs.jsonl: the reply a person would pick is the best candidate (lunch, weekend, bot, rain)', async () => {
    const scored = await lines('demo.pairs.jsonl', true);
    // Candidate numbers (1-based) of the human reply on each line; three-words (line 3) is the limit above.
    const human: Record<number, number> = { 1: 2, 2: 1, 4: 2, 5: 1 };
    for (const r of scored) {
      assert.equal(r.kind, 'candidates');
      if (r.kind !== 'candidates' || human[r.line] === undefined) continue;
      assert.equal(r.result.best, human[r.line], `line ${r.line}: ${r.result.candidates.map((c) => c.score.toFixed(2)).join(', ')}`);
    }
  });
});

describe('a reply saying it is an AI', () => {
  // Plain human turns: the issue's, and real chat turns of the Turing games' human witnesses, with and
  // without slang. Scored as single turns, as the issue measured them.
  const human = [
    'yeah i would pasta, its lowkey basic but so good, u?',
    'honestly pretty chill lol, went hiking sat. you?',
    'meh. long. yours?',
    'at the moment it is baking',
    'mainly cakes and cookies, sometimes brownies',
    'Pretty good, how are you?',
    "I'm watching the boys w my roommate, its rly good",
    'Yes, I bought a hot pot and some toys for my two nephews.',
  ];
  // Replies that say they are an AI: the issue's, openings of real assistant replies, and casual ones.
  const ai = [
    "I'm afraid I don't have personal preferences or emotions, nor do I have a bucket list.",
    'Certainly! I would be happy to share some recommendations. As an AI, I do not watch television myself; however, many viewers enjoy acclaimed series such as "Breaking Bad".',
    "I'm an artificial intelligence language model, I don't have personal experiences or opinions.",
    'As an AI, I do not have a favorite food.',
    'I am a language model, so no weekend plans for me!',
    "I'm just an AI, but I'd say pizza.",
  ];

  test('never outscores a plain human turn', async () => {
    for (const h of human) {
      const hs = await score(h);
      for (const a of ai) {
        const as = await score(a);
        assert.ok(hs > as, `${JSON.stringify(h)} (${hs.toFixed(2)}) should outscore ${JSON.stringify(a)} (${as.toFixed(2)})`);
      }
    }
  });

  test("'As an AI' talk costs at least its declared first-occurrence cost, whatever the rest of the reply", async () => {
    const ai = model.traitIds.indexOf('ai_meta');
    const shape = model.spec.shapes!.traits[ai];
    // One occurrence per turn against none, read off the model's own shape for the trait.
    const { contribution } = await import('../../src/core/reward/shape');
    assert.ok(contribution(model.spec, ai, 1) - contribution(model.spec, ai, 0) <= -5 + 1e-9, JSON.stringify(shape.values));
  });
});

describe('where a value sits on its shape (hover and inspector)', () => {
  test('the sparkline follows fᵢ and puts ● in the cell of the value; beyond the knots it sits at the end', async () => {
    const { shapeSparkline, contribution } = await import('../../src/core/reward/shape');
    const j = model.traitIds.indexOf('ai_meta');
    const none = shapeSparkline(model.spec, j, 0)!;
    assert.equal([...none].length, 12);
    assert.equal([...none][0], '●', 'no AI talk: the first cell');
    // 'As an AI' talk can only cost: the blocks never rise.
    const blocks = [...shapeSparkline(model.spec, j, 1e9)!].slice(0, -1);
    assert.equal([...shapeSparkline(model.spec, j, 1e9)!].at(-1), '●', 'far past the last knot: the last cell');
    const heights = blocks.map((b) => '▁▂▃▄▅▆▇█'.indexOf(b));
    assert.deepEqual(heights, [...heights].sort((a, b) => b - a), blocks.join(''));
    assert.ok(contribution(model.spec, j, 1) < contribution(model.spec, j, 0));
  });

  test('a linear model has no shape to show', async () => {
    const { shapeSparkline } = await import('../../src/core/reward/shape');
    const linear = await RewardModel.load(join(repoRoot, 'test', 'fixtures', 'models', 'linear-v1.onnx'));
    try {
      assert.equal(shapeSparkline(linear.spec, 0, 1), undefined);
    } finally {
      await linear.dispose();
    }
  });
});
