/**
 * lineResultToJsonText writes the CLI's (and the results view's) line without building objects; it must
 * be JSON.stringify(lineResultToJson(r)) character for character, on every kind of line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { lineResultToJson, lineResultToJsonText, scoreJsonlText, type LineResult } from '../../src/core/score';
import { saysNothing } from '../../src/core/speakers';
import { repoRoot, requireShared } from './paths';

let model: RewardModel;
before(async () => {
  model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
});
after(async () => {
  await model.dispose();
});

async function collect(text: string, role?: string, candidates = false): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for await (const r of scoreJsonlText(text, 'test.jsonl', model, { role, candidates })) out.push(r);
  return out;
}

function head(rel: string, n: number): string {
  return readFileSync(requireShared(rel), 'utf8').split('\n').slice(0, n).join('\n');
}

for (const [rel, role] of [
  ['human-like-dpo/pairs.dev.jsonl', undefined],
  ['turing/games.dev.jsonl', undefined],
  ['topical-chat/dialogues.jsonl', 'agent_1'],
  ['roleplay/judge_scored.jsonl', undefined],
] as const) {
  test(`the text equals JSON.stringify(lineResultToJson(r)): ${rel}`, async () => {
    const results = await collect(head(rel, 300), role);
    assert.ok(results.length > 0);
    for (const r of results) assert.equal(lineResultToJsonText(r), JSON.stringify(lineResultToJson(r)), `line ${r.line}`);
  });
}

test('bad lines, dialogues, pairs with message lists and an all-punctuation reply come out the same', async () => {
  const text = [
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey :) what\'s up"}], "id": 1}',
    'not json',
    '{"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "ok."}], "rejected": [{"role": "assistant", "content": "..."}]}',
    '{"messages": [{"role": "user", "content": "hi"}]}',
    '{"human": {"messages": [{"role": "assistant", "content": "lol"}]}, "ai": {"messages": [{"role": "assistant", "content": "Certainly! Here is a detailed answer."}]}}',
  ].join('\n');
  const results = await collect(text);
  assert.deepEqual(
    results.map((r) => r.kind),
    ['dialogue', 'diagnostic', 'pair', 'diagnostic', 'contrastive'],
  );
  for (const r of results) assert.equal(lineResultToJsonText(r), JSON.stringify(lineResultToJson(r)), `line ${r.line}`);
});

test('a score that is not the lazy kind (LLM-judge scoring) and numbers JSON cannot hold', () => {
  const score = { score: Number.NaN, bias: -0, traits: { length: Infinity, slang: 1e-7 }, contributions: { length: -2.5e21 } };
  const r: LineResult = { line: 7, kind: 'pair', result: { chosen: score, rejected: score, margin: Number.NaN } };
  assert.equal(lineResultToJsonText(r), JSON.stringify(lineResultToJson(r)));
  const d: LineResult = { line: 8, kind: 'dialogue', result: score };
  assert.equal(lineResultToJsonText(d), JSON.stringify(lineResultToJson(d)));
});

test("candidate sets (the labeler's `responses` lines): every candidate scored, best, worst, spread; decided pairs stay pairs", async () => {
  const demo = readFileSync(join(repoRoot, 'samples', 'workspace', 'demo.pairs.jsonl'), 'utf8').trimEnd().split('\n');
  const [lunch, , three] = demo.map((l) => JSON.parse(l) as { prompt: unknown; responses: string[] });
  const text = [
    ...demo,
    // Ranked by the labeler (best first): still scored as its three candidates, the ranking passed on.
    JSON.stringify({ ...three, chosen: three.responses[1], rejected: three.responses[0], label: { choice: 'rank', ranking: [2, 3, 1], time: 't', annotator: 'a' } }),
    // A tie or a skip decides nothing: candidates.
    JSON.stringify({ ...lunch, label: { choice: 'tie', time: 't', annotator: 'a' } }),
    // Decided: a pair, exactly as before.
    JSON.stringify({ ...lunch, chosen: lunch.responses[1], rejected: lunch.responses[0], label: { choice: '2', time: 't', annotator: 'a' } }),
    JSON.stringify({ prompt: 'hi', responses: ['a', 42] }),
    JSON.stringify({ prompt: 'hi', responses: ['only one'] }),
    JSON.stringify({ ...three, label: { choice: 'rank', ranking: [1, 1, 2] } }),
  ].join('\n');
  const results = await collect(text, undefined, true);
  assert.deepEqual(
    results.map((r) => r.kind),
    ['candidates', 'candidates', 'candidates', 'candidates', 'candidates', 'candidates', 'candidates', 'pair', 'diagnostic', 'diagnostic', 'diagnostic'],
  );
  for (const r of results) {
    assert.equal(lineResultToJsonText(r), JSON.stringify(lineResultToJson(r)), `line ${r.line}`);
    if (r.kind !== 'candidates') continue;
    const scores = r.result.candidates.map((c) => c.score);
    assert.equal(scores.length, (JSON.parse(text.split('\n')[r.line - 1]) as { responses: unknown[] }).responses.length);
    assert.equal(r.result.best, scores.indexOf(Math.max(...scores)) + 1);
    assert.equal(r.result.worst, scores.indexOf(Math.min(...scores)) + 1);
    assert.equal(r.result.spread, Math.max(...scores) - Math.min(...scores));
  }
  const ranked = results[5];
  assert.ok(ranked.kind === 'candidates');
  assert.deepEqual(ranked.result.ranking, [2, 3, 1]);
  assert.match(JSON.stringify(lineResultToJson(ranked)), /"spread":[-\d.e]+,"ranking":\[2,3,1\]\}$/);
  // The candidates are measured like a pair's sides: the same score as the pair line's chosen.
  const pair = results[7];
  const tie = results[6];
  assert.ok(pair.kind === 'pair' && tie.kind === 'candidates');
  assert.equal(tie.result.candidates[1].score, pair.result.chosen.score);
  const problems = results.slice(8).map((r) => (r.kind === 'diagnostic' ? r.diagnostic.message : ''));
  assert.match(problems[0], /`responses\[1\]` must be a string or a list of messages, got number/);
  assert.match(problems[1], /`responses` must be a list of at least two responses, got 1/);
  assert.match(problems[2], /`label.ranking` must order all 3 candidates/);

  // Without the option (eval, which needs a decision) the same lines say how to label them.
  const strict = await collect(demo.join('\n'));
  assert.ok(strict.every((r) => r.kind === 'diagnostic' && /label it \(StyleTune: Label Pairs\)/.test(r.diagnostic.message)));
});

test('a reply with nothing in it is not scored: each kind of line says which side is empty', async () => {
  // The default reward gave "" 4.36, more than "pretty chill, went hiking. you?" (1.38): a score for
  // nothing rewarded a model that stops answering. Whitespace is nothing; "..." is a reply and is scored.
  const user = { role: 'user', content: 'How was your weekend?' };
  const lines = [
    { messages: [user, { role: 'assistant', content: '' }] },
    { messages: [user, { role: 'assistant', content: ' \n' }, { role: 'user', content: '?' }, { role: 'assistant', content: '' }] },
    { prompt: 'hi', chosen: 'hey you', rejected: '   ' },
    { prompt: 'hi', chosen: [{ role: 'assistant', content: '' }], rejected: 'hey' },
    { human: { messages: [user, { role: 'assistant', content: 'fine' }] }, ai: { messages: [user, { role: 'assistant', content: '' }] } },
    { messages: [user, { role: 'assistant', content: '...' }] },
    { messages: [user, { role: 'assistant', content: '' }, { role: 'user', content: 'hello?' }, { role: 'assistant', content: 'oh hey sorry' }] },
  ];
  const results = await collect(lines.map((l) => JSON.stringify(l)).join('\n'));
  const errors = results.map((r) => ('diagnostic' in r ? r.diagnostic.message : undefined));
  assert.deepEqual(errors, [
    'every `assistant` turn is empty: nothing to score',
    'every `assistant` turn is empty: nothing to score',
    '`rejected` is empty: nothing to score',
    '`chosen` is empty: nothing to score',
    'every `assistant` turn of `ai` is empty: nothing to score',
    undefined,
    undefined,
  ]);
  const [set] = await collect(JSON.stringify({ prompt: 'hi', responses: ['yo', '', 'sup'] }), undefined, true);
  assert.equal('diagnostic' in set && set.diagnostic.message, '`responses[1]` is empty: nothing to score');
});

test('saysNothing: whitespace by the role is nothing; no turn by the role is a missing role, not an empty reply', () => {
  assert.equal(saysNothing(' \n\t', 'assistant'), true);
  assert.equal(saysNothing('...', 'assistant'), false);
  assert.equal(saysNothing([{ role: 'user', content: 'hi' }, { role: 'assistant', content: ' ' }], 'assistant'), true);
  assert.equal(saysNothing([{ role: 'assistant', content: '' }, { role: 'assistant', content: 'ok' }], 'assistant'), false);
  assert.equal(saysNothing([{ role: 'agent_1', content: '' }], 'assistant'), false);
});
