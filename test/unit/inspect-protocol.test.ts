/**
 * The inspector's message guards: both sides drop anything that is not a well-formed message, so a
 * webview (a web page) can never make the extension host read rows out of range or act on junk.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isHostMessage, isViewMessage, isViewState } from '../../webview/inspector/protocol';

const query = { sort: 'trait:emoji', desc: true, search: 'lol' };

describe('inspector protocol', () => {
  test('accepts the messages the webview sends', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'query', query, seq: 1 },
      { type: 'query', query: { ...query, filter: { key: 'score', min: -1 } }, seq: 2 },
      { type: 'getRows', version: 3, start: 0, end: 80 },
      { type: 'select', line: 12 },
      { type: 'reveal', line: 1 },
    ]) {
      assert.ok(isViewMessage(m), JSON.stringify(m));
    }
  });

  test('refuses malformed or oversized webview messages', () => {
    for (const m of [
      null,
      'ready',
      [],
      { type: 'nope' },
      { type: 'query' },
      { type: 'query', query },
      { type: 'query', query, seq: -1 },
      { type: 'query', query: { ...query, desc: 'yes' }, seq: 1 },
      { type: 'query', query: { ...query, search: 'x'.repeat(5000) }, seq: 1 },
      { type: 'query', query: { ...query, filter: { key: 'score', min: 'low' } }, seq: 1 },
      { type: 'getRows', version: 1, start: 10, end: 5 },
      { type: 'getRows', version: 1, start: 0, end: 1_000_000 },
      { type: 'getRows', version: -1, start: 0, end: 5 },
      { type: 'select', line: 0 },
      { type: 'select', line: 1.5 },
      { type: 'reveal', line: '3' },
    ]) {
      assert.ok(!isViewMessage(m), JSON.stringify(m));
    }
  });

  test('host messages are checked field by field', () => {
    const row = { line: 1, kind: 'pair', score: 0.5, a: 1, b: 0.5, values: [0.1], contributions: [0.2] };
    assert.ok(isHostMessage({ type: 'rows', version: 1, start: 0, rows: [row] }));
    assert.ok(!isHostMessage({ type: 'rows', version: 1, start: 0, rows: [{ ...row, kind: 'other' }] }));
    assert.ok(!isHostMessage({ type: 'rows', version: 1, start: 0, rows: [{ ...row, values: ['1'] }] }));
    assert.ok(isHostMessage({ type: 'progress', done: 5, total: 10, rows: 4, problems: 1, finished: false }));
    assert.ok(!isHostMessage({ type: 'progress', done: 5, total: 10, rows: 4, problems: 1 }));
    const side = { label: 'chosen', context: [], messages: [{ role: 'assistant', content: 'hey' }], score: 1, traits: [{ id: 'emoji', value: 0, contribution: 0 }], evidence: [{ turn: 0, start: 0, end: 3, trait: 'emoji' }] };
    assert.ok(isHostMessage({ type: 'detail', line: 2, kind: 'pair', sides: [side, side] }));
    assert.ok(!isHostMessage({ type: 'detail', line: 2, kind: 'pair', sides: [{ ...side, evidence: [{ turn: 0, start: -1, end: 3, trait: 'emoji' }] }] }));
  });

  test('a restored state must name a file and a valid query', () => {
    assert.ok(isViewState({ uri: 'file:///a.jsonl', query, shown: ['emoji'], selected: 3 }));
    assert.ok(!isViewState({ uri: 'file:///a.jsonl', query, shown: [1] }));
    assert.ok(!isViewState({ query, shown: [] }));
  });
});
