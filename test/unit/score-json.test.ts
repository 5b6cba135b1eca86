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
import { repoRoot, requireShared } from './paths';

let model: RewardModel;
before(async () => {
  model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
});
after(async () => {
  await model.dispose();
});

async function collect(text: string, role?: string): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for await (const r of scoreJsonlText(text, 'test.jsonl', model, { role })) out.push(r);
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
