/**
 * VoteTally, the one-pass report, against the list-based report it replaced (kept here, verbatim, as
 * the reference): for any votes, items and scores the two reports are the same object, order included.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { turnsText, type VoteItem } from '../../src/core/votes/items';
import { dedupeVotes, type VoteRecord } from '../../src/core/votes/records';
import { buildReport, type Agreement, type PromptRow, type ReportInputs, type SystemRow, type VoteReport } from '../../src/core/votes/report';
import { bradleyTerry, wilson, type Comparison } from '../../src/core/votes/stats';

const PROMPT_CHARS = 120;

function referenceReport(input: ReportInputs): VoteReport {
  const votes = dedupeVotes(input.votes);
  const notes: string[] = [];
  const items = new Map((input.items ?? []).map((i) => [i.id, i]));
  if (input.items) {
    const unknown = votes.filter((v) => !items.has(v.item_id)).length;
    if (unknown) notes.push(`${unknown} vote${s(unknown)} name${unknown === 1 ? 's' : ''} an item that is not in the items file(s)`);
    const changed = votes.filter((v) => items.has(v.item_id) && items.get(v.item_id)!.promptHash !== v.prompt_hash).length;
    if (changed) notes.push(`${changed} vote${s(changed)} ${changed === 1 ? 'was' : 'were'} cast on a different prompt than the items file now has (prompt_hash differs)`);
  }

  const bySystem = new Map<string, SystemRow>();
  const row = (system: string): SystemRow => {
    let r = bySystem.get(system);
    if (!r) bySystem.set(system, (r = { system, votes: 0, wins: 0, ties: 0, losses: 0, rate: 0, interval: { low: 0, high: 1 }, certain: 0 }));
    return r;
  };
  const prompts = new Map<string, PromptRow>();
  const annotators: Record<string, number> = {};
  const confidence = { likely: 0, certainly: 0, none: 0 };
  let ties = 0;
  for (const v of votes) {
    annotators[v.annotator] = (annotators[v.annotator] ?? 0) + 1;
    confidence[v.confidence ?? 'none']++;
    const { A, B } = v.systems;
    const a = row(A);
    const b = row(B);
    a.votes++;
    b.votes++;
    let p = prompts.get(v.item_id);
    if (!p) {
      const item = items.get(v.item_id);
      p = { item_id: v.item_id, votes: 0, ties: 0, picks: {}, leader: 'tie' };
      if (item) p.prompt = shorten(turnsText(item.prompt));
      prompts.set(v.item_id, p);
    }
    p.votes++;
    p.picks[A] ??= 0;
    p.picks[B] ??= 0;
    if (v.winner === 'tie') {
      ties++;
      a.ties++;
      b.ties++;
      p.ties++;
      p.picks[A] += 0.5;
      p.picks[B] += 0.5;
    } else {
      const [w, l] = v.winner === A ? [a, b] : [b, a];
      w.wins++;
      l.losses++;
      if (v.confidence === 'certainly') w.certain++;
      p.picks[v.winner] += 1;
    }
  }
  for (const r of bySystem.values()) {
    r.rate = r.votes ? (r.wins + r.ties / 2) / r.votes : 0;
    r.interval = wilson(r.rate, r.votes);
  }
  for (const p of prompts.values()) {
    const top = Math.max(...Object.values(p.picks));
    const leaders = Object.keys(p.picks).filter((k) => p.picks[k] === top);
    p.leader = leaders.length === 1 ? leaders[0] : 'tie';
  }
  const systems = [...bySystem.values()].sort((x, y) => y.rate - x.rate || x.system.localeCompare(y.system));

  let ratings: VoteReport['ratings'];
  if (systems.length > 2) {
    const names = systems.map((r) => r.system);
    const index = new Map(names.map((n, i) => [n, i]));
    const comparisons: Comparison[] = votes.map((v) => {
      const a = index.get(v.systems.A)!;
      const b = index.get(v.systems.B)!;
      if (v.winner === 'tie') return { winner: a, loser: b, weight: 0.5 };
      return v.winner === v.systems.A ? { winner: a, loser: b, weight: 1 } : { winner: b, loser: a, weight: 1 };
    });
    const bt = bradleyTerry(names.length, comparisons);
    const rows = names.map((system, i) => ({ system, strength: bt.strength[i], elo: bt.elo[i] })).sort((x, y) => y.strength - x.strength);
    ratings = { rows, regularized: bt.regularized };
    if (bt.regularized) notes.push('Some system never lost (or never won) against the others it met: each compared pair got one virtual tie so the ratings stay finite.');
  }

  let agreement: Agreement | undefined;
  if (input.rewards) {
    const { scores, model } = input.rewards;
    let n = 0;
    let agreed = 0;
    const sums = new Map<string, { sum: number; n: number }>();
    const seenItems = new Set<string>();
    for (const v of votes) {
      const r = scores.get(v.item_id);
      const sa = r?.[v.systems.A];
      const sb = r?.[v.systems.B];
      if (sa === undefined || sb === undefined) continue;
      if (!seenItems.has(v.item_id)) {
        seenItems.add(v.item_id);
        prompts.get(v.item_id)!.rewards = r;
      }
      for (const [sys, sc] of [[v.systems.A, sa], [v.systems.B, sb]] as const) {
        const m = sums.get(sys) ?? { sum: 0, n: 0 };
        m.sum += sc;
        m.n++;
        sums.set(sys, m);
      }
      if (v.winner === 'tie') continue;
      n++;
      const [win, lose] = v.winner === v.systems.A ? [sa, sb] : [sb, sa];
      agreed += win > lose ? 1 : win === lose ? 0.5 : 0;
    }
    for (const r of systems) {
      const m = sums.get(r.system);
      if (m) r.meanReward = m.sum / m.n;
    }
    const rate = n ? agreed / n : 0;
    agreement = { votes: n, agreed, rate, interval: wilson(rate, n), model };
    if (n === 0) notes.push('No decisive vote had both responses scored, so the reward model agreement is empty.');
  } else {
    notes.push(input.items ? 'No reward model scored the responses, so there is no agreement figure.' : 'Reward model agreement needs the items file (--items) to score the responses.');
  }
  if (ties) notes.push('A tie counts as half a pick for each side.');

  return {
    votes: votes.length,
    duplicates: input.votes.length - votes.length,
    ties,
    annotators,
    confidence,
    systems,
    prompts: inItemOrder([...prompts.values()], input.items),
    ratings,
    agreement,
    notes,
  };
}


function inItemOrder(rows: PromptRow[], items: readonly VoteItem[] | undefined): PromptRow[] {
  if (!items) return rows;
  const at = new Map(items.map((item, i) => [item.id, i]));
  return rows.map((row, i) => ({ row, key: at.get(row.item_id) ?? items.length + i })).sort((x, y) => x.key - y.key).map((x) => x.row);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PROMPT_CHARS ? `${flat.slice(0, PROMPT_CHARS - 1)}…` : flat;
}

function s(n: number): string {
  return n === 1 ? '' : 's';
}

const itemIds = ['coffee', 'lunch', 'p0123', 'x'];
const systems = ['base', 'tuned', 'a/b', 'zeta', 'Émile'];

const vote: fc.Arbitrary<VoteRecord> = fc
  .record({
    item_id: fc.constantFrom(...itemIds),
    pair: fc.uniqueArray(fc.constantFrom(...systems), { minLength: 2, maxLength: 2 }),
    outcome: fc.constantFrom('A', 'B', 'tie'),
    confidence: fc.constantFrom('likely', 'certainly', null),
    annotator: fc.constantFrom('ana', 'bo', ''),
    // Few distinct times, so equal times (the later read wins) happen often.
    time: fc.integer({ min: 0, max: 5 }).map((m) => new Date(Date.UTC(2026, 0, 1, 10, m)).toISOString()),
    prompt_hash: fc.constantFrom('h-coffee', 'h-lunch', 'other'),
  })
  .map(({ pair, outcome, ...v }) => ({
    ...v,
    systems: { A: pair[0], B: pair[1] },
    winner: outcome === 'tie' ? 'tie' : outcome === 'A' ? pair[0] : pair[1],
    session: 's',
  }) as VoteRecord);

const items: fc.Arbitrary<VoteItem[] | undefined> = fc.option(
  fc.subarray(itemIds.slice(0, 3)).map((ids) => ids.map((id, line) => ({ id, promptHash: `h-${id}`, prompt: `What about ${id}?\n  Really?`, responses: {}, file: 'items.jsonl', line: line + 1 }))),
  { nil: undefined },
);

const rewards: fc.Arbitrary<ReportInputs['rewards']> = fc.option(
  fc.dictionary(fc.constantFrom(...itemIds), fc.dictionary(fc.constantFrom(...systems), fc.constantFrom(-1, 0, 0.5, 2)), { maxKeys: 4 })
    .map((d) => ({ scores: new Map(Object.entries(d)), model: 'm' })),
  { nil: undefined },
);

test('the one-pass report equals the list-based one for any votes, items and scores', () => {
  fc.assert(
    fc.property(fc.array(vote, { maxLength: 60 }), items, rewards, (votes, itemList, scores) => {
      const input: ReportInputs = { votes, items: itemList, rewards: scores };
      assert.deepStrictEqual(buildReport(input), referenceReport(input));
    }),
    { numRuns: 2000 },
  );
});

test('ten thousand votes of three systems: the same report, ratings included', () => {
  const next = fc.sample(vote, { numRuns: 10_000, seed: 7 });
  const input: ReportInputs = { votes: next };
  const report = buildReport(input);
  assert.ok(report.ratings && report.systems.length > 2);
  assert.deepStrictEqual(report, referenceReport(input));
});
