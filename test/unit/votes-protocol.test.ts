/**
 * The vote view's message guards: both sides drop anything malformed, and what the host really sends
 * (a report built by src/core/votes/report.ts) passes the webview's check.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildReport } from '../../src/core/votes/report';
import { isHostMessage, isWebviewMessage } from '../../webview/votes/protocol';

const task = { key: '["coffee","base","tuned"]', prompt: [{ role: 'user', content: 'hi' }], a: 'one', b: 'two' };
const state = { title: 'items.jsonl', votesFile: 'items.votes.jsonl', annotator: 'ana', done: 1, total: 5, task, canUndo: true, problems: 0 };

describe('vote view protocol', () => {
  test('accepts the webview’s messages and refuses malformed ones', () => {
    for (const m of [{ type: 'ready' }, { type: 'undo' }, { type: 'openReport' }, { type: 'vote', key: 'k', side: 'A', confidence: 'likely' }, { type: 'vote', key: 'k', side: 'tie', confidence: null }]) {
      assert.ok(isWebviewMessage(m), JSON.stringify(m));
    }
    for (const m of [
      null,
      'ready',
      { type: 'nope' },
      { type: 'vote', key: 'k', side: 'C', confidence: null },
      { type: 'vote', key: 'k', side: 'A', confidence: 'sure' },
      { type: 'vote', key: 'k', side: 'A' },
      { type: 'vote', key: 3, side: 'A', confidence: null },
      { type: 'vote', key: 'x'.repeat(20_000), side: 'A', confidence: null },
    ]) {
      assert.ok(!isWebviewMessage(m), JSON.stringify(m));
    }
  });

  test('accepts the host’s vote states and refuses broken ones', () => {
    assert.ok(isHostMessage({ type: 'vote', state }));
    assert.ok(isHostMessage({ type: 'vote', state: { ...state, task: undefined, reveal: [{ item_id: 'coffee', prompt: 'hi', a: 'base', b: 'tuned', winner: 'tie', confidence: null }] } }));
    assert.ok(isHostMessage({ type: 'error', message: 'no items' }));
    assert.ok(!isHostMessage({ type: 'vote', state: { ...state, done: -1 } }));
    assert.ok(!isHostMessage({ type: 'vote', state: { ...state, task: { ...task, prompt: [{ role: 'user' }] } } }));
    assert.ok(!isHostMessage({ type: 'vote', state: { ...state, reveal: [{ item_id: 'x' }] } }));
    assert.ok(!isHostMessage({ type: 'error' }));
    assert.ok(isHostMessage({ type: 'restore', state: { kind: 'vote', items: ['file:///w/items.jsonl'] } }));
    assert.ok(isHostMessage({ type: 'restore', state: { kind: 'report', votes: ['file:///w/a.votes.jsonl'], items: [] } }));
    assert.ok(!isHostMessage({ type: 'restore', state: { kind: 'vote', items: [] } }));
    assert.ok(!isHostMessage({ type: 'restore', state: { kind: 'report', items: [] } }));
  });

  test('a real report passes, a damaged one does not', () => {
    const v = (item: string, A: string, B: string, winner: string) => ({ item_id: item, prompt_hash: 'h', systems: { A, B }, winner, confidence: null, annotator: 'ana', time: '2026-01-01T00:00:00Z', session: 's' });
    const report = buildReport({
      votes: [v('i1', 'x', 'y', 'x'), v('i2', 'y', 'z', 'tie'), v('i3', 'z', 'x', 'z')],
      rewards: { scores: new Map([['i1', { x: 1, y: 0 }]]), model: 'm' },
    });
    assert.ok(report.ratings, 'three systems: ratings');
    const view = { ...report, title: 'a.votes.jsonl', sources: ['a.votes.jsonl'] };
    assert.ok(isHostMessage({ type: 'report', report: view }));
    assert.ok(!isHostMessage({ type: 'report', report: { ...view, systems: [{ ...view.systems[0], rate: 'high' }] } }));
    assert.ok(!isHostMessage({ type: 'report', report: { ...view, ratings: { rows: [{ system: 'x', elo: NaN, strength: 1 }], regularized: false } } }));
    assert.ok(!isHostMessage({ type: 'report', report: { ...view, title: undefined } }));
  });
});
