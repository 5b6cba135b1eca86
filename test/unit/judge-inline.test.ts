/**
 * Inline annotations and preview diffs with a reward model that weighs LLM-judge traits: ratings come
 * from what is already paid for (a ratings file, the judge cache), an item without them is unrated
 * (never scored with made-up ratings), and once rated through the real judge client and the local
 * OpenAI-compatible test server, the item's score is the model's formula over lexical + judge traits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AnnotationEngine, hoverMarkdown, RATE_VISIBLE_COMMAND, type LineSource } from '../../src/extension/annotations/engine';
import { JudgeCache } from '../../src/core/judge/cache';
import { ChatClient } from '../../src/core/judge/client';
import { Judge } from '../../src/core/judge/judge';
import { KnownRatings } from '../../src/core/judge/known';
import { RatingsTable, rateFile, ratedLineToJson } from '../../src/core/judge/ratings';
import { scoreWithJudgeRatings } from '../../src/core/judge/score';
import { HAL_STATEMENTS, judgeTraitId, withRatings } from '../../src/core/judge/traits';
import { scorePreview } from '../../src/core/preview/diff';
import { RewardModel } from '../../src/core/reward/model';
import { TraitExtractor } from '../../src/core/traits/extract';
import { startJudgeServer, type JudgeServer } from '../support/judgeServer';
import { fitJudgeSpec } from '../support/judgeModel';
import { requireShared } from './paths';

let dir: string;
let model: RewardModel;
let server: JudgeServer;
let cache: JudgeCache;
let judge: Judge;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-judge-inline-'));
  const games = requireShared('turing/games.dev.jsonl');
  const table = await RatingsTable.load([requireShared('turing/judge_ratings.dev.jsonl')]);
  model = await RewardModel.fromSpec(await fitJudgeSpec(games, table));
  server = await startJudgeServer();
  cache = new JudgeCache(join(dir, 'cache'));
  judge = new Judge(new ChatClient({ baseUrl: server.url, model: 'inline-judge', maxRetries: 0, requestsPerMinute: 6000 }), cache);
});

after(async () => {
  await model?.dispose();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (text: string): LineSource & { id: string } => {
  const all = text.split('\n');
  return { id: text, lineCount: all.length, lineAt: (i) => all[i] };
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('a transcript turn is unrated until the judge rates it, then scored with its judge traits, without another request', async () => {
  assert.equal(model.usesJudge, true);
  const transcript = '**User:** hey whats up\n\n**Assistant:** nm lol, just got back from the gym. u?\n\n**User:** same\n\n**Assistant:** Hello! How can I assist you today?\n';
  const engine = new AnnotationEngine();
  const known = new KnownRatings([], { cache, judgeName: 'inline-judge' });
  const range = [{ start: 0, end: 20 }];
  await assert.rejects(engine.annotate('markdown', lines(transcript), range, model, 'm', 'assistant'), /weighs LLM-judge ratings/);

  const before = server.requests;
  const unrated = await engine.annotate('markdown', lines(transcript), range, model, 'm', 'assistant', known);
  assert.equal(server.requests, before, 'looking up ratings never calls the judge');
  assert.equal(unrated.length, 2);
  for (const a of unrated) {
    assert.ok(a.unrated, 'no ratings yet');
    assert.ok(Number.isNaN(a.score), 'not scored with made-up ratings');
    assert.equal(a.traits.length, 0);
    assert.match(a.text, /needs LLM-judge ratings/);
    assert.ok(hoverMarkdown(a).includes(`(command:${RATE_VISIBLE_COMMAND})`), 'the hover offers to rate');
  }
  // The conversation to rate is the turn in its context: the partner's turn before it, then the turn.
  assert.deepEqual(unrated[0].unrated!.conversations, [
    [
      { role: 'user', content: 'hey whats up' },
      { role: 'assistant', content: 'nm lol, just got back from the gym. u?' },
    ],
  ]);

  for (const a of unrated) for (const c of a.unrated!.conversations) await judge.rate(c, a.unrated!.role);
  assert.equal(server.requests, before + 2);
  const scored = await engine.annotate('markdown', lines(transcript), range, model, 'm', 'assistant', known);
  assert.equal(server.requests, before + 2, 'the annotations read the cache');
  assert.equal(scored.length, 2);
  const x = new TraitExtractor();
  for (const [i, a] of scored.entries()) {
    assert.equal(a.unrated, undefined);
    const conversation = unrated[i].unrated!.conversations[0];
    const ratings = (await known.find(conversation, 'assistant'))!;
    const expected = await model.scoreRows([withRatings(x.measureDialogue(conversation, { role: 'assistant' }).values, ratings)]);
    assert.ok(Math.abs(a.score - expected.score[0]) < 1e-9, `turn ${i}: the model's score over lexical + judge traits`);
    assert.ok(Math.abs(a.bias + sum(a.traits.map((t) => t.contribution)) - a.score) < 1e-9, 'score = bias + Σ contributions');
    const hal01 = a.traits.find((t) => t.id === judgeTraitId(1))!;
    assert.equal(hal01.label, 'Judge: brief, casual');
    assert.match(hal01.description, new RegExp(HAL_STATEMENTS[0].replace(/[.,]/g, '.')));
    // The test server rates statement 1 as 5 when the speaker says "lol".
    assert.equal(hal01.value, i === 0 ? 5 : 1);
    assert.match(hoverMarkdown(a), /`judge\.hal01` \| [15]\.00 \|/);
  }
});

test('JSONL pair lines use the ratings file beside them and score exactly as styletune score --judge-ratings', async () => {
  const pair = (chosen: string, rejected: string) => JSON.stringify({ prompt: [{ role: 'user', content: 'any plans tonight?' }], chosen, rejected });
  const text = [pair('prob just netflix lol', 'I do not have personal plans, as I am an AI.'), pair('idk yet, maybe tacos', 'Evening plans vary.')].join('\n') + '\n';
  const file = join(dir, 'pairs.jsonl');
  writeFileSync(file, text);
  const rated: string[] = [];
  for await (const r of rateFile(file, judge)) rated.push(JSON.stringify(ratedLineToJson(r, 'inline-judge')));
  const ratingsFile = join(dir, 'pairs.ratings.jsonl');
  writeFileSync(ratingsFile, rated.join('\n') + '\n');
  const table = await RatingsTable.load([ratingsFile]);

  const engine = new AnnotationEngine();
  const annotated = await engine.annotate('jsonl', lines(text), [{ start: 0, end: 5 }], model, 'm', 'assistant', new KnownRatings([table]));
  const cli = new Map<number, number>();
  for await (const r of scoreWithJudgeRatings(file, model, table)) if (r.kind === 'pair') cli.set(r.line, r.result.margin);
  assert.equal(annotated.length, 2);
  for (const a of annotated) assert.ok(Math.abs(a.score - cli.get(a.line + 1)!) < 1e-9, `line ${a.line + 1}: the margin the CLI gives`);

  // A line edited after rating has no ratings for its new side: that side is named as the one to rate.
  const edited = text.replace('Evening plans vary.', 'Evening plans vary a lot.');
  const after = await new AnnotationEngine().annotate('jsonl', lines(edited), [{ start: 0, end: 5 }], model, 'm', 'assistant', new KnownRatings([table]));
  assert.equal(after[0].unrated, undefined);
  assert.equal(after[1].unrated?.conversations.length, 1);
  assert.equal(after[1].unrated?.conversations[0].at(-1)?.content, 'Evening plans vary a lot.');
  assert.deepEqual(after[1].sides?.names, ['chosen', 'rejected']);
});

test('JSONL candidate lines are unrated until their candidates are rated, then scored with each one’s judge traits', async () => {
  const text = JSON.stringify({ prompt: 'u up?', responses: ['ya lol cant sleep', 'Yes, I am available to assist you.', 'mhm'] }) + '\n';
  const known = new KnownRatings([], { cache, judgeName: 'inline-judge' });
  const engine = new AnnotationEngine();
  const [unrated] = await engine.annotate('jsonl', lines(text), [{ start: 0, end: 1 }], model, 'm', 'assistant', known);
  assert.equal(unrated.kind, 'candidates');
  assert.ok(unrated.unrated && Number.isNaN(unrated.score));
  // Each candidate as the judge sees it: the prompt (the partner's turn), then the candidate.
  assert.deepEqual(unrated.unrated.conversations.map((c) => c.map((m) => m.content)), [['u up?', 'ya lol cant sleep'], ['u up?', 'Yes, I am available to assist you.'], ['u up?', 'mhm']]);
  for (const c of unrated.unrated.conversations) await judge.rate(c, 'assistant');
  const [scored] = await engine.annotate('jsonl', lines(text), [{ start: 0, end: 1 }], model, 'm', 'assistant', known);
  assert.equal(scored.unrated, undefined);
  const x = new TraitExtractor();
  const rows = await Promise.all(
    unrated.unrated.conversations.map(async (c, i) => withRatings(x.measureResponse(['ya lol cant sleep', 'Yes, I am available to assist you.', 'mhm'][i], 'u up?', { role: 'assistant' }).values, (await known.find(c, 'assistant'))!)),
  );
  const expected = [...(await model.scoreRows(rows)).score];
  assert.deepEqual(scored.candidates?.scores.map((v) => v.toFixed(9)), expected.map((v) => v.toFixed(9)));
  assert.ok(Math.abs(scored.score - (Math.max(...expected) - Math.min(...expected))) < 1e-9, 'the spread');
});

test("a preview's per-trait diff includes the judge traits, and refuses to score without ratings", async () => {
  const prompt = [{ role: 'user', content: 'how was your weekend?' }];
  const base = 'As an AI, I do not have weekends. How can I help you today?';
  const tuned = 'pretty chill lol, went hiking saturday. urs?';
  await assert.rejects(scorePreview(model, prompt, base, tuned), /weighs LLM-judge ratings: rate the replies/);
  const ratingsOf = async (text: string) => (await judge.rate([...prompt, { role: 'assistant', content: text }], 'assistant')).ratings;
  const scores = await scorePreview(model, prompt, base, tuned, [await ratingsOf(base), await ratingsOf(tuned)]);
  assert.ok(Math.abs(sum(scores.traits.map((t) => t.delta)) - scores.rewardDelta) < 1e-9, 'the deltas add up to the reward difference');
  const hal01 = scores.traits.find((t) => t.id === judgeTraitId(1))!;
  assert.deepEqual([hal01.base, hal01.tuned], [1, 5]);
  assert.match(hal01.description, /HAL statement 1/);
});

test("JSONL human/ai lines join ratings kept per game (HAL's layout), as styletune score --judge-ratings does", async () => {
  const table = await RatingsTable.load([requireShared('turing/judge_ratings.dev.jsonl')]);
  const games = readFileSync(requireShared('turing/games.dev.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 6);
  const text = games.join('\n') + '\n';
  const file = join(dir, 'games.jsonl');
  writeFileSync(file, text);
  const annotated = await new AnnotationEngine().annotate('jsonl', lines(text), [{ start: 0, end: 10 }], model, 'm', 'assistant', new KnownRatings([table]));
  const cli = new Map<number, number>();
  for await (const r of scoreWithJudgeRatings(file, model, table)) if (r.kind === 'contrastive') cli.set(r.line, r.result.margin);
  assert.equal(cli.size, 6);
  assert.equal(annotated.length, 6);
  for (const a of annotated) {
    assert.equal(a.unrated, undefined, `line ${a.line + 1} is rated by its game_id`);
    assert.ok(Math.abs(a.score - cli.get(a.line + 1)!) < 1e-9, `line ${a.line + 1}: the margin the CLI gives`);
  }
});
