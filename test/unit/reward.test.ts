/**
 * The reward model: fitting (Bradley-Terry on trait differences), the ONNX file format, and loading it
 * back with onnxruntime. The ONNX graph must compute exactly bias + Σ fᵢ(clip((x − mean) / std)), per
 * trait id (fᵢ = wᵢ·z for linear models, the piecewise-linear shape for shape models), and a file whose
 * parts disagree must be refused, never silently misapplied. reward-integrity.test.ts damages files on
 * purpose; reward-shapes.test.ts fits shapes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { fitPairs, foldAssignment, groupedFoldAssignment, pairwiseAccuracy } from '../../src/core/reward/fit';
import { RewardModel, saveSpec } from '../../src/core/reward/model';
import { decodeReward, encodeReward, META, type RewardSpec } from '../../src/core/reward/onnx';
import { collectComparisons, ComparisonTable, fitReward, type Comparison, type ComparisonSet } from '../../src/core/reward/train';
import { TRAITS, TRAIT_IDS, traitIndex } from '../../src/core/traits/catalog';
import { requireShared } from './paths';
import { assertMatchesFormula, formula } from '../support/rewardFormula';
import { mulberry32 } from '../../src/core/random';

/** A plausible engine-order trait row: every value inside its trait's range. */
function randomRow(rand: () => number): Float64Array {
  return Float64Array.from(TRAITS, (t) => t.range[0] + rand() * Math.min(t.range[1] - t.range[0], 10));
}

const SLANG = traitIndex('slang');

/**
 * Synthetic comparisons. `separable`: the winner always has more slang than the loser (slang in
 * [0.5, 1] vs [0, 0.5]) and every other trait is noise; otherwise winner and loser are both pure noise.
 */
function synthetic(n: number, separable: boolean, seed = 7): ComparisonSet {
  const rand = mulberry32(seed);
  const comparisons: Comparison[] = [];
  for (let i = 0; i < n; i++) {
    const winner = randomRow(rand);
    const loser = randomRow(rand);
    if (separable) {
      winner[SLANG] = 0.5 + 0.5 * rand();
      loser[SLANG] = 0.5 * rand();
    }
    comparisons.push({ winner, loser, source: i % 3 === 0 ? 'b.jsonl' : 'a.jsonl', group: i % 2 ? 'odd' : 'even' });
  }
  return { table: ComparisonTable.from(comparisons), diagnostics: [], skippedDialogues: 0 };
}

function handSpec(overrides: Partial<RewardSpec> = {}): RewardSpec {
  return {
    traitIds: ['slang', 'length', 'emoji'],
    mean: Float64Array.from([0.1, 3, 0.5]),
    std: Float64Array.from([0.05, 1.5, 0.25]),
    weights: Float64Array.from([0.8, -0.4, 0.3]),
    bias: 0.75,
    zClip: 2,
    role: 'agent_1',
    training: { name: 'hand-made', note: 'test' },
    ...overrides,
  };
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'styletune-reward-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ONNX round trip', () => {
  test('fitReward → saveSpec → RewardModel.load scores exactly the formula', async () => {
    const { spec, report } = fitReward(synthetic(120, true), { family: 'linear', folds: 3, name: 'synthetic' });
    assert.deepEqual(spec.traitIds, TRAIT_IDS);
    assert.equal(spec.bias, 0);
    assert.ok(report.weights.some((w) => w.weight !== 0));
    const file = join(dir, 'fitted.onnx');
    await saveSpec(spec, file);
    const model = await RewardModel.load(file);
    try {
      assert.deepEqual(model.traitIds, TRAIT_IDS);
      assert.equal(model.file, file);
      assert.equal(model.summary, `synthetic (${TRAIT_IDS.length} traits)`);
      const rand = mulberry32(99);
      const rows = Array.from({ length: 25 }, () => randomRow(rand));
      // Extreme rows: far beyond ±zClip standard deviations, so clipping is exercised.
      rows.push(Float64Array.from(TRAITS, (t) => t.range[1]), Float64Array.from(TRAITS, (t) => t.range[0]));
      const clipped = rows.some((row) => spec.traitIds.some((id, j) => Math.abs((row[traitIndex(id)] - spec.mean[j]) / spec.std[j]) > spec.zClip));
      assert.ok(clipped, 'the test rows must include z-scores beyond the clip');
      await assertMatchesFormula(model, spec, rows);
      assert.deepEqual(await model.scoreRows([]), { score: new Float64Array(0), contributions: new Float64Array(0) });
    } finally {
      await model.dispose();
    }
  });

  test('a hand-made spec with a bias: every field survives the file, scores match', async () => {
    const spec = handSpec();
    const file = join(dir, 'hand.onnx');
    await saveSpec(spec, file);
    const back = decodeReward(await readFile(file), file);
    assert.deepEqual(back, spec);
    const model = await RewardModel.load(file);
    try {
      assert.equal(model.bias, 0.75);
      assert.equal(model.spec.role, 'agent_1');
      const rand = mulberry32(3);
      const rows = Array.from({ length: 10 }, () => randomRow(rand));
      await assertMatchesFormula(model, spec, rows);
      // At the mean every z is 0: the score is the bias.
      const atMean = new Float64Array(TRAITS.length);
      spec.traitIds.forEach((id, j) => (atMean[traitIndex(id)] = spec.mean[j]));
      const { score } = await model.scoreRows([atMean]);
      assert.ok(Math.abs(score[0] - 0.75) < 1e-12);
      // model.save writes an equivalent file.
      const copy = join(dir, 'hand-copy.onnx');
      await model.save(copy);
      assert.deepEqual(decodeReward(await readFile(copy), copy), spec);
    } finally {
      await model.dispose();
    }
  });

  test('more rows than one onnxruntime batch', async () => {
    const spec = handSpec();
    const model = await RewardModel.fromSpec(spec);
    try {
      const rand = mulberry32(5);
      const rows = Array.from({ length: 4096 + 7 }, () => randomRow(rand));
      const { score } = await model.scoreRows(rows);
      for (const r of [0, 4095, 4096, 4102]) assert.ok(Math.abs(score[r] - formula(spec, rows[r]).score) < 1e-6, `row ${r}`);
    } finally {
      await model.dispose();
    }
  });

  test('a row of the wrong width is refused', async () => {
    const model = await RewardModel.fromSpec(handSpec());
    try {
      await assert.rejects(model.scoreRows([new Float64Array(3)]), { message: `row 0 has 3 trait values, expected ${TRAIT_IDS.length}` });
    } finally {
      await model.dispose();
    }
  });
});

describe('refusing bad model files', () => {
  test('a model naming a trait this engine does not know is refused, naming the trait', async () => {
    const file = join(dir, 'unknown-trait.onnx');
    writeFileSync(file, encodeReward(handSpec({ traitIds: ['slang', 'sarcasm_level', 'emoji'] })));
    await assert.rejects(RewardModel.load(file), (err: Error) => {
      assert.match(err.message, /sarcasm_level/);
      assert.match(err.message, /does not know/);
      assert.ok(err.message.includes(file), err.message);
      assert.ok(!err.message.includes('slang,'), 'only the unknown trait is named');
      return true;
    });
  });

  test('a file that is not ONNX, and an ONNX file that is not a StyleTune reward, give plain errors', async () => {
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'hello world, this is not a model\n');
    await assert.rejects(RewardModel.load(text), (err: Error) => {
      assert.match(err.message, /is not (an ONNX model|a StyleTune reward model)/);
      assert.ok(err.message.startsWith(text), err.message);
      return true;
    });
    const foreign = join(dir, 'foreign.onnx');
    writeFileSync(foreign, onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'someone else' })).finish());
    await assert.rejects(RewardModel.load(foreign), /is not a StyleTune reward model .*styletune\.format/);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    await assert.rejects(RewardModel.load(empty), /is not a StyleTune reward model/);
  });

  test('a missing file says so', async () => {
    const missing = join(dir, 'nope', 'model.onnx');
    await assert.rejects(RewardModel.load(missing), { message: `reward model not found: ${missing}` });
  });

  test('a trait list whose length disagrees with the weights is refused', async () => {
    assert.throws(() => encodeReward(handSpec({ weights: Float64Array.from([1, 2]) })), /cannot write the reward model: 3 trait ids but 2 values in `weights`/);
    // Craft the disagreement inside a file: drop one id from the metadata, keep three weights.
    const model = onnx.ModelProto.decode(encodeReward(handSpec()));
    const traits = model.metadataProps.find((p) => p.key === META.traits)!;
    traits.value = JSON.stringify(['slang', 'length']);
    const file = join(dir, 'mismatch.onnx');
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    await assert.rejects(RewardModel.load(file), { message: `${file}: 2 trait ids but 3 values in \`mean\`` });
  });

  test('trait metadata that is not a list of ids, or that names a trait twice, is refused', async () => {
    const model = onnx.ModelProto.decode(encodeReward(handSpec()));
    model.metadataProps.find((p) => p.key === META.traits)!.value = '{"slang": 0}';
    await assert.rejects(RewardModel.fromBytes(onnx.ModelProto.encode(model).finish(), 'm.onnx'), /m\.onnx: metadata styletune\.traits must be a JSON list of trait ids/);
    await assert.rejects(RewardModel.fromSpec(handSpec({ traitIds: ['slang', 'length', 'slang'] }), 'dup.onnx'), /dup\.onnx names trait slang twice/);
  });
});

describe('column remapping', () => {
  test('a model fitted on a reordered subset of traits scores those columns by id', async () => {
    const ids = ['emoji', 'slang', 'length', 'all_caps'];
    const { spec, report } = fitReward(synthetic(90, true, 11), { traits: ids, folds: 3 });
    assert.deepEqual(spec.traitIds, ids);
    assert.deepEqual(report.weights.map((w) => w.id), ids);
    assert.deepEqual(report.weights.map((w) => w.label), ids.map((id) => TRAITS[traitIndex(id)].label));
    assert.equal(spec.mean.length, 4);
    assert.ok(spec.weights[1] > 0, 'slang decides the synthetic comparisons');
    const file = join(dir, 'subset.onnx');
    await saveSpec(spec, file);
    const model = await RewardModel.load(file);
    try {
      assert.deepEqual(model.traitIds, ids);
      const rand = mulberry32(12);
      const rows = Array.from({ length: 20 }, () => randomRow(rand));
      await assertMatchesFormula(model, spec, rows);
      // Traits the model does not use do not move its score.
      const a = randomRow(rand);
      const b = Float64Array.from(a);
      b[traitIndex('typos')] = 0.9;
      b[traitIndex('questions')] = 0.1;
      const { score } = await model.scoreRows([a, b]);
      assert.equal(score[0], score[1]);
    } finally {
      await model.dispose();
    }
  });

  test('fitting on a trait id the engine does not know is refused', () => {
    assert.throws(() => fitReward(synthetic(10, true), { traits: ['slang', 'vibes'] }), /unknown trait: vibes/);
  });
});

describe('fitting', () => {
  test('separable synthetic data: cross-validated accuracy ~1, and slang carries the weight', () => {
    const { report } = fitReward(synthetic(200, true), { folds: 5 });
    const all = report.crossValidated.find((r) => r.key === 'all')!;
    assert.equal(all.n, 200);
    assert.ok(all.accuracy >= 0.95, `CV accuracy ${all.accuracy}`);
    const top = [...report.weights].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))[0];
    assert.equal(top.id, 'slang');
    assert.ok(top.weight > 0);
    // Breakdown rows: overall, per source, per source:group.
    const keys = report.crossValidated.map((r) => r.key).sort();
    assert.deepEqual(keys, ['a.jsonl', 'a.jsonl:even', 'a.jsonl:odd', 'all', 'b.jsonl', 'b.jsonl:even', 'b.jsonl:odd']);
    const sources = report.crossValidated.filter((r) => r.key.endsWith('.jsonl'));
    assert.equal(sources.reduce((s, r) => s + r.n, 0), 200);
  });

  test('label noise: cross-validated accuracy ~0.5', () => {
    const { report } = fitReward(synthetic(200, false), { folds: 5 });
    const all = report.crossValidated.find((r) => r.key === 'all')!;
    assert.ok(all.accuracy > 0.3 && all.accuracy < 0.7, `CV accuracy ${all.accuracy}`);
    const training = report.training.find((r) => r.key === 'all')!;
    assert.ok(training.accuracy >= all.accuracy, 'training accuracy is optimistic');
  });

  test('L1 sets irrelevant traits to exactly 0; without it they stay non-zero', () => {
    const sparse = fitReward(synthetic(200, true), { family: 'linear', l1: 0.1, folds: 2 }).report.weights;
    const nonZero = sparse.filter((w) => w.weight !== 0).map((w) => w.id);
    assert.deepEqual(nonZero, ['slang']);
    const dense = fitReward(synthetic(200, true), { family: 'linear', l1: 0, folds: 2 }).report.weights;
    assert.ok(dense.filter((w) => w.weight !== 0).length > 40, 'no L1: noise traits get small non-zero weights');
  });

  const constantEmoji = (family: 'linear' | 'shape') => {
    const rows = synthetic(60, true).table;
    const comparisons = Array.from({ length: rows.n }, (_, r) => {
      const c = rows.comparison(r);
      const winner = Float64Array.from(c.winner);
      const loser = Float64Array.from(c.loser);
      winner[traitIndex('emoji')] = loser[traitIndex('emoji')] = 2;
      return { ...c, winner, loser };
    });
    return fitReward({ table: ComparisonTable.from(comparisons), diagnostics: [], skippedDialogues: 0 }, { family, traits: ['slang', 'emoji'], folds: 2, l1: family === 'linear' ? 0 : undefined }).spec;
  };

  test('a trait that never varies gets weight 0 (linear) or a flat shape, so it never moves a score', async () => {
    for (const family of ['linear', 'shape'] as const) {
      const spec = constantEmoji(family);
      assert.ok(Math.abs(spec.mean[1] - 2) < 1e-12);
      assert.equal(spec.weights[1], 0, family);
      if (family === 'shape') assert.deepEqual(spec.shapes!.traits[1].values, [0], 'one knot, at 0');
      const model = await RewardModel.fromSpec(spec);
      try {
        const row = new Float64Array(TRAITS.length);
        row[traitIndex('emoji')] = 5;
        const { contributions } = await model.scoreRows([row]);
        assert.equal(Math.abs(contributions[1]), 0, family);
      } finally {
        await model.dispose();
      }
    }
  });

  test(
    'a trait that never varies is stored with std 1, as train.ts promises',
    () => {
      assert.equal(constantEmoji('linear').std[1], 1);
    },
  );

  test('fewer than two comparisons cannot be fitted', () => {
    assert.throws(() => fitReward(synthetic(1, true)), /need at least 2 comparisons to fit, got 1/);
  });

  test('foldAssignment is deterministic, balanced, and seeded', () => {
    const a = foldAssignment(103, 5);
    assert.deepEqual(foldAssignment(103, 5), a);
    assert.deepEqual(foldAssignment(103, 5, 1), a, 'default seed is 1');
    assert.notDeepEqual(foldAssignment(103, 5, 2), a);
    const sizes = [0, 0, 0, 0, 0];
    for (const f of a) sizes[f]++;
    assert.deepEqual(sizes, [21, 21, 21, 20, 20]);
    assert.notDeepEqual([...a], Array.from({ length: 103 }, (_, i) => i % 5), 'rows are shuffled');
    assert.deepEqual([...foldAssignment(0, 3)], []);
  });

  test('fitPairs and pairwiseAccuracy on a tiny hand-made problem; rows of weight 0 are left out', () => {
    // Two traits; the first decides every pair, the second is always 0.
    const d = { x: Float64Array.from([1, 0, 2, 0, 0.5, 0, 3, 0]), n: 4, k: 2 };
    const { weights, loss } = fitPairs(d, { l1: 0, l2: 0.01 });
    assert.ok(weights[0] > 0);
    assert.equal(weights[1], 0);
    assert.ok(loss < Math.log(2));
    assert.equal(pairwiseAccuracy(d, weights), 1);
    assert.equal(pairwiseAccuracy(d, Float64Array.from([0, 0])), 0.5, 'ties count half');
    assert.equal(pairwiseAccuracy(d, Float64Array.from([-1, 0]), [0, 1]), 0);
    // A contradicting row, left out by weight 0, changes nothing.
    const withOut = { x: Float32Array.from([1, 0, 2, 0, 0.5, 0, 3, 0, -50, 0]), n: 5, k: 2, weight: Float64Array.from([1, 1, 1, 1, 0]) };
    assert.deepEqual(fitPairs(withOut, { l1: 0, l2: 0.01 }).weights, weights);
  });

  test('groupedFoldAssignment keeps each group in one fold and balances fold sizes', () => {
    // 40 groups of 1-5 comparisons each.
    const group = Int32Array.from({ length: 120 }, (_, r) => Math.floor(Math.sqrt(r * 13)));
    const fold = groupedFoldAssignment(group, 5);
    const foldOf = new Map<number, number>();
    group.forEach((g, r) => {
      assert.equal(foldOf.get(g) ?? fold[r], fold[r], `group ${g} is split`);
      foldOf.set(g, fold[r]);
    });
    const sizes = [0, 0, 0, 0, 0];
    for (const f of fold) sizes[f]++;
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 10, `fold sizes ${sizes}`);
    assert.deepEqual(groupedFoldAssignment(group, 5), fold, 'deterministic');
  });
});

describe('from real lines', () => {
  test('comparisons from the first pair and game lines fit a model that ranks them', async () => {
    const { readFileSync } = await import('node:fs');
    const head = (rel: string, n: number, name: string) => {
      const out = join(dir, name);
      writeFileSync(out, readFileSync(requireShared(rel), 'utf8').split('\n').slice(0, n).join('\n') + '\n');
      return out;
    };
    const pairs = head('human-like-dpo/pairs.dev.jsonl', 30, 'pairs30.jsonl');
    const games = head('turing/games.dev.jsonl', 30, 'games30.jsonl');
    const data = await collectComparisons([pairs, games], { by: 'ai_model' });
    assert.deepEqual(data.diagnostics, []);
    const comparisons = Array.from({ length: data.table.n }, (_, r) => data.table.comparison(r));
    assert.equal(comparisons.length, 60);
    assert.deepEqual([...new Set(comparisons.map((c) => c.source))], ['pairs30.jsonl', 'games30.jsonl']);
    assert.ok(comparisons.filter((c) => c.source === 'games30.jsonl').every((c) => typeof c.group === 'string' && c.group.length > 0));
    assert.ok(comparisons.filter((c) => c.source === 'pairs30.jsonl').every((c) => c.group === undefined));
    const { spec, report } = fitReward(data, { folds: 3 });
    const pairsAcc = report.crossValidated.find((r) => r.key === 'pairs30.jsonl')!;
    assert.ok(pairsAcc.accuracy >= 0.8, `casual vs formal replies are easy to tell apart: ${pairsAcc.accuracy}`);
    const model = await RewardModel.fromSpec(spec);
    try {
      const rows = comparisons.flatMap((c) => [Float64Array.from(c.winner), Float64Array.from(c.loser)]);
      await assertMatchesFormula(model, spec, rows);
    } finally {
      await model.dispose();
    }
  });
});
