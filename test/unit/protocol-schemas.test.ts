/**
 * The webview protocols' schemas (webview/<view>/protocol.ts, built from webview/shared/schema.ts),
 * checked the same way for every view: a full, valid message of each type passes; that message with any
 * one required field removed, or any one field (required or optional, at any depth) given a value of
 * the wrong type, is refused. The per-view tests (inspect-protocol, jobs, labeling, preview,
 * votes-protocol) keep the cases that name a rule (ranges, lengths, enums); this one catches a field the
 * schema forgot to check.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as inspector from '../../webview/inspector/protocol';
import * as job from '../../webview/job/protocol';
import * as labeling from '../../webview/labeling/protocol';
import * as preview from '../../webview/preview/protocol';
import * as votes from '../../webview/votes/protocol';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a field of `x` (object keys and array indexes), with the value there. */
function paths(x: Json, at: (string | number)[] = []): { path: (string | number)[]; value: Json }[] {
  if (x === null || typeof x !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(x) ? x.map((v, i) => [i, v]) : Object.entries(x);
  return entries.flatMap(([k, v]) => [{ path: [...at, k], value: v }, ...paths(v, [...at, k])]);
}

function edit(x: Json, path: (string | number)[], f: (parent: Json[] | Record<string, Json>, key: string | number) => void): Json {
  const copy = structuredClone(x);
  let parent = copy as Json[] | Record<string, Json>;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string, Json>)[k] as Json[] | Record<string, Json>;
  f(parent, path[path.length - 1]);
  return copy;
}

/** A value of another type than `v`: what a buggy or hostile sender might put in its place. */
function wrongType(v: Json): Json {
  if (typeof v === 'string') return 42;
  if (typeof v === 'number') return 'forty-two';
  if (typeof v === 'boolean') return 'true';
  if (v === null) return 'null';
  if (Array.isArray(v)) return { length: 0 };
  return 'an object';
}

/**
 * Fields a guard accepts any value in, on purpose; they are the only ones the mutation check skips.
 * The inspector's row `a`/`b` (the two sides' scores) were never checked: the table prints any value.
 */
const UNCHECKED = new Set(['rows.0.a', 'rows.0.b']);
/** Fields that may be removed: optional ones. Removing any other field must make the message fail. */
function isOptional(path: (string | number)[], optional: string[]): boolean {
  return typeof path[path.length - 1] === 'number' || optional.includes(path.filter((k) => typeof k === 'string').join('.'));
}

function checkAll(guard: (x: unknown) => boolean, message: Json, optional: string[]) {
  assert.ok(guard(message), `valid: ${JSON.stringify(message)}`);
  for (const { path, value } of paths(message)) {
    const name = path.join('.');
    if (path[path.length - 1] === 'type' || path[path.length - 1] === 'kind') {
      assert.equal(guard(edit(message, path, (p, k) => ((p as Record<string, Json>)[k] = 'no-such-' + String(value)))), false, `unknown ${name}`);
    }
    if (UNCHECKED.has(name)) continue;
    assert.equal(guard(edit(message, path, (p, k) => ((p as Record<string | number, Json>)[k] = wrongType(value)))), false, `wrong type at ${name}`);
    if (!isOptional(path, optional)) {
      assert.equal(guard(edit(message, path, (p, k) => delete (p as Record<string | number, Json>)[k])), false, `missing ${name}`);
    }
  }
}

const query = { sort: 'trait:emoji', desc: true, search: 'lol', filter: { key: 'score', min: -1, max: 2 } };
const histogram = { min: 0, max: 1, counts: [1, 2, 3] };
const conversation = [{ role: 'user', content: 'hi' }];

describe('every field of every webview message is checked', () => {
  test('inspector', () => {
    const opt = ['query.filter', 'query.filter.min', 'query.filter.max', 'selected', 'rows.a', 'rows.b', 'rows.candidates', 'rows.candidates.rankedFirst', 'agreement', 'ranked', 'sides.traits.shape', 'traits.emoji', 'speakers'];
    const host: Json[] = [
      { type: 'init', file: 'a.jsonl', uri: 'file:///a.jsonl', kind: 'mixed', traits: [{ id: 'emoji', label: 'Emoji', description: 'd', weight: 0.5 }], shown: ['emoji'], query, selected: 3 },
      { type: 'progress', done: 5, total: 10, rows: 4, problems: 1, finished: false },
      { type: 'view', version: 2, total: 10, seq: 3 },
      { type: 'rows', version: 2, start: 0, rows: [{ line: 1, kind: 'candidates', score: 0.5, a: 1, b: 0.5, candidates: { n: 3, best: 1, worst: 3, rankedFirst: 2 }, values: [0.1], contributions: [0.2] }] },
      { type: 'stats', traits: { emoji: histogram }, scores: histogram, agreement: { agree: 3, of: 4 }, ranked: { agree: 0, of: 0 } },
      { type: 'detail', line: 2, kind: 'pair', sides: [{ label: 'chosen', context: conversation, messages: conversation, score: 1, traits: [{ id: 'emoji', value: 0, contribution: 0, shape: '▁▂●' }], evidence: [{ turn: 0, start: 0, end: 3, trait: 'emoji' }] }] },
      { type: 'error', message: 'x' },
      { type: 'notice', message: '' },
      { type: 'notice', message: 'no turns by assistant', speakers: ['agent_1', 'agent_2'] },
    ];
    for (const m of host) checkAll(inspector.isHostMessage, m, opt);
    const view: Json[] = [{ type: 'ready' }, { type: 'query', query, seq: 3 }, { type: 'getRows', version: 1, start: 0, end: 80 }, { type: 'select', line: 1 }, { type: 'reveal', line: 2 }, { type: 'chooseRole', role: 'agent_1' }];
    for (const m of view) checkAll(inspector.isViewMessage, m, opt);
    checkAll(inspector.isViewState, { uri: 'file:///a.jsonl', query, shown: ['emoji'], selected: 3 }, opt);
    // Rules beyond types: more agreeing than there are, a negative count.
    assert.equal(inspector.isHostMessage({ ...host[4] as object, agreement: { agree: 5, of: 4 } }), false);
    assert.equal(inspector.isHostMessage({ ...host[1] as object, done: 1.5 }), false);
    assert.equal(inspector.isHostMessage({ ...host[0] as object, traits: [{ id: 'emoji', label: 'Emoji', description: 'd', weight: Infinity }] }), false);
  });

  test('job view', () => {
    const point = Object.fromEntries([['step', 3], ['time', 1.5], ...job.METRICS.map((m) => [m.key, 0.5])]) as Json;
    const info = { name: 'run', dir: '/w/run', state: 'running', step: 3, totalSteps: 60, etaS: 20, device: 'cpu', preset: 'tiny', model: 'm', message: 'ok', lastLog: ['a'], adapter: '/w/run/adapter', activity: 'step 3/60', resumeStep: 0 };
    const probe = { step: 3, reward: 0.1, empty: 1, tokens: 40, truncated: 0, maxNewTokens: 64, moved: [{ id: 'emoji', label: 'Emoji', from: 0, to: 1, delta: 1, rewardDelta: 0.2 }], replies: [{ index: 0, prompt: 'hi', text: 'hey', tokens: 2, truncated: false, reward: 0.3 }] };
    const opt = ['job.totalSteps', 'job.etaS', 'job.device', 'job.preset', 'job.model', 'job.message', 'job.adapter', 'job.activity', 'probes.moved.rewardDelta', 'error'];
    for (const m of [{ type: 'job', job: info }, { type: 'probes', probes: [probe], model: 'default', error: 'x' }, { type: 'points', points: [point], reset: true }] as Json[]) {
      checkAll(job.isHostMessage, m, opt);
    }
    assert.ok(job.isHostMessage({ type: 'job', job: { ...info, preset: null } }), 'a job without a preset');
    const silent = { ...probe, reward: null, empty: 1, replies: [{ ...probe.replies[0], text: '', reward: null }] };
    assert.ok(job.isHostMessage({ type: 'probes', probes: [silent], model: 'default' }), 'an empty reply has no reward, nor a step of only empty replies');
    assert.equal(job.isHostMessage({ type: 'probes', probes: [{ ...probe, empty: -1 }], model: 'default' }), false);
    assert.ok(job.isHostMessage({ type: 'points', reset: false, points: [{ ...(point as object), loss: null }] }), 'a diverged loss is null');
    for (const m of [{ type: 'ready' }, { type: 'rendered', step: 3, points: 3, probes: 1, probeStep: 3 }, { type: 'action', action: 'resume' }] as Json[]) {
      checkAll(job.isViewMessage, m, ['probes', 'probeStep']);
    }
    checkAll(job.isPageState, { dir: '/w/run', probeStep: 4, scrollY: 452, zoom: { min: 2.5, max: 9 } }, ['probeStep', 'scrollY', 'zoom']);
    assert.ok(job.isPageState({ dir: '/w/run' }), 'the state before the page kept a step, scroll or zoom');
    assert.equal(job.isPageState({ dir: '/w/run', scrollY: -1 }), false);
    assert.equal(job.isPageState({ dir: '/w/run', zoom: { min: 9, max: 2.5 } }), false, 'an empty range');
    assert.equal(job.isPageState({ dir: '/w/run', zoom: { min: 0, max: Infinity } }), false);
  });

  test('pair labeler', () => {
    const item = { line: 0, position: 1, prompt: conversation, candidates: ['a', 'b'], label: { choice: 'rank', time: 't', annotator: 'ana', ranking: [2, 1] }, traits: [{ id: 'x', label: 'X', description: 'd', values: [1, 2], contributions: [0.5, -0.5] }], hint: { scores: [0.1, 0.2], preferred: 2, model: 'default' }, hintError: 'none' };
    const state = { file: 'f', version: 3, progress: { total: 1, labeled: 0, skipped: 0, invalid: 0 }, reading: { lines: 10, of: 20 }, ranking: [1], item };
    checkAll(labeling.isHostMessage, { type: 'state', state }, ['state.reading', 'state.item', 'state.item.label', 'state.item.label.ranking', 'state.item.traits.contributions', 'state.item.hint', 'state.item.hintError']);
    checkAll(labeling.isWebviewMessage, { type: 'key', key: 'Escape' }, []);
    checkAll(labeling.isWebviewMessage, { type: 'focus', focused: false }, []);
    assert.ok(labeling.isLabelKey('ArrowRight') && !labeling.isLabelKey('Enter') && !labeling.isLabelKey(1));
  });

  test('rewrite preview', () => {
    const side = { text: 'a', score: -1, tokens: 4 };
    const state = { id: 1, status: 'done', message: 'ok', prompt: conversation, model: 'm', adapter: 'run/adapter', rewardModel: 'default', seed: 0, base: side, tuned: side, rewardDelta: 0.5, traits: [{ id: 'slang', label: 'Slang', description: 'd', base: 0, tuned: 1, delta: 0.4 }], tinyTestModel: true, appended: { file: 'x.pairs.jsonl', line: 2, choice: 'tuned' } };
    const opt = ['state.message', 'state.base', 'state.tuned', 'state.base.score', 'state.base.tokens', 'state.tuned.score', 'state.tuned.tokens', 'state.rewardDelta', 'state.tinyTestModel', 'state.appended'];
    checkAll(preview.isHostMessage, { type: 'state', state }, opt);
    for (const m of [{ type: 'ready' }, { type: 'append' }, { type: 'openLabeler' }, { type: 'regenerate' }, { type: 'rendered', id: 1, status: 'error', base: 'a', tuned: 'b', scores: [1], traits: 2 }] as Json[]) {
      checkAll(preview.isViewMessage, m, ['base', 'tuned']);
    }
  });

  test('blind vote and report', () => {
    const interval = { low: 0.1, high: 0.9 };
    const state = { title: 't', votesFile: 'a.votes.jsonl', annotator: 'ana', done: 1, total: 3, task: { key: 'k', prompt: conversation, a: 'x', b: 'y' }, reveal: [{ item_id: 'i', prompt: 'p', a: 'x', b: 'y', winner: 'tie', confidence: 'likely' }], canUndo: true, problems: 0 };
    const report = {
      title: 't', sources: ['a.votes.jsonl'], votes: 3, duplicates: 0, ties: 1, annotators: { ana: 3 }, confidence: { likely: 1, certainly: 1, none: 1 },
      systems: [{ system: 'x', votes: 3, wins: 1, ties: 1, losses: 1, rate: 0.5, interval, certain: 1, meanReward: 0.2 }],
      prompts: [{ item_id: 'i', prompt: 'p', votes: 3, ties: 1, picks: { x: 1 }, leader: 'x', rewards: { x: 0.1 } }],
      ratings: { rows: [{ system: 'x', strength: 1, elo: 1500 }], regularized: false },
      agreement: { votes: 3, agreed: 2, rate: 0.66, interval, model: 'default' },
      notes: ['n'],
    };
    const opt = ['state.task', 'state.reveal', 'report.systems.meanReward', 'report.prompts.prompt', 'report.prompts.rewards', 'report.ratings', 'report.agreement', 'report.annotators.ana', 'report.prompts.picks.x', 'report.prompts.rewards.x'];
    for (const m of [{ type: 'vote', state }, { type: 'report', report }, { type: 'error', message: 'm' }, { type: 'restore', state: { kind: 'report', votes: ['v'], items: ['i'] } }] as Json[]) {
      checkAll(votes.isHostMessage, m, opt);
    }
    // Confidence is null, not absent, when the voter gave none.
    assert.ok(votes.isHostMessage({ type: 'vote', state: { ...state, reveal: [{ ...state.reveal[0], confidence: null }] } }));
    for (const m of [{ type: 'ready' }, { type: 'undo' }, { type: 'openReport' }, { type: 'vote', key: 'k', side: 'tie', confidence: 'certainly' }] as Json[]) {
      checkAll(votes.isWebviewMessage, m, []);
    }
  });
});

describe('the schemas are as strict as the hand-written guards were', () => {
  test('a message is a plain object, never an array', () => {
    assert.equal(inspector.isViewMessage(Object.assign([], { type: 'ready' })), false);
    assert.equal(votes.isWebviewMessage(Object.assign([], { type: 'undo' })), false);
    assert.equal(job.isViewMessage(Object.assign([], { type: 'ready' })), false);
  });

  test('a record is a plain object whose every own value passes, whatever its keys', () => {
    const histogram = { min: 0, max: 1, counts: [] };
    const stats = { type: 'stats', scores: histogram };
    assert.ok(inspector.isHostMessage({ ...stats, traits: { emoji: histogram } }));
    assert.equal(inspector.isHostMessage({ ...stats, traits: [histogram] }), false, 'an array is no record');
    // valibot's own record() skips these keys; a system or trait named so must still be checked.
    for (const key of ['constructor', '__proto__', 'prototype']) {
      assert.equal(inspector.isHostMessage({ ...stats, traits: JSON.parse(`{"${key}": "not a histogram"}`) }), false, key);
    }
  });

  test('finite where it was finite; any number where any number was allowed', () => {
    // A row's score was only `typeof number` (the host computes it); a histogram's bounds were finite.
    const row = { line: 1, kind: 'pair', score: Number.NaN, values: [Infinity], contributions: [] };
    assert.ok(inspector.isHostMessage({ type: 'rows', version: 1, start: 0, rows: [row] }));
    assert.equal(inspector.isHostMessage({ type: 'stats', traits: {}, scores: { min: -Infinity, max: 1, counts: [] } }), false);
  });
});
