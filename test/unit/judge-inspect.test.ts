/**
 * The inspector with a model that weighs LLM-judge traits: its chunked scoring and its line detail use
 * the judge ratings exactly as `styletune score --judge-ratings` does, on HAL's real Turing ratings,
 * whether they come from a ratings file or from the judge cache.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { explainLine } from '../../src/core/inspectDetail';
import { scoreTextInChunks } from '../../src/core/inspectScoring';
import { toRecord } from '../../src/core/formats';
import { JudgeCache } from '../../src/core/judge/cache';
import { KnownRatings } from '../../src/core/judge/known';
import { RATING_PROMPT_VERSION, renderTranscript } from '../../src/core/judge/prompt';
import { RatingsTable, ratingsFileFor, recordSides } from '../../src/core/judge/ratings';
import { scoreWithJudgeRatings } from '../../src/core/judge/score';
import { judgeTraitId } from '../../src/core/judge/traits';
import { RewardModel } from '../../src/core/reward/model';
import type { Diagnostic } from '../../src/core/types';
import type { InspectRow } from '../../src/core/inspect';
import { fitJudgeSpec } from '../support/judgeModel';
import { requireShared } from './paths';

let dir: string;
let model: RewardModel;
let table: RatingsTable;
let file: string;
let text: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-judge-inspect-'));
  const games = requireShared('turing/games.dev.jsonl');
  table = await RatingsTable.load([requireShared('turing/judge_ratings.dev.jsonl')]);
  model = await RewardModel.fromSpec(await fitJudgeSpec(games, table));
  // 30 real games plus one whose game_id has no ratings.
  const lines = readFileSync(games, 'utf8').split('\n').filter(Boolean).slice(0, 30);
  const orphan = { ...JSON.parse(lines[0]), game_id: 'no-such-game' };
  text = [...lines, JSON.stringify(orphan)].join('\n') + '\n';
  file = join(dir, 'games.jsonl');
  writeFileSync(file, text);
});

after(async () => {
  await model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('chunked inspector scoring with judge ratings equals styletune score --judge-ratings, line by line', async () => {
  assert.equal(model.usesJudge, true);
  const rows: InspectRow[] = [];
  const problems: Diagnostic[] = [];
  const summary = await scoreTextInChunks(text, file, model, { judge: table, chunkSize: 7, firstChunkSize: 3, onChunk: (c) => (rows.push(...c.rows), problems.push(...c.problems)) });
  assert.equal(summary.rows, 30);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, 31);
  assert.match(problems[0].message, /no judge ratings for game_id no-such-game/);
  const cli = new Map<number, number>();
  for await (const r of scoreWithJudgeRatings(file, model, table)) if (r.kind === 'contrastive') cli.set(r.line, r.result.margin);
  for (const row of rows) assert.ok(Math.abs(row.score - cli.get(row.line)!) < 1e-9, `line ${row.line}`);
  const j = model.traitIds.indexOf(judgeTraitId(1));
  const game = JSON.parse(text.split('\n')[0]) as { game_id: string };
  const rated = table.byGame.get(game.game_id)!;
  assert.equal(rows[0].values[j], rated.human[0], "the row shows the human witness's rating of statement 1");
  assert.equal(rows[0].values[model.traitIds.length + j], rated.ai[0]);
});

test('the line detail carries the judge values and contributions; without ratings it says why', async () => {
  const first = text.split('\n')[0];
  const detail = await explainLine(first, 1, model, undefined, table);
  assert.ok(detail);
  const game = JSON.parse(first) as { game_id: string };
  const human = detail.sides.find((s) => s.label === 'human')!;
  const judged = human.traits.find((t) => t.id === judgeTraitId(1))!;
  assert.equal(judged.value, table.byGame.get(game.game_id)!.human[0]);
  const sum = model.bias + human.traits.reduce((a, t) => a + t.contribution, 0);
  assert.ok(Math.abs(sum - human.score) < 1e-9, 'score = bias + Σ contributions, judge traits included');
  const orphan = text.split('\n')[30];
  await assert.rejects(explainLine(orphan, 31, model, undefined, table), /no judge ratings for game_id no-such-game/);
  await assert.rejects(explainLine(first, 1, model), /weighs LLM-judge ratings/);
});

test('without a ratings file the judge cache answers: the same rows and detail, and a conversation nobody rated is a problem', async () => {
  // The cache as "Rate with LLM Judge" leaves it: each side's transcript rated by the judge in settings.
  const cache = new JudgeCache(join(dir, 'judge-cache'));
  const judgeName = 'cache-only-judge';
  const lines = text.split('\n').filter(Boolean).slice(0, 30);
  for (const [i, lineText] of lines.entries()) {
    const parsed = toRecord(JSON.parse(lineText), file, i + 1);
    assert.ok('record' in parsed);
    for (const side of recordSides(parsed.record, 'assistant')) {
      const ratings = table.lookup(parsed.record, side, 'assistant');
      assert.ok(Array.isArray(ratings));
      await cache.put(JudgeCache.key(judgeName, RATING_PROMPT_VERSION, renderTranscript(side.messages, 'assistant')), judgeName, RATING_PROMPT_VERSION, ratings);
    }
  }
  const known = new KnownRatings([], { cache, judgeName });
  // Line 32 is game 1 with a reply nobody rated.
  const unrated = JSON.parse(lines[0]) as { game_id: string; ai: { messages: { role: string; content: string }[] } };
  unrated.game_id = 'edited';
  unrated.ai.messages.at(-1)!.content += ' (edited)';
  const withEdited = text + JSON.stringify(unrated) + '\n';

  const collect = async (judge: KnownRatings | RatingsTable) => {
    const rows: InspectRow[] = [];
    const problems: Diagnostic[] = [];
    await scoreTextInChunks(withEdited, file, model, { judge, onChunk: (c) => (rows.push(...c.rows), problems.push(...c.problems)) });
    return { rows, problems };
  };
  const fromCache = await collect(known);
  const fromFile = await collect(table);
  // Line 31 repeats game 1's conversations under an unknown game_id: the cache knows them by content.
  assert.deepEqual(fromCache.rows.map((r) => r.line), [...fromFile.rows.map((r) => r.line), 31].sort((a, b) => a - b));
  for (const row of fromFile.rows) assert.deepEqual(fromCache.rows.find((r) => r.line === row.line), row, `line ${row.line}`);
  assert.deepEqual(fromCache.rows.find((r) => r.line === 31)!.values, fromFile.rows[0].values);
  assert.deepEqual(fromCache.problems.map((p) => [p.line, p.message]), [[32, 'no judge ratings for game_id edited']]);

  const detail = await explainLine(lines[0], 1, model, undefined, known);
  assert.deepEqual(detail, await explainLine(lines[0], 1, model, undefined, table));
  await assert.rejects(explainLine(JSON.stringify(unrated), 32, model, undefined, known), /no judge ratings for game_id edited/);
});

test('ratingsFileFor names the file Rate with LLM Judge writes', () => {
  assert.equal(ratingsFileFor('/w/chats.jsonl'), '/w/chats.ratings.jsonl');
  assert.equal(ratingsFileFor('/w/Chats.JSONL'), '/w/Chats.ratings.jsonl');
});
