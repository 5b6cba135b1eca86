/** Blind votes: items, sessions, records and the report's figures, checked against values worked out by hand. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { loadItems, promptHash } from '../../src/core/votes/items';
import { appendVote, checkVote, dedupeVotes, mergeVotes, readVotes, removeVote, type VoteRecord } from '../../src/core/votes/records';
import { buildReport } from '../../src/core/votes/report';
import { scoreItems } from '../../src/core/votes/rewards';
import { buildTasks, remainingTasks, resumeSeed } from '../../src/core/votes/session';
import { bradleyTerry, wilson } from '../../src/core/votes/stats';
import { repoRoot } from './paths';

const dir = mkdtempSync(join(tmpdir(), 'styletune-votes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SAMPLE = join(repoRoot, 'samples', 'workspace', 'votes', 'items.jsonl');

function write(name: string, lines: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

let clock = Date.parse('2026-01-01T00:00:00Z');
function vote(item: string, A: string, B: string, winner: string, extra: Partial<VoteRecord> = {}): VoteRecord {
  clock += 1000;
  return { item_id: item, prompt_hash: 'h', systems: { A, B }, winner, confidence: null, annotator: 'ana', time: new Date(clock).toISOString(), session: 's1', seed: 7, ...extra };
}

const close = (got: number, want: number, eps = 5e-5) => assert.ok(Math.abs(got - want) < eps, `${got} != ${want}`);

describe('Wilson interval', () => {
  test('7 of 10: [0.3968, 0.8922] (the textbook values)', () => {
    const { low, high } = wilson(0.7, 10);
    close(low, 0.39677);
    close(high, 0.89218);
  });
  test('2 of 4: symmetric [0.1500, 0.8500]; n = 0 is the whole range', () => {
    // centre (0.5 + z²/8) / (1 + z²/4) = 0.5; half = z/(1+z²/4) · sqrt(1/16 + z²/64) = 0.34997
    const { low, high } = wilson(0.5, 4);
    close(low, 0.15003);
    close(high, 0.84997);
    assert.deepEqual(wilson(0, 0), { low: 0, high: 1 });
  });
  test('0 of 5 starts at 0 and 5 of 5 ends at 1', () => {
    assert.equal(wilson(0, 5).low, 0);
    close(wilson(0, 5).high, 0.43448); // z²/(n+z²) = 3.8415/8.8415
    close(wilson(1, 5).low, 1 - 0.43448);
  });
});

describe('Bradley-Terry', () => {
  test('win counts that match strengths 4:2:1 exactly give those strengths back (Elo gap 400·log10 2 = 120.4)', () => {
    // A-B 2:1, B-C 2:1, A-C 4:1: each pair's observed rate is s_i/(s_i+s_j) for s = (4, 2, 1), so that is the MLE.
    const c = (winner: number, loser: number, k: number) => Array.from({ length: k }, () => ({ winner, loser, weight: 1 }));
    const bt = bradleyTerry(3, [...c(0, 1, 2), ...c(1, 0, 1), ...c(1, 2, 2), ...c(2, 1, 1), ...c(0, 2, 4), ...c(2, 0, 1)]);
    assert.equal(bt.regularized, false);
    // Scaled to geometric mean 1: (4, 2, 1) / 2.
    close(bt.strength[0], 2, 1e-6);
    close(bt.strength[1], 1, 1e-6);
    close(bt.strength[2], 0.5, 1e-6);
    close(bt.elo[0], 1120.412, 1e-3);
    close(bt.elo[1], 1000, 1e-3);
    close(bt.elo[2], 879.588, 1e-3);
  });
  test('a system that never lost gets one virtual tie per pair: 3-0 becomes 3.5 : 0.5, strength ratio 7', () => {
    const bt = bradleyTerry(2, [0, 1, 2].map(() => ({ winner: 0, loser: 1, weight: 1 })));
    assert.equal(bt.regularized, true);
    close(bt.strength[0] / bt.strength[1], 7, 1e-6);
    close(bt.elo[0] - bt.elo[1], 400 * Math.log10(7), 1e-4);
  });
  test('ties count half a win to each side', () => {
    // 1 win each and 2 ties: 2 : 2, equal strengths.
    const bt = bradleyTerry(2, [
      { winner: 0, loser: 1, weight: 1 },
      { winner: 1, loser: 0, weight: 1 },
      { winner: 0, loser: 1, weight: 0.5 },
      { winner: 1, loser: 0, weight: 0.5 },
    ]);
    close(bt.strength[0], 1, 1e-9);
    close(bt.strength[1], 1, 1e-9);
  });
});

describe('vote items', () => {
  test('the sample: five items, two systems, ids from the file', async () => {
    const { items, systems, diagnostics } = await loadItems([SAMPLE]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(systems, ['base', 'tuned']);
    assert.deepEqual(items.map((i) => i.id), ['coffee', 'rain', 'movie', 'tired', 'plans']);
    assert.equal(items[3].promptHash, promptHash([{ role: 'user', content: 'long day?' }, { role: 'assistant', content: 'the longest' }, { role: 'user', content: 'what happened' }]));
  });

  test('bad lines are reported with file and line, the good ones still load', async () => {
    const file = write('bad.jsonl', [
      { id: 'a', prompt: 'p1', responses: { x: 'one', y: 'two' } },
      '{"id": "b", "prompt": "p2", ',
      { id: 'c', prompt: 'p3', responses: ['one', 'two'] },
      { id: 'a', prompt: 'p4', responses: { x: '1', y: '2' } },
      { id: 'd', prompt: 'p5', responses: { x: 'alone' } },
      { id: 'e', prompt: 'p6', responses: { x: 'one', tie: 'two' } },
      { id: 'f', prompt: 7, responses: { x: 'one', y: 'two' } },
      { id: 'g', responses: { x: 'one', y: 'two' } },
    ]);
    const { items, diagnostics } = await loadItems([file]);
    assert.deepEqual(items.map((i) => i.id), ['a', 'd']);
    const got = diagnostics.map((d) => `${d.line}:${d.severity}:${d.message}`);
    assert.equal(got.length, 7);
    assert.match(got[0], /^2:error:invalid JSON/);
    assert.match(got[1], /^3:error:`responses` is a list; a vote item names each response's system/);
    assert.equal(got[2], '4:error:duplicate id "a" (first at line 1); give each item its own id');
    assert.equal(got[3], '6:error:"tie" cannot be a system name (votes use it for a tie)');
    assert.equal(got[4], '7:error:`prompt` must be a string or a list of messages, got number');
    assert.match(got[5], /^8:error:expected a vote item .*`prompt` is missing/);
    assert.equal(got[6], '5:warning:item "d" has a response from only "x"; it needs two systems or more to be voted on');
    assert.ok(diagnostics.every((d) => d.file === file));
  });

  test('generate output: base and adapter of one prompt are one item; two files keep their systems apart by file name', async () => {
    const sample = (index: number, source: string, prompt: string, text: string, s = 0) => ({ index, source, sample: s, prompt, text, tokens: 3, seed: index });
    const one = write('gen-a.jsonl', [sample(0, 'base', 'hi', 'Hello.'), sample(0, 'adapter', 'hi', 'heyy'), sample(1, 'base', 'sup', 'Not much.'), sample(1, 'adapter', 'sup', 'nm u')]);
    const single = await loadItems([one]);
    assert.deepEqual(single.diagnostics, []);
    assert.deepEqual(single.systems, ['adapter', 'base']);
    assert.equal(single.items.length, 2);
    assert.deepEqual(single.items[0].responses, { base: 'Hello.', adapter: 'heyy' });
    assert.equal(single.items[0].id, `p${promptHash('hi').slice(0, 10)}`);

    const two = write('gen-b.jsonl', [sample(0, 'adapter', 'hi', 'yo'), sample(0, 'adapter', 'hi', 'yo yo', 1)]);
    const both = await loadItems([one, two]);
    assert.deepEqual(both.systems, ['gen-a/adapter', 'gen-a/base', 'gen-b/adapter']);
    assert.deepEqual(both.items[0].responses, { 'gen-a/base': 'Hello.', 'gen-a/adapter': 'heyy', 'gen-b/adapter': 'yo' });
    // Sample 1 of gen-b has no partner: a warning at its line.
    assert.deepEqual(both.diagnostics.map((d) => `${d.file === two ? 'b' : 'a'}:${d.line}:${d.severity}`), ['b:2:warning']);
  });
});

describe('vote sessions', () => {
  test('every pair of systems once; the same seed gives the same order and sides, another seed another', async () => {
    const file = write('three.jsonl', [
      { id: 'x', prompt: 'p', responses: { s1: 'a', s2: 'b', s3: 'c' } },
      { id: 'y', prompt: 'q', responses: { s1: 'a', s2: 'b' } },
    ]);
    const { items } = await loadItems([file]);
    const t1 = buildTasks(items, 42);
    assert.equal(t1.length, 4);
    assert.deepEqual(new Set(t1.map((t) => t.key)).size, 4);
    assert.deepEqual(buildTasks(items, 42), t1);
    for (const t of t1) assert.notEqual(t.a, t.b);
    // Over many items both sides occur for a system (a fixed side would leak identity).
    const many = Array.from({ length: 40 }, (_, i) => ({ ...items[1], id: `i${i}` }));
    const aSides = buildTasks(many, 1).filter((t) => t.a === 's1').length;
    assert.ok(aSides > 8 && aSides < 32, `s1 on side A ${aSides} of 40 times`);
    const orders = new Set([1, 2, 3, 4, 5].map((seed) => buildTasks(many, seed).map((t) => t.item.id).join()));
    assert.ok(orders.size >= 4, 'different seeds shuffle differently');
  });

  test('resume: comparisons this annotator voted are skipped (on either side), others’ votes are not; the seed comes back', async () => {
    const { items } = await loadItems([SAMPLE]);
    const tasks = buildTasks(items, 9);
    const votes = [vote('coffee', 'tuned', 'base', 'tuned', { seed: 9 }), vote('rain', 'base', 'tuned', 'tie', { annotator: 'bo', seed: 3 })];
    const left = remainingTasks(tasks, votes, 'ana');
    assert.equal(left.length, 4);
    assert.ok(!left.some((t) => t.item.id === 'coffee'));
    assert.equal(resumeSeed(votes, 'ana'), 9);
    assert.equal(resumeSeed(votes, 'bo'), 3);
    assert.equal(resumeSeed(votes, 'cy'), undefined);
  });
});

describe('vote records', () => {
  test('checkVote names the bad field', () => {
    const good = vote('a', 'x', 'y', 'x') as unknown as Record<string, unknown>;
    assert.ok('vote' in checkVote(good));
    const bad = (patch: Record<string, unknown>) => {
      const r = checkVote({ ...good, ...patch });
      return 'error' in r ? r.error : 'ok';
    };
    assert.equal(bad({ winner: 'z' }), '`winner` must be "x", "y" or "tie", got "z"');
    assert.equal(bad({ confidence: 'sure' }), '`confidence` must be "likely", "certainly" or null, got "sure"');
    assert.equal(bad({ systems: { A: 'x', B: 'x' }, winner: 'x' }), '`systems` names "x" on both sides');
    assert.equal(bad({ time: 'yesterday' }), '`time` is not a date: "yesterday"');
    assert.equal(bad({ item_id: 3 }), '`item_id` must be a string, got number');
  });

  test('append, read with file:line diagnostics, undo removes only that line', async () => {
    const file = join(dir, 'undo.votes.jsonl');
    writeFileSync(file, '{"kept": "as is"}   \n');
    const v1 = vote('a', 'x', 'y', 'x');
    const v2 = vote('b', 'y', 'x', 'tie');
    await appendVote(file, v1);
    await appendVote(file, v2);
    const read = await readVotes([file]);
    assert.deepEqual(read.votes, [v1, v2]);
    assert.deepEqual(read.diagnostics.map((d) => `${d.line}:${d.message}`), ['1:not a vote record: `item_id` must be a string, got undefined']);
    assert.equal(await removeVote(file, v1), true);
    assert.equal(readFileSync(file, 'utf8'), `{"kept": "as is"}   \n${JSON.stringify(v2)}\n`);
    assert.equal(await removeVote(file, v1), false);
  });

  test('merge keeps the latest vote per (annotator, comparison), whichever side each was on', () => {
    const old = vote('a', 'x', 'y', 'x');
    const other = vote('a', 'x', 'y', 'y', { annotator: 'bo' });
    const newer = vote('a', 'y', 'x', 'y');
    const b = vote('b', 'x', 'y', 'tie');
    assert.deepEqual(dedupeVotes([newer, old, other, b]), [newer, other, b]);
    assert.deepEqual(mergeVotes([b, newer, old, other]), [other, newer, b]);
  });
});

describe('vote report', () => {
  test('two systems: selection rates with ties as half, Wilson intervals, per prompt, agreement', async () => {
    const { items } = await loadItems([SAMPLE]);
    const h = (id: string) => items.find((i) => i.id === id)!.promptHash;
    const v = (item: string, winner: string, annotator: string, confidence: VoteRecord['confidence'] = null) =>
      vote(item, 'tuned', 'base', winner, { prompt_hash: h(item), annotator, confidence });
    // ana: tuned 3, base 1, tie 1; bo: tuned 2, base 1, plus an older vote of hers that a newer one replaces.
    const votes = [
      v('coffee', 'base', 'bo'),
      v('coffee', 'tuned', 'ana', 'certainly'),
      v('rain', 'tuned', 'ana', 'likely'),
      v('movie', 'base', 'ana', 'certainly'),
      v('tired', 'tuned', 'ana'),
      v('plans', 'tie', 'ana'),
      v('coffee', 'tuned', 'bo', 'certainly'),
      v('rain', 'tuned', 'bo'),
      v('movie', 'base', 'bo', 'likely'),
    ];
    // A made-up reward that prefers tuned on coffee, rain and movie, base on tired and plans.
    const rewards = new Map<string, Record<string, number>>([
      ['coffee', { tuned: 1, base: -1 }],
      ['rain', { tuned: 2, base: 0 }],
      ['movie', { tuned: 0.5, base: 0 }],
      ['tired', { tuned: -1, base: 0 }],
      ['plans', { tuned: 0, base: 1 }],
    ]);
    const r = buildReport({ votes, items, rewards: { scores: rewards, model: 'made-up' } });
    assert.equal(r.votes, 8);
    assert.equal(r.duplicates, 1);
    assert.equal(r.ties, 1);
    assert.deepEqual(r.annotators, { bo: 3, ana: 5 });
    assert.deepEqual(r.confidence, { likely: 2, certainly: 3, none: 3 });
    // tuned: 5 wins, 1 tie, 2 losses of 8 → (5 + 0.5) / 8 = 0.6875; base: (2 + 0.5) / 8 = 0.3125.
    const [tuned, base] = r.systems;
    assert.equal(tuned.system, 'tuned');
    assert.deepEqual([tuned.votes, tuned.wins, tuned.ties, tuned.losses, tuned.certain], [8, 5, 1, 2, 2]);
    assert.equal(tuned.rate, 0.6875);
    assert.equal(base.rate, 0.3125);
    // Wilson for p = 0.6875, n = 8: centre (0.6875 + z²/16) / (1 + z²/8) = 0.92759 / 1.48018 = 0.62667,
    // half z/1.48018 · sqrt(0.6875·0.3125/8 + z²/256) = 1.32414 · 0.20460 = 0.27092.
    close(tuned.interval.low, 0.35576);
    close(tuned.interval.high, 0.89759);
    close(base.interval.low, 1 - 0.89759);
    assert.equal(r.ratings, undefined, 'no ratings for two systems');
    // Per prompt: coffee tuned 2-0, movie base 2-0, plans a tie.
    assert.deepEqual(r.prompts.map((p) => p.item_id), ['coffee', 'rain', 'movie', 'tired', 'plans'], 'in the items file’s order');
    const byId = Object.fromEntries(r.prompts.map((p) => [p.item_id, p]));
    assert.deepEqual(byId.coffee.picks, { tuned: 2, base: 0 });
    assert.equal(byId.coffee.leader, 'tuned');
    assert.equal(byId.movie.leader, 'base');
    assert.equal(byId.plans.leader, 'tie');
    assert.equal(byId.plans.picks.tuned, 0.5);
    assert.equal(byId.coffee.prompt, 'how do you take your coffee?');
    assert.equal(byId.tired.prompt, 'user: long day? assistant: the longest user: what happened');
    // Agreement over the 7 decisive votes: coffee ✓✓, rain ✓✓, movie ✗✗ (model prefers tuned), tired ✗ → 4 / 7.
    assert.equal(r.agreement?.votes, 7);
    assert.equal(r.agreement?.agreed, 4);
    close(r.agreement!.rate, 4 / 7, 1e-12);
    // Mean reward over the 8 votes shown: tuned (1+1+2+2+0.5+0.5-1+0)/8 = 0.75.
    close(tuned.meanReward!, 0.75, 1e-12);
    assert.deepEqual(r.notes, ['A tie counts as half a pick for each side.']);
  });

  test('three systems: Bradley-Terry ratings; votes on changed prompts are flagged', async () => {
    const c = (w: string, l: string, k: number) => Array.from({ length: k }, (_, i) => vote(`i${w}${l}${i}`, w, l, w));
    const r = buildReport({ votes: [...c('x', 'y', 2), ...c('y', 'x', 1), ...c('y', 'z', 2), ...c('z', 'y', 1), ...c('x', 'z', 4), ...c('z', 'x', 1)] });
    assert.deepEqual(r.ratings?.rows.map((x) => x.system), ['x', 'y', 'z']);
    close(r.ratings!.rows[0].elo, 1120.412, 1e-3);
    close(r.ratings!.rows[2].elo, 879.588, 1e-3);
    assert.equal(r.agreement, undefined);
    assert.match(r.notes[0], /needs the items file/);

    const { items } = await loadItems([SAMPLE]);
    const stale = buildReport({ votes: [vote('coffee', 'tuned', 'base', 'tuned', { prompt_hash: 'old' }), vote('gone', 'tuned', 'base', 'tuned')], items });
    assert.deepEqual(stale.notes.slice(0, 2), [
      '1 vote names an item that is not in the items file(s)',
      '1 vote was cast on a different prompt than the items file now has (prompt_hash differs)',
    ]);
  });

  test('the shipped reward model scores every sample response, and prefers the casual reply to "As an AI…"', async () => {
    const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
    try {
      const { items } = await loadItems([SAMPLE]);
      const { scores, problems } = await scoreItems(items, model);
      assert.deepEqual(problems, []);
      assert.equal(scores.size, 5);
      for (const s of scores.values()) assert.ok(Number.isFinite(s.base) && Number.isFinite(s.tuned));
      assert.ok(scores.get('coffee')!.tuned > scores.get('coffee')!.base);
      assert.ok(scores.get('movie')!.base > scores.get('movie')!.tuned);
    } finally {
      await model.dispose();
    }
  });
});
