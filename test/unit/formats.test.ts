import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRecordsText, readRecords, toRecord, turnsToMessages, type RecordItem } from '../../src/core/formats';
import type { DataRecord, RecordKind } from '../../src/core/types';
import { requireShared } from './paths';

const msg = (role: string, content: string) => ({ role, content });
const dialogue = { messages: [msg('user', 'hi'), msg('assistant', 'hey, you?')] };

function record(value: unknown): DataRecord {
  const r = toRecord(value, 'f.jsonl', 7);
  assert.ok('record' in r, `unexpected diagnostic: ${'diagnostic' in r ? r.diagnostic.message : ''}`);
  return r.record;
}

/** The message of the one diagnostic `value` must produce; also checks where it points. */
function problem(value: unknown): string {
  const r = toRecord(value, 'f.jsonl', 7);
  assert.ok('diagnostic' in r, 'expected a diagnostic');
  assert.deepEqual({ ...r.diagnostic, message: '' }, { file: 'f.jsonl', line: 7, column: 1, severity: 'error', message: '' });
  return r.diagnostic.message;
}

describe('dialogue lines', () => {
  test('parse, keep every other field in raw, and allow extra fields on messages', () => {
    const line = { id: 't_1', source: 'x', messages: [{ role: 'agent_1', content: 'yo', ts: 3 }, msg('agent_2', '')] };
    const r = record(line);
    assert.equal(r.kind, 'dialogue');
    assert.ok(r.kind === 'dialogue');
    assert.deepEqual(r.dialogue.messages, line.messages);
    assert.equal(r.raw, line);
  });

  test('diagnostics name the field by path', () => {
    assert.equal(problem({ messages: [] }), '`messages` is empty');
    assert.equal(problem({ messages: { role: 'user' } }), '`messages` must be a list of messages, got object');
    assert.equal(problem({ messages: 'hello' }), '`messages` must be a list of messages, got string');
    assert.equal(problem({ messages: [msg('u', 'a'), 'b'] }), '`messages[1]` must be an object with `role` and `content`, got string');
    assert.equal(problem({ messages: [msg('u', 'a'), msg('a', 'b'), { role: 'u', content: null }] }), '`messages[2].content` must be a string, got null');
    assert.equal(problem({ messages: [{ content: 'x' }] }), '`messages[0].role` is missing');
    assert.equal(problem({ messages: [{ role: 1, content: 'x' }] }), '`messages[0].role` must be a string, got number');
    assert.equal(problem({ messages: [{ role: 'u' }] }), '`messages[0].content` is missing');
    assert.equal(problem({ messages: [[]] }), '`messages[0]` must be an object with `role` and `content`, got array');
  });
});

describe('preference pairs', () => {
  test('strings and message lists; without `prompt` the prompt stays implicit', () => {
    const explicit = record({ prompt: 'q', chosen: 'a', rejected: [msg('assistant', 'b')], id: 4 });
    assert.ok(explicit.kind === 'pair');
    assert.deepEqual(explicit.pair, { prompt: 'q', chosen: 'a', rejected: [msg('assistant', 'b')] });
    assert.equal(explicit.raw.id, 4);

    const implicit = record({ chosen: [msg('user', 'q'), msg('assistant', 'a')], rejected: [msg('user', 'q'), msg('assistant', 'b')] });
    assert.ok(implicit.kind === 'pair');
    assert.equal('prompt' in implicit.pair, false);
  });

  test('diagnostics', () => {
    assert.equal(problem({ prompt: 'q', chosen: 'a' }), 'pair line is missing `rejected`');
    assert.equal(problem({ prompt: 'q', rejected: 'a' }), 'pair line is missing `chosen`');
    assert.equal(problem({ prompt: 'q', chosen: 3, rejected: 'b' }), '`chosen` must be a string or a list of messages, got number');
    assert.equal(problem({ chosen: 'a', rejected: { text: 'b' } }), '`rejected` must be a string or a list of messages, got object');
    assert.equal(problem({ prompt: null, chosen: 'a', rejected: 'b' }), '`prompt` must be a string or a list of messages, got null');
    assert.equal(problem({ prompt: [msg('user', 'q'), { role: 'user', content: 5 }], chosen: 'a', rejected: 'b' }), '`prompt[1].content` must be a string, got number');
    assert.equal(problem({ chosen: [], rejected: 'b' }), '`chosen` is empty');
  });
});

describe('contrastive pairs', () => {
  test('parse, keeping game fields', () => {
    const line = { game_id: '1', ai_model: 'eliza', human: dialogue, ai: { messages: [msg('user', 'hi')] } };
    const r = record(line);
    assert.ok(r.kind === 'contrastive');
    assert.deepEqual(r.pair.human.messages, dialogue.messages);
    assert.equal(r.raw.ai_model, 'eliza');
  });

  test('diagnostics use nested paths', () => {
    const bad = { messages: [msg('u', 'a'), msg('a', 'b'), msg('u', 'c'), { role: 'assistant', content: ['x'] }] };
    assert.equal(problem({ human: bad, ai: dialogue }), '`human.messages[3].content` must be a string, got array');
    assert.equal(problem({ human: dialogue, ai: bad }), '`ai.messages[3].content` must be a string, got array');
    assert.equal(problem({ human: [dialogue], ai: dialogue }), '`human` must be an object with `messages`, got array');
    assert.equal(problem({ human: dialogue, ai: {} }), '`ai.messages` is missing');
    assert.equal(problem({ human: dialogue, ai: { messages: [] } }), '`ai.messages` is empty');
    assert.equal(problem({ human: dialogue }), 'contrastive line is missing `ai`');
    assert.equal(problem({ ai: dialogue, game_id: 'x' }), 'contrastive line is missing `human`');
  });
});

describe('shape detection', () => {
  test('order: human+ai, then chosen/rejected, then messages', () => {
    assert.equal(record({ human: dialogue, ai: dialogue, chosen: 'a', messages: [] }).kind, 'contrastive');
    assert.equal(record({ chosen: 'a', rejected: 'b', messages: 'ignored' }).kind, 'pair');
  });

  test("the pair labeler's unlabeled `responses` items say how to label them", () => {
    assert.equal(
      problem({ prompt: 'hi', responses: ['a', 'b'] }),
      'unlabeled `responses` item: label it (StyleTune: Label Pairs) to turn it into a `chosen`/`rejected` pair',
    );
    // Once labeled, the line is a pair: `responses` is kept beside `chosen`/`rejected`.
    assert.equal(record({ prompt: 'hi', responses: ['a', 'b'], chosen: 'a', rejected: 'b' }).kind, 'pair');
  });

  test('an unknown object names the expected fields and the ones it has', () => {
    assert.equal(
      problem({ text: 'hi', label: 1 }),
      'expected an object with `messages`, `chosen`/`rejected`, or `human`/`ai`; found fields `text`, `label`',
    );
    assert.match(problem({}), /; found an empty object$/);
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i]));
    assert.match(problem(many), /found fields `k0`, `k1`, `k2`, `k3`, `k4`, … \(8 in all\)$/);
  });

  test('values that are not objects, and inherited fields, are not records', () => {
    assert.match(problem([1]), /^line is a JSON array; expected/);
    assert.match(problem('x'), /^line is a JSON string; expected/);
    assert.match(problem(Object.create({ messages: dialogue.messages })), /^expected an object/);
  });
});

test('turnsToMessages', () => {
  assert.deepEqual(turnsToMessages('hey'), [msg('assistant', 'hey')]);
  assert.deepEqual(turnsToMessages('hey', 'agent_2'), [msg('agent_2', 'hey')]);
  const list = [msg('user', 'q')];
  assert.equal(turnsToMessages(list), list);
});

describe('reading records', () => {
  const text = [
    '{"messages":[{"role":"user","content":"hi"}]}',
    '',
    '{"chosen":"a"}',
    '{"chosen":',
    '{"chosen":"a","rejected":"b"}',
  ].join('\n');

  const summary = (items: RecordItem[]) => items.map((it) => ('record' in it ? [it.line, it.record.kind] : [it.line, it.diagnostic.message]));
  const expected = [
    [1, 'dialogue'],
    [3, 'pair line is missing `rejected`'],
    [4, 'invalid JSON: Unexpected end of JSON input'],
    [5, 'pair'],
  ];

  test('parseRecordsText: JSON and record diagnostics both carry their line', () => {
    const items = [...parseRecordsText(text, 'doc.jsonl')];
    assert.deepEqual(summary(items), expected);
    for (const it of items) if ('diagnostic' in it) assert.equal(it.diagnostic.line, it.line);
  });

  test('readRecords on real corpora: the first 50 lines of each are valid and of the right kind', async () => {
    const corpora: Array<[string, RecordKind]> = [
      ['turing/games.dev.jsonl', 'contrastive'],
      ['human-like-dpo/pairs.dev.jsonl', 'pair'],
      ['topical-chat/dialogues.jsonl', 'dialogue'],
    ];
    for (const [rel, kind] of corpora) {
      const items: RecordItem[] = [];
      for await (const item of readRecords(requireShared(rel))) {
        items.push(item);
        if (item.line >= 50) break;
      }
      assert.equal(items.length, 50, rel);
      for (const it of items) {
        assert.ok('record' in it, `${rel}:${it.line}: ${'diagnostic' in it ? it.diagnostic.message : ''}`);
        assert.equal(it.record.kind, kind, rel);
      }
      const first = items[0];
      if (kind === 'contrastive') assert.ok('record' in first && typeof first.record.raw.ai_model === 'string');
    }
  });
});
