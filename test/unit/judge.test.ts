/**
 * The LLM judge against a real OpenAI-compatible HTTP server on 127.0.0.1 (test/support/judgeServer.ts):
 * strict answer parsing, retries that honor Retry-After, timeouts, the content-hash cache (a second run
 * sends no request at all, counted on the server), per-line diagnostics, and judge ratings as traits
 * through fit → ONNX → load → score.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JudgeCache } from '../../src/core/judge/cache';
import { ChatClient, parseRetryAfter } from '../../src/core/judge/client';
import { Judge } from '../../src/core/judge/judge';
import { parseAnswers, parseRatings } from '../../src/core/judge/prompt';
import { RatingsTable, rateFile, ratedLineDiagnostics, ratedLineToJson, type RatedLine } from '../../src/core/judge/ratings';
import { scoreWithJudgeRatings } from '../../src/core/judge/score';
import { FEATURE_COUNT, HAL16, JUDGE_TRAIT_IDS, featureIndex, judgeTraitId } from '../../src/core/judge/traits';
import { RewardModel, saveSpec } from '../../src/core/reward/model';
import { contribution } from '../../src/core/reward/shape';
import { collectComparisons, fitReward } from '../../src/core/reward/train';
import type { LineResult } from '../../src/core/score';
import { TRAITS, TRAIT_IDS } from '../../src/core/traits/catalog';
import { startJudgeServer, type JudgeServer } from '../support/judgeServer';
import { requireShared } from './paths';

const ratings32 = Array.from({ length: 32 }, (_, i) => 1 + (i % 5));

describe('judge answer parsing', () => {
  test('accepts {"ratings": [...]} plain or in one ```json fence, and a bare list', () => {
    assert.deepEqual(parseRatings(JSON.stringify({ ratings: ratings32 })), { ok: ratings32 });
    assert.deepEqual(parseRatings('```json\n' + JSON.stringify({ ratings: ratings32 }) + '\n```'), { ok: ratings32 });
    assert.deepEqual(parseRatings(JSON.stringify(ratings32)), { ok: ratings32 });
  });
  test('refuses prose, a wrong count, a rating out of range or not whole, in plain words', () => {
    assert.match((parseRatings('Sure! 5, 4, 3') as { error: string }).error, /not JSON: "Sure! 5, 4, 3"/);
    assert.match((parseRatings(JSON.stringify({ ratings: ratings32.slice(1) })) as { error: string }).error, /gave 31 ratings, expected 32/);
    assert.match((parseRatings(JSON.stringify({ ratings: [...ratings32.slice(1), 6] })) as { error: string }).error, /rating 32 is 6/);
    assert.match((parseRatings(JSON.stringify({ ratings: [2.5, ...ratings32.slice(1)] })) as { error: string }).error, /rating 1 is 2.5/);
    assert.match((parseRatings(JSON.stringify({ scores: ratings32 })) as { error: string }).error, /no "ratings" list/);
  });
  test('checklist answers must be exactly n booleans', () => {
    assert.deepEqual(parseAnswers('{"answers": [true, false]}', 2), { ok: [true, false] });
    assert.match((parseAnswers('{"answers": [true]}', 2) as { error: string }).error, /gave 1 answers, expected 2/);
    assert.match((parseAnswers('{"answers": ["yes", false]}', 2) as { error: string }).error, /answer 1 is "yes"/);
  });
  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const inFive = parseRetryAfter(new Date(Date.now() + 5000).toUTCString())!;
    assert.ok(inFive > 3000 && inFive <= 5000, String(inFive));
  });
});

describe('judge client against a local OpenAI-compatible server', () => {
  let server: JudgeServer;
  let dir: string;
  before(async () => {
    server = await startJudgeServer();
    dir = mkdtempSync(join(tmpdir(), 'styletune-judge-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = (extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) =>
    new ChatClient({ baseUrl: server.url, model: 'test-judge', apiKey: 'sk-test', backoffMs: 10, requestsPerMinute: 6000, ...extra });
  const chat = (text: string) => [{ role: 'assistant' as const, content: text }];
  const dialogue = (text: string) => [
    { role: 'user', content: 'hey how are you' },
    { role: 'assistant', content: text },
  ];

  test('rates a dialogue: 32 ratings, the key as a bearer token, statement 1 follows the text', async () => {
    const judge = new Judge(client());
    const casual = await judge.rate(dialogue('good lol u?'), 'assistant');
    const formal = await judge.rate(dialogue('I am doing well, thank you for asking.'), 'assistant');
    assert.equal(casual.ratings.length, 32);
    assert.equal(casual.ratings[0], 5);
    assert.equal(formal.ratings[0], 1);
    assert.equal(server.authorizations.at(-1), 'Bearer sk-test');
    assert.equal(casual.cached, false);
  });

  test('429 with Retry-After: waits the second it asks for, then succeeds on the second attempt', async () => {
    const before = server.requests;
    const t0 = Date.now();
    const { ratings } = await new Judge(client()).rate(dialogue('busy #429'), 'assistant');
    assert.equal(ratings.length, 32);
    assert.equal(server.requests - before, 2);
    assert.ok(Date.now() - t0 >= 950, `waited only ${Date.now() - t0} ms`);
  });

  test('500 then success is retried; a 500 every time gives up after maxRetries + 1 attempts', async () => {
    let before = server.requests;
    await new Judge(client()).rate(dialogue('flaky #500then'), 'assistant');
    assert.equal(server.requests - before, 2);
    before = server.requests;
    await assert.rejects(new Judge(client({ maxRetries: 2 })).rate(dialogue('down #always500'), 'assistant'), /answered 500 Internal Server Error.*gave up after 3 attempts/);
    assert.equal(server.requests - before, 3);
  });

  test('a timeout, a reply that is not a chat completion, a wrong URL and a closed port are plain errors', async () => {
    await assert.rejects(new Judge(client({ timeoutMs: 300, maxRetries: 0 })).rate(dialogue('zzz #slow'), 'assistant'), /did not answer within 0.3 s/);
    await assert.rejects(new Judge(client()).rate(dialogue('odd #notchat'), 'assistant'), /has no choices\[0\]\.message\.content/);
    await assert.rejects(new ChatClient({ baseUrl: server.url.replace('/v1', '/v2'), model: 'm', maxRetries: 0 }).complete(chat('x')), /answered 404.*check the base URL/);
    const closed = await startJudgeServer();
    await closed.close();
    await assert.rejects(new ChatClient({ baseUrl: closed.url, model: 'm', maxRetries: 0 }).complete(chat('x')), /cannot reach the judge endpoint .*ECONNREFUSED/);
    assert.throws(() => new ChatClient({ baseUrl: 'localhost:8000', model: 'm' }), /must be http or https|is not a URL/);
  });

  test('malformed and wrong-count answers are errors, not ratings', async () => {
    await assert.rejects(new Judge(client()).rate(dialogue('#malformed'), 'assistant'), /not JSON: "Sure! Here are my ratings/);
    await assert.rejects(new Judge(client()).rate(dialogue('#wrongcount'), 'assistant'), /gave 31 ratings, expected 32/);
  });

  test('cancel: an aborted run stops waiting at once and caches nothing it did not get', async () => {
    const file = join(dir, 'slow.jsonl');
    writeFileSync(file, [1, 2, 3].map((i) => JSON.stringify({ messages: dialogue(`zzz ${i} #slow`) })).join('\n'));
    const cache = new JudgeCache(join(dir, 'cancel-cache'));
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('cancelled by the user')), 200);
    const t0 = Date.now();
    await assert.rejects(
      (async () => {
        for await (const _ of rateFile(file, new Judge(client(), cache), { signal: abort.signal }));
      })(),
      /cancelled by the user/,
    );
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.equal(cache.hits, 0);
    const before = server.requests;
    const again = new Judge(client(), cache);
    await again.rate(dialogue('zzz 1 #slow'), 'assistant');
    assert.equal(server.requests - before, 1, 'the cancelled answer was never cached');
  });

  test('rate limit: requests start at most requestsPerMinute apart', async () => {
    const c = client({ requestsPerMinute: 600, concurrency: 4 });
    const t0 = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map((i) => c.complete(chat(`tick ${i}`))));
    assert.ok(Date.now() - t0 >= 390, `5 requests at 600/min took ${Date.now() - t0} ms`);
  });

  test('a file: one ratings line per line, failed sides are per-line diagnostics; a second run sends no request', async () => {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ messages: dialogue('nah not really lol') }),
        JSON.stringify({ prompt: 'whats up', chosen: 'nm lol', rejected: 'I am doing well, thank you.' }),
        JSON.stringify({ human: { messages: dialogue('eh fine') }, ai: { messages: dialogue('#malformed reply') } }),
        '{"messages": [',
        JSON.stringify({ messages: dialogue('#wrongcount') }),
      ].join('\n') + '\n',
    );
    const cache = new JudgeCache(join(dir, 'cache'));
    const run = async () => {
      const out: RatedLine[] = [];
      for await (const r of rateFile(file, new Judge(client(), cache))) out.push(r);
      return out;
    };
    const before = server.requests;
    const first = await run();
    const sent = server.requests - before;
    assert.equal(sent, 6, 'dialogue 1 + pair 2 + human/ai 2 + wrong count 1');
    assert.deepEqual(
      first.map((r) => r.line),
      [1, 2, 3, 4, 5],
    );
    const diags = first.flatMap((r) => ratedLineDiagnostics(r, file));
    assert.deepEqual(
      diags.map((d) => [d.line, d.message.replace(/:.*/s, '')]),
      [
        [3, 'judge could not rate `ai`'],
        [4, diags[1].message.replace(/:.*/s, '')],
        [5, 'judge could not rate the dialogue'],
      ],
    );
    assert.match(diags[2].message, /gave 31 ratings/);
    const json = ratedLineToJson(first[1], 'test-judge') as { chosen: { ratings: number[] }; rejected: { ratings: number[] } };
    assert.equal(json.chosen.ratings[0], 5);
    assert.equal(json.rejected.ratings[0], 1);

    const again = server.requests;
    const second = await run();
    // Only the failed sides are asked again: errors are never cached.
    assert.equal(server.requests - again, 2);
    assert.deepEqual(
      second.map((r) => JSON.stringify(ratedLineToJson(r, 'j'))),
      first.map((r) => JSON.stringify(ratedLineToJson(r, 'j'))),
    );
    // A clean file: the second run makes zero requests.
    const clean = join(dir, 'clean.jsonl');
    writeFileSync(clean, [1, 2, 3].map((i) => JSON.stringify({ messages: dialogue(`reply number ${i}`) })).join('\n'));
    for await (const _ of rateFile(clean, new Judge(client(), cache)));
    const beforeCached = server.requests;
    let cachedSides = 0;
    for await (const r of rateFile(clean, new Judge(client(), cache))) if (r.kind === 'dialogue' && 'cached' in r.sides[0].rating && r.sides[0].rating.cached) cachedSides++;
    assert.equal(server.requests - beforeCached, 0);
    assert.equal(cachedSides, 3);
    // Another judge model does not reuse these answers.
    const otherModel = server.requests;
    for await (const _ of rateFile(clean, new Judge(client({ model: 'other-judge' }), cache)));
    assert.equal(server.requests - otherModel, 3);
  });

  test('a combined model scores pairs with the same lexical values the lexical path measures', async () => {
    const file = join(dir, 'multi.pairs.jsonl');
    const prompt = [
      { role: 'user', content: 'hey' },
      { role: 'assistant', content: 'Hello! How can I assist you today? I am happy to help.' },
      { role: 'user', content: 'whats ur fav food' },
    ];
    writeFileSync(
      file,
      [
        JSON.stringify({ prompt, chosen: 'pizza obv lol', rejected: 'As an AI, I do not eat food.' }),
        JSON.stringify({ prompt: 'any plans?', chosen: 'nah prob sleep', rejected: 'I do not have plans, but here are some ideas.' }),
      ].join('\n'),
    );
    const table = new RatingsTable();
    let n = 0;
    for await (const r of rateFile(file, new Judge(client()))) table.addLine(ratedLineToJson(r, 'test-judge'), file, ++n);
    assert.equal(table.byHash.size, 4);
    const data = await collectComparisons([file], { judgeRatings: table });
    const { spec } = fitReward(data, { traits: [...TRAIT_IDS, ...JUDGE_TRAIT_IDS], folds: 2 });
    const combined = await RewardModel.fromSpec(spec);
    const lexical = await RewardModel.fromSpec({ ...fitReward(await collectComparisons([file]), { folds: 2 }).spec });
    const viaJudge: LineResult[] = [];
    for await (const r of scoreWithJudgeRatings(file, combined, table)) viaJudge.push(r);
    const { scoreJsonlFile } = await import('../../src/core/score');
    let i = 0;
    for await (const r of scoreJsonlFile(file, lexical)) {
      const j = viaJudge[i++];
      assert.equal(r.kind, 'pair');
      assert.equal(j.kind, 'pair');
      if (r.kind !== 'pair' || j.kind !== 'pair') continue;
      for (const id of TRAIT_IDS) {
        assert.equal(j.result.chosen.traits[id], r.result.chosen.traits[id], `chosen ${id}`);
        assert.equal(j.result.rejected.traits[id], r.result.rejected.traits[id], `rejected ${id}`);
      }
    }
    assert.equal(i, 2);
    await combined.dispose();
    await lexical.dispose();
  });

  test('ratings written by the judge read back by content hash; missing and failed ratings are diagnostics', async () => {
    const file = join(dir, 'rate-me.jsonl');
    writeFileSync(file, [JSON.stringify({ messages: dialogue('ok lol') }), JSON.stringify({ messages: dialogue('#malformed') })].join('\n'));
    const lines: string[] = [];
    for await (const r of rateFile(file, new Judge(client()))) lines.push(JSON.stringify(ratedLineToJson(r, 'test-judge')));
    const ratingsFile = join(dir, 'rate-me.ratings.jsonl');
    writeFileSync(ratingsFile, lines.join('\n') + '\n{"sha256": "abc", "ratings": [1, 2]}\n');
    const table = await RatingsTable.load([ratingsFile]);
    assert.equal(table.byHash.size, 1);
    assert.deepEqual(
      table.diagnostics.map((d) => [d.line, d.message.slice(0, 35)]),
      [
        [2, "was not rated: the judge's answer i"],
        [3, '`ratings` has 2 ratings, expected 3'],
      ],
    );
  });
});

describe('judge ratings as traits: fit → ONNX → score', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'styletune-judgefit-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('ids judge.hal01…32 sit after the lexical traits; unknown ids stay unknown', () => {
    assert.equal(JUDGE_TRAIT_IDS.length, 32);
    assert.equal(judgeTraitId(7), 'judge.hal07');
    assert.equal(featureIndex('judge.hal01'), TRAITS.length);
    assert.equal(featureIndex('judge.hal32'), FEATURE_COUNT - 1);
    assert.equal(featureIndex('judge.hal33'), -1);
  });

  test("HAL's Turing ratings: a judge-only model fits, survives ONNX, and scores the games it was fitted on", async () => {
    const games = requireShared('turing/games.dev.jsonl');
    const table = await RatingsTable.load([requireShared('turing/judge_ratings.dev.jsonl')]);
    assert.deepEqual(table.diagnostics, []);
    assert.equal(table.byGame.size, 375);
    const data = await collectComparisons([games], { judgeRatings: table });
    assert.equal(data.table.n, 375);
    assert.equal(data.table.width, FEATURE_COUNT);

    const ids = HAL16.map(judgeTraitId);
    const { spec, report } = fitReward(data, { traits: ids, folds: 10 });
    const cv = report.crossValidated.find((r) => r.key === 'all')!.accuracy;
    assert.ok(cv > 0.75, `cross-validated pairwise accuracy ${cv}`);
    const modelFile = join(dir, 'judge16.onnx');
    await saveSpec(spec, modelFile);
    const model = await RewardModel.load(modelFile);
    assert.deepEqual(model.traitIds, ids);
    assert.equal(model.usesJudge, true);

    let right = 0;
    let n = 0;
    let first: { margin: number; contributions: Record<string, number> } | undefined;
    for await (const r of scoreWithJudgeRatings(games, model, table)) {
      assert.equal(r.kind, 'contrastive');
      if (r.kind !== 'contrastive') continue;
      first ??= { margin: r.result.margin, contributions: r.result.human.contributions };
      right += r.result.margin > 0 ? 1 : r.result.margin === 0 ? 0.5 : 0;
      n++;
    }
    assert.equal(n, 375);
    assert.equal(right / n, report.training.find((r) => r.key === 'all')!.accuracy);
    // Contributions are the judge statements by id, computed from the first game's human ratings.
    const g = data.table.comparison(0).winner;
    const j = ids.indexOf('judge.hal01');
    const expected = contribution(spec, j, g[featureIndex('judge.hal01')]);
    assert.ok(Math.abs(first!.contributions['judge.hal01'] - expected) < 1e-9);

    // The lexical-only path cannot silently score a judge model with zeros.
    await assert.rejects(model.scoreRows([new Float64Array(TRAITS.length)]), /weighs LLM-judge ratings, which these rows lack/);
    await model.dispose();
  });

  test('a combined model weighs both kinds; judge traits without ratings and lines without ratings are refused', async () => {
    const games = requireShared('turing/games.dev.jsonl');
    const table = new RatingsTable();
    table.addLine({ game_id: '3034', human_ratings: ratings32, ai_ratings: ratings32.map((r) => 6 - r) }, 'mem', 1);
    const data = await collectComparisons([games], { judgeRatings: table });
    assert.equal(data.table.n, 1);
    assert.equal(data.diagnostics.length, 374);
    assert.match(data.diagnostics[0].message, /no judge ratings for game_id \d+/);

    const lexical = await collectComparisons([games]);
    assert.throws(() => fitReward(lexical, { traits: ['slang', 'judge.hal02'] }), /judge\.hal02 is an LLM-judge rating, and this data has none/);

    const full = await collectComparisons([games], { judgeRatings: await RatingsTable.load([requireShared('turing/judge_ratings.dev.jsonl')]) });
    const { spec } = fitReward(full, { traits: [...TRAIT_IDS, ...JUDGE_TRAIT_IDS], folds: 2 });
    const model = await RewardModel.fromSpec(spec);
    assert.equal(model.traitIds.length, TRAITS.length + 32);
    await model.dispose();
  });
});
