/**
 * The inspector's pure logic against the real default model and the sample files: rows agree with the
 * CLI's scoring path, contributions recomputed from the spec match the ONNX graph, sorting, filtering,
 * search, histograms, chunked scoring that yields to the event loop, and the detail with evidence.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_QUERY, histogram, inspectStats, queryRows, topTraits, TraitColumns, type InspectRow } from '../../src/core/inspect';
import { explainLine } from '../../src/core/inspectDetail';
import { scoreTextInChunks } from '../../src/core/inspectScoring';
import { RewardModel } from '../../src/core/reward/model';
import { scoreJsonlText, type LineResult } from '../../src/core/score';
import { repoRoot } from './paths';

const sample = (name: string) => readFileSync(join(repoRoot, 'samples', 'workspace', name), 'utf8');

let model: RewardModel;
let cols: TraitColumns;
before(async () => {
  model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  cols = new TraitColumns(model.spec);
});
after(() => model.dispose());

async function rowsOf(text: string, opts: { chunkSize?: number; firstChunkSize?: number } = {}) {
  const rows: InspectRow[] = [];
  const chunks: number[] = [];
  const summary = await scoreTextInChunks(text, 'x.jsonl', model, {
    ...opts,
    onChunk: (c) => {
      chunks.push(c.rows.length + c.problems.length);
      rows.push(...c.rows);
    },
  });
  return { rows, chunks, summary };
}

async function cliResults(text: string): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for await (const r of scoreJsonlText(text, 'x.jsonl', model, { candidates: true })) out.push(r);
  return out;
}

describe('inspector rows', () => {
  test('one row per valid line, with the scores and contributions of the scoring path', async () => {
    for (const name of ['dialogues.jsonl', 'pairs.jsonl', 'contrastive.jsonl', 'demo.pairs.jsonl']) {
      const text = sample(name);
      const { rows, summary } = await rowsOf(text);
      const expected = (await cliResults(text)).filter((r) => r.kind !== 'diagnostic');
      assert.equal(rows.length, expected.length, name);
      assert.equal(summary.problems, 0);
      rows.forEach((row, i) => {
        const e = expected[i];
        assert.equal(row.line, e.line);
        assert.equal(row.kind, e.kind);
        if (e.kind === 'dialogue') {
          assert.ok(Math.abs(row.score - e.result.score) < 1e-9);
          // Contributions recomputed from the stored values and the spec = what the ONNX graph gave.
          model.traitIds.forEach((id, j) => assert.ok(Math.abs(cols.rowContribution(row, j) - e.result.contributions[id]) < 1e-5, `${name}:${row.line} ${id}`));
        } else {
          // Candidates are shown as their best against their worst, by the spread between them.
          const [a, b, margin] =
            e.kind === 'pair'
              ? [e.result.chosen, e.result.rejected, e.result.margin]
              : e.kind === 'contrastive'
                ? [e.result.human, e.result.ai, e.result.margin]
                : [e.result.candidates[e.result.best - 1], e.result.candidates[e.result.worst - 1], e.result.spread];
          if (e.kind === 'candidates') assert.deepEqual(row.candidates, { n: e.result.candidates.length, best: e.result.best, worst: e.result.worst });
          assert.ok(Math.abs(row.score - margin) < 1e-9);
          assert.ok(Math.abs(row.a! - a.score) < 1e-9 && Math.abs(row.b! - b.score) < 1e-9);
          model.traitIds.forEach((id, j) => {
            assert.ok(Math.abs(cols.rowContribution(row, j) - (a.contributions[id] - b.contributions[id])) < 1e-5, `${name}:${row.line} ${id}`);
            assert.ok(Math.abs(cols.value(row, j) - (a.traits[id] - b.traits[id])) < 1e-5);
          });
        }
      });
    }
  });

  test('a malformed line is a problem, and every other line is a row', async () => {
    const { rows, summary } = await rowsOf(sample('broken.jsonl'));
    assert.deepEqual(rows.map((r) => r.line), [1, 2, 4]);
    assert.deepEqual([summary.rows, summary.problems, summary.lines], [3, 1, 4]);
  });

  test('big texts come in chunks, the first one small, and the event loop runs between them', async () => {
    const lines = sample('dialogues.jsonl').trim().split('\n');
    const text = Array.from({ length: 2500 }, (_, i) => lines[i % lines.length]).join('\n');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const { rows, chunks } = await rowsOf(text, { firstChunkSize: 100, chunkSize: 1000 });
    clearInterval(timer);
    assert.equal(rows.length, 2500);
    assert.deepEqual(rows.map((r) => r.line), Array.from({ length: 2500 }, (_, i) => i + 1));
    assert.equal(chunks[0], 100);
    assert.ok(chunks.length >= 3, `chunks ${chunks}`);
    assert.ok(ticks >= 2, `timers ran ${ticks} times while scoring`);
  });

  test('an abort stops scoring early', async () => {
    const lines = sample('pairs.jsonl').trim().split('\n');
    const text = Array.from({ length: 3000 }, (_, i) => lines[i % lines.length]).join('\n');
    const abort = new AbortController();
    let seen = 0;
    const summary = await scoreTextInChunks(text, 'x.jsonl', model, {
      signal: abort.signal,
      onChunk: (c) => {
        seen += c.rows.length;
        abort.abort();
      },
    });
    assert.equal(summary.aborted, true);
    assert.ok(seen < 3000);
  });
});

describe('queries', () => {
  let rows: InspectRow[];
  before(async () => {
    rows = (await rowsOf(sample('dialogues.jsonl') + '\n' + sample('pairs.jsonl'))).rows;
  });

  test('file order by default, and sorting by score either way', () => {
    const lines = (q: Partial<typeof DEFAULT_QUERY>) => Array.from(queryRows(rows, cols, { ...DEFAULT_QUERY, ...q }), (i) => rows[i]);
    assert.deepEqual(lines({}).map((r) => r.line), rows.map((r) => r.line));
    const up = lines({ sort: 'score' }).map((r) => r.score);
    assert.deepEqual(up, [...up].sort((a, b) => a - b));
    const down = lines({ sort: 'score', desc: true }).map((r) => r.score);
    assert.deepEqual(down, [...down].sort((a, b) => b - a));
  });

  test('sorting by a trait orders by its value; filtering keeps the range; search is case-insensitive', () => {
    const id = topTraits(model.spec, 1)[0];
    const j = cols.position.get(id)!;
    const sorted = Array.from(queryRows(rows, cols, { ...DEFAULT_QUERY, sort: `trait:${id}`, desc: true }), (i) => cols.value(rows[i], j));
    assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a));
    assert.equal(sorted.length, rows.length);

    const kept = queryRows(rows, cols, { ...DEFAULT_QUERY, filter: { key: 'score', min: 0 } });
    assert.deepEqual(Array.from(kept), rows.flatMap((r, i) => (r.score >= 0 ? [i] : [])));

    const hits = queryRows(rows, cols, { ...DEFAULT_QUERY, search: 'TACOS' });
    assert.ok(hits.length >= 1);
    for (const i of hits) assert.ok(rows[i].text.includes('tacos'));
    assert.equal(queryRows(rows, cols, { ...DEFAULT_QUERY, search: 'no such words anywhere' }).length, 0);
  });

  test('the top traits are the largest |weight| first', () => {
    const top = topTraits(model.spec, 10);
    assert.equal(top.length, 10);
    const w = (id: string) => Math.abs(model.spec.weights[cols.position.get(id)!]);
    for (let i = 1; i < top.length; i++) assert.ok(w(top[i - 1]) >= w(top[i]));
    const rest = model.traitIds.filter((id) => !top.includes(id));
    assert.ok(rest.every((id) => w(id) <= w(top[9])));
  });
});

describe('histograms and stats', () => {
  test('equal-width bins that count every finite value once', () => {
    const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN], 5);
    assert.deepEqual([h.min, h.max], [0, 10]);
    assert.deepEqual(h.counts, [2, 2, 2, 2, 3]);
    assert.deepEqual(histogram([3, 3, 3], 4).counts, [3, 0, 0, 0]);
    assert.deepEqual(histogram([], 2), { min: 0, max: 0, counts: [0, 0] });
  });

  test('pair files get the share of pairs the reward agrees with', async () => {
    const { rows } = await rowsOf(sample('pairs.jsonl'));
    const stats = inspectStats(rows, cols, 10);
    assert.deepEqual(stats.agreement, { agree: rows.filter((r) => r.score > 0).length, of: rows.length });
    assert.equal(stats.scores.counts.reduce((a, b) => a + b), rows.length);
    assert.equal(Object.keys(stats.traits).length, model.traitIds.length);
    const dialogues = inspectStats((await rowsOf(sample('dialogues.jsonl'))).rows, cols);
    assert.equal(dialogues.agreement, undefined);
  });
});

describe('line detail', () => {
  test('evidence spans lie inside their messages and name model traits; contributions add up to the score', async () => {
    const text = sample('dialogues.jsonl').split('\n')[0];
    const d = await explainLine(text, 1, model);
    assert.ok(d);
    const side = d.sides[0];
    assert.ok(side.evidence.length > 0, 'the first sample dialogue has some evidence');
    for (const e of side.evidence) {
      assert.ok(model.traitIds.includes(e.trait));
      assert.ok(e.start >= 0 && e.end > e.start && e.end <= side.messages[e.turn].content.length);
    }
    const sum = side.traits.reduce((a, t) => a + t.contribution, model.bias);
    assert.ok(Math.abs(sum - side.score) < 1e-6);
    const [expected] = await cliResults(text);
    assert.ok(expected.kind === 'dialogue' && Math.abs(expected.result.score - side.score) < 1e-9);
  });

  test('a pair has two sides with the prompt as context; a bad line has no detail', async () => {
    const d = await explainLine(sample('pairs.jsonl').split('\n')[0], 1, model);
    assert.deepEqual(d?.sides.map((s) => s.label), ['chosen', 'rejected']);
    assert.equal(d?.sides[0].context.length, 1);
    assert.equal(await explainLine('{"messages": [', 3, model), undefined);
    assert.equal(await explainLine('{"foo": 1}', 3, model), undefined);
  });
});
