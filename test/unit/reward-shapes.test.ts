/**
 * The shape family: a piecewise-linear fᵢ per trait, fitted as a pairwise logistic model with
 * smoothness, monotone where the catalog declares a direction, computed by onnxruntime exactly as the
 * knots say and bit for bit as shape.ts says (the inspector's and hover's numbers come from shape.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { contribution, gridZ } from '../../src/core/reward/shape';
import { collectComparisons, ComparisonTable, fitReward, type Comparison } from '../../src/core/reward/train';
import { TRAITS, traitIndex } from '../../src/core/traits/catalog';
import { assertMatchesFormula } from '../support/rewardFormula';
import { requireShared } from './paths';
import { mulberry32 } from '../../src/core/random';

const rowOf = (rand: () => number) => Float64Array.from(TRAITS, (t) => t.range[0] + rand() * Math.min(t.range[1] - t.range[0], 10) * 0.1);
const set = (comparisons: Comparison[]) => ({ table: ComparisonTable.from(comparisons), diagnostics: [], skippedDialogues: 0 });
const cv = (report: { crossValidated: { key: string; accuracy: number }[] }) => report.crossValidated.find((r) => r.key === 'all')!.accuracy;

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'styletune-shapes-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('shape models through ONNX', () => {
  test('a shape model fitted on real games scores as its knots say, and as shape.ts says to the last bit', async () => {
    const { spec } = fitReward(await collectComparisons([requireShared('turing/games.dev.jsonl')]), { folds: 2 });
    assert.ok(spec.shapes, 'the default family is shapes');
    assert.ok(spec.shapes.traits.some((s) => s.knots.length >= 6), 'some traits have many knots');
    const model = await RewardModel.fromSpec(spec);
    try {
      const rand = mulberry32(4);
      // Values across each trait's range, cubed toward the low end where most data is, plus both ends.
      const rows = Array.from({ length: 300 }, () => Float64Array.from(TRAITS, (t) => t.range[0] + rand() ** 3 * (t.range[1] - t.range[0])));
      rows.push(Float64Array.from(TRAITS, (t) => t.range[0]), Float64Array.from(TRAITS, (t) => t.range[1]));
      // Values exactly on knots and grid points.
      for (let g = 0; g <= spec.shapes.cells; g += 7) rows.push(Float64Array.from(TRAITS, (_, c) => {
        const j = spec.traitIds.indexOf(TRAITS[c].id);
        return spec.mean[j] + gridZ(spec.shapes!.traits[j], spec.shapes!.cells, g) * spec.std[j];
      }));
      await assertMatchesFormula(model, model.spec, rows);
      const { contributions } = await model.scoreRows(rows);
      const k = spec.traitIds.length;
      rows.forEach((row, r) => {
        for (let j = 0; j < k; j++) assert.equal(contributions[r * k + j], contribution(model.spec, j, row[traitIndex(spec.traitIds[j])]), `row ${r}, ${spec.traitIds[j]}`);
      });
    } finally {
      await model.dispose();
    }
  });
});

describe('fitting shapes', () => {
  test('some slang is human, a wall of it is not: a shape rises and falls, a weight cannot', () => {
    const rand = mulberry32(21);
    const slang = traitIndex('slang');
    const comparisons: Comparison[] = [];
    for (let i = 0; i < 400; i++) {
      const winner = rowOf(rand);
      const loser = rowOf(rand);
      winner[slang] = 0.1 + 0.1 * rand();
      loser[slang] = i % 2 ? 0.05 * rand() : 0.5 + 0.3 * rand();
      comparisons.push({ winner, loser, source: 'a.jsonl' });
    }
    const shaped = fitReward(set(comparisons), { folds: 5 });
    const linear = fitReward(set(comparisons), { family: 'linear', folds: 5 });
    assert.ok(cv(shaped.report) >= 0.95, `shapes: ${cv(shaped.report)}`);
    assert.ok(cv(linear.report) <= 0.8, `linear: ${cv(linear.report)}`);
    const s = shaped.report.weights.find((w) => w.id === 'slang')!.shape!;
    const peak = s.x[s.f.indexOf(Math.max(...s.f))];
    assert.ok(peak > 0.05 && peak < 0.5, `f(slang) peaks inside, at ${peak}`);
    assert.ok(s.f[0] < Math.max(...s.f) - 1 && s.f[s.f.length - 1] < Math.max(...s.f) - 1, 'and falls on both sides');
  });

  test("a declared direction holds even when the data says the opposite ('As an AI' talk can only cost)", async () => {
    const rand = mulberry32(22);
    const aiMeta = traitIndex('ai_meta');
    const slang = traitIndex('slang');
    const numbers = traitIndex('numbers');
    assert.equal(TRAITS[aiMeta].direction?.sign, -1);
    assert.equal(TRAITS[numbers].direction, undefined);
    const comparisons: Comparison[] = [];
    for (let i = 0; i < 300; i++) {
      const winner = rowOf(rand);
      const loser = rowOf(rand);
      // Winners talk about being an AI more (a quirk of this data), and have more slang.
      winner[aiMeta] = 2 * rand();
      loser[aiMeta] = rand();
      winner[slang] = 0.3 + rand() * 0.2;
      loser[slang] = rand() * 0.3;
      // The same quirk in a trait without a declared direction, as a control.
      winner[numbers] = winner[aiMeta] / 2;
      loser[numbers] = loser[aiMeta] / 2;
      comparisons.push({ winner, loser, source: 'a.jsonl' });
    }
    const { spec, report } = fitReward(set(comparisons), { folds: 3 });
    const j = spec.traitIds.indexOf('ai_meta');
    const values = spec.shapes!.traits[j].values;
    for (let l = 1; l < values.length; l++) assert.ok(values[l] <= values[l - 1] + 1e-12, `f(ai_meta) never rises: ${values}`);
    assert.equal(report.weights[j].shape!.direction, -1);
    // Unconstrained, the same signal gives a rising shape: the constraint is what holds ai_meta.
    const control = spec.shapes!.traits[spec.traitIds.indexOf('numbers')].values;
    assert.ok(control[control.length - 1] > control[0] + 0.5, `f(numbers) rises: ${control}`);
    const model = await RewardModel.fromSpec(spec);
    try {
      const rows = [0, 0.5, 1, 2, 4].map((v) => {
        const row = new Float64Array(TRAITS.length);
        row[aiMeta] = v;
        return row;
      });
      const { contributions } = await model.scoreRows(rows);
      const k = spec.traitIds.length;
      for (let r = 1; r < rows.length; r++) assert.ok(contributions[r * k + j] <= contributions[(r - 1) * k + j], 'scored contributions fall too');
    } finally {
      await model.dispose();
    }
  });

  test('fold keys: lines sharing a game or a prompt are one fold group, transitively', async () => {
    const file = join(dir, 'linked.jsonl');
    const pair = (prompt: string, game: string) => JSON.stringify({ game, prompt, chosen: 'nah lol', rejected: 'I am an AI language model and cannot have preferences.' });
    // a-b share game 1, b-c share prompt "q2", d stands alone.
    writeFileSync(file, [pair('q1', '1'), pair('q2', '1'), pair('q2', '2'), pair('q3', '3')].join('\n') + '\n');
    const data = await collectComparisons([file], { foldBy: ['game', 'prompt'] });
    assert.deepEqual([...data.table.foldGroups()!], [0, 0, 0, 3]);
    const plain = await collectComparisons([file]);
    assert.equal(plain.table.foldGroups(), undefined);
    const { report } = fitReward(data, { folds: 2 });
    assert.equal(report.groupedFolds, true);
  });

  test('a grouping field that is not a plain value is a diagnostic with the line, not a crash', async () => {
    const file = join(dir, 'nested.jsonl');
    const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
    writeFileSync(file, [`{"game": ${deep}, "chosen": "a", "rejected": "b"}`, '{"game": ["x"], "chosen": "a", "rejected": "b"}', JSON.stringify({ game: 'g', chosen: 'yo', rejected: 'Hello there.' })].join('\n') + '\n');
    const data = await collectComparisons([file], { by: 'game' });
    assert.equal(data.table.n, 1);
    // The 5,000-deep line is refused by the reader (jsonl.ts MAX_NESTING) before any field is looked at.
    assert.deepEqual(data.diagnostics.map((d) => [d.line, d.message]), [
      [1, 'line nests arrays and objects more than 512 levels deep; StyleTune reads up to 512'],
      [2, '`game` must be a string, number or boolean to group by, got a list'],
    ]);
  });
});
