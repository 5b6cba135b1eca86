/**
 * A reward model file cannot be damaged silently: whatever byte changes, the file either scores exactly
 * as before or is refused with its name and a reason; numbers that cannot make a reward (NaN, ∞, a
 * non-positive SD, clip bounds that disagree) are refused by name; files written before format 2
 * (linear, no content hash) still load and score exactly as they did.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { RewardModel } from '../../src/core/reward/model';
import { decodeReward, encodeReward, FORMAT_V1, META, type RewardSpec } from '../../src/core/reward/onnx';
import { contribution } from '../../src/core/reward/shape';
import { collectComparisons, fitReward } from '../../src/core/reward/train';
import { scoreJsonlText } from '../../src/core/score';
import { TRAITS, traitIndex } from '../../src/core/traits/catalog';
import { fixtures, requireShared } from './paths';
import { formula } from '../support/rewardFormula';
import { mulberry32 } from '../../src/core/random';

/** Rows across each trait's whole range, so every segment of every shape is read. */
function probeRows(n: number, seed: number): Float64Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Float64Array.from(TRAITS, (t) => t.range[0] + rand() ** 3 * (t.range[1] - t.range[0])));
}

let shaped: RewardSpec | undefined;
/** A shape model fitted on the real Turing games (cached: several tests damage it). */
async function shapeSpec(): Promise<RewardSpec> {
  shaped ??= fitReward(await collectComparisons([requireShared('turing/games.dev.jsonl')]), { folds: 2, name: 'integrity test' }).spec;
  return shaped;
}

async function scores(model: RewardModel, rows: Float64Array[]): Promise<{ score: Float64Array; contributions: Float64Array }> {
  return model.scoreRows(rows);
}

/** Loads `bytes`: undefined when refused (and the refusal names the file), else the model. */
async function tryLoad(bytes: Uint8Array, file: string): Promise<RewardModel | { refused: string }> {
  try {
    return await RewardModel.fromBytes(bytes, file);
  } catch (err) {
    return { refused: (err as Error).message };
  }
}

describe('a damaged model file is refused or scores bit-identically', () => {
  for (const family of ['shape', 'linear'] as const) {
    test(`${family}: 200 single random byte changes`, async () => {
      const spec = family === 'shape' ? await shapeSpec() : fitReward(await collectComparisons([requireShared('turing/games.dev.jsonl')]), { family, folds: 2 }).spec;
      const bytes = encodeReward(spec);
      const rows = probeRows(64, 5);
      const intact = await RewardModel.fromBytes(bytes, 'intact.onnx');
      const want = await scores(intact, rows);
      await intact.dispose();
      const rand = mulberry32(family === 'shape' ? 17 : 18);
      let refused = 0;
      let same = 0;
      for (let v = 0; v < 200; v++) {
        const damaged = Uint8Array.from(bytes);
        const at = Math.floor(rand() * damaged.length);
        damaged[at] ^= 1 + Math.floor(rand() * 255);
        const file = `variant-${v}-byte-${at}.onnx`;
        const loaded = await tryLoad(damaged, file);
        if ('refused' in loaded) {
          assert.ok(loaded.refused.includes(file), `the refusal names the file: ${loaded.refused}`);
          refused++;
          continue;
        }
        try {
          const got = await scores(loaded, rows);
          assert.deepEqual(got.score, want.score, `${file} loaded but scores differently`);
          assert.deepEqual(got.contributions, want.contributions, `${file} loaded but its contributions differ`);
          same++;
        } finally {
          await loaded.dispose();
        }
      }
      assert.equal(refused + same, 200);
      // Every byte is covered by the hash or by re-encoding: none of 200 loads.
      assert.equal(same, 0, `${same} damaged variants loaded`);
    });
  }
});

/** Decodes the file, changes it, encodes it again (the stored hash stays as it was). */
function tamper(bytes: Uint8Array, change: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  change(m);
  return onnx.ModelProto.encode(m).finish();
}

const setDoubles = (m: onnx.ModelProto, name: string, values: number[]) => {
  const t = m.graph!.initializer!.find((i) => i.name === name)!;
  t.rawData = new Uint8Array(Float64Array.from(values).buffer);
};

describe('numbers that cannot make a reward are refused, naming the file and the reason', () => {
  const linear = (): RewardSpec => ({
    traitIds: ['slang', 'length', 'emoji'],
    mean: Float64Array.from([0.1, 3, 0.5]),
    std: Float64Array.from([0.05, 1.5, 0.25]),
    weights: Float64Array.from([0.8, -0.4, 0.3]),
    bias: 0.75,
    zClip: 2,
    role: 'assistant',
    training: { name: 'hand-made' },
  });
  const cases: [string, (m: onnx.ModelProto) => void, RegExp][] = [
    ['a NaN weight', (m) => setDoubles(m, 'weights', [0.8, NaN, 0.3]), /bad\.onnx: `weights` of trait length is NaN/],
    ['an infinite bias', (m) => setDoubles(m, 'bias', [Infinity]), /bad\.onnx: the bias is Infinity/],
    ['a zero standard deviation', (m) => setDoubles(m, 'std', [0.05, 0, 0.25]), /bad\.onnx: the standard deviation of trait length is 0; it must be positive/],
    ['a negative standard deviation', (m) => setDoubles(m, 'std', [-0.05, 1.5, 0.25]), /standard deviation of trait slang is -0\.05/],
    ['clip bounds that disagree', (m) => setDoubles(m, 'z_max', [3]), /bad\.onnx: the z-score clip bounds disagree \(z_min -2, z_max 3\)/],
    ['trait names reversed', (m) => (m.metadataProps.find((p) => p.key === META.traits)!.value = JSON.stringify(['emoji', 'length', 'slang'])), /bad\.onnx is damaged: its content hash does not match/],
    ['a weight changed', (m) => setDoubles(m, 'weights', [0.8, -0.41, 0.3]), /bad\.onnx is damaged/],
    ['the hash removed', (m) => (m.metadataProps = m.metadataProps.filter((p) => p.key !== META.sha256)), /bad\.onnx has no content hash/],
    ['an operator swapped (Sub for Add)', (m) => (m.graph!.node!.find((n) => n.opType === 'Add')!.opType = 'Sub'), /bad\.onnx is damaged: its graph is not the one StyleTune writes/],
  ];
  for (const [what, change, reason] of cases) {
    test(what, async () => {
      await assert.rejects(RewardModel.fromBytes(tamper(encodeReward(linear()), change), 'bad.onnx'), reason);
    });
  }

  test('a shape with a NaN value, knots off the grid, or a swapped lookup table', async () => {
    const spec = await shapeSpec();
    const shapes = (m: onnx.ModelProto, edit: (s: { traits: { values: (number | null)[]; knots: number[] }[] }) => void, text = (t: string) => t) => {
      const p = m.metadataProps.find((q) => q.key === META.shapes)!;
      const s = JSON.parse(p.value!);
      edit(s);
      p.value = text(JSON.stringify(s));
    };
    const j = spec.shapes!.traits.findIndex((t) => t.knots.length > 2);
    const id = spec.traitIds[j];
    await assert.rejects(
      RewardModel.fromBytes(tamper(encodeReward(spec), (m) => shapes(m, (s) => (s.traits[j].knots[1] = 0.5))), 'bad.onnx'),
      new RegExp(`bad\\.onnx: the shape of trait ${id} has knots that are not increasing grid points`),
    );
    await assert.rejects(
      RewardModel.fromBytes(tamper(encodeReward(spec), (m) => shapes(m, (s) => (s.traits[j].values[0] = null))), 'bad.onnx'),
      new RegExp(`bad\\.onnx: the shape of trait ${id} has a value that is not a finite number`),
    );
    await assert.rejects(
      RewardModel.fromBytes(tamper(encodeReward(spec), (m) => shapes(m, () => undefined, (t) => t.replace(/"values":\[[^,\]]+/, '"values":[NaN'))), 'bad.onnx'),
      /bad\.onnx: metadata styletune\.shapes is not valid JSON/,
    );
    const swapped = tamper(encodeReward(spec), (m) => {
      const table = m.graph!.initializer!.find((i) => i.name === 'table')!;
      const rise = m.graph!.initializer!.find((i) => i.name === 'rise')!;
      [table.rawData, rise.rawData] = [rise.rawData, table.rawData];
    });
    await assert.rejects(RewardModel.fromBytes(swapped, 'bad.onnx'), /bad\.onnx is damaged: its graph is not the one StyleTune writes/);
  });

  test('the encoder refuses to write what the reader would refuse', () => {
    assert.throws(() => encodeReward({ ...linear(), weights: Float64Array.from([0, Infinity, 0]) }), /cannot write the reward model: `weights` of trait length is Infinity/);
    assert.throws(() => encodeReward({ ...linear(), zClip: 0 }), /the z-score clip is 0/);
  });
});

describe('format 1 files (linear, before content hashes)', () => {
  const legacy = join(fixtures, 'models', 'linear-v1.onnx');
  const lines = [
    { messages: [{ role: 'user', content: 'hey, how was the weekend?' }, { role: 'assistant', content: 'honestly pretty chill lol, went hiking sat. you?' }] },
    { messages: [{ role: 'user', content: 'did you watch anything good?' }, { role: 'assistant', content: 'Certainly! I would be happy to share some recommendations. As an AI, I do not watch television myself; however, many viewers enjoy acclaimed series such as "Breaking Bad".' }] },
    { messages: [{ role: 'assistant', content: 'meh. long. yours?' }] },
    { messages: [{ role: 'assistant', content: 'It was great! I had a productive day and accomplished many tasks. How about you?' }] },
  ];

  test('the default model of the linear era loads and scores exactly as that version did', async () => {
    const model = await RewardModel.load(legacy);
    try {
      assert.equal(model.spec.shapes, undefined);
      const got: number[] = [];
      for await (const r of scoreJsonlText(lines.map((l) => JSON.stringify(l)).join('\n'), 'mem.jsonl', model)) {
        assert.equal(r.kind, 'dialogue');
        if (r.kind === 'dialogue') got.push(r.result.score);
      }
      // Printed by that version's `styletune score` (commit 6519c7b) on these four lines, except where
      // the word lists have changed since: the model's own contributions of the traits that now measure
      // differently move the score by exactly their change (checked below).
      //   line 2: "Certainly" counts as assistant phrasing (one more hit per turn than that version measured);
      //   line 3: "meh" is an interjection, not slang (slang 1/3 -> 0), and "yours?" returns the question;
      //   line 4: "productive" and "tasks" are assistant-register vocabulary (formal 0 -> 2 of 15 words).
      assert.equal(got[0], -0.2706245352795448);
      const moved = (changes: [string, number, number][]) =>
        changes.reduce((s, [id, from, to]) => s + contribution(model.spec, model.traitIds.indexOf(id), to) - contribution(model.spec, model.traitIds.indexOf(id), from), 0);
      const expected = [
        0.6540086616397215 + moved([['assistant_phrasing', 1, 2]]),
        -1.0366519557743743 + moved([['slang', 1 / 3, 0], ['question_back', 0, 1]]),
        3.8979341022543164 + moved([['formal_vocabulary', 0, 2 / 15]]),
      ];
      got.slice(1).forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-9, `line ${i + 2}: ${g} vs ${expected[i]}`));
      const rows = probeRows(20, 9);
      const { score, contributions } = await model.scoreRows(rows);
      rows.forEach((row, r) => {
        assert.ok(Math.abs(score[r] - formula(model.spec, row).score) < 1e-9);
        model.traitIds.forEach((id, j) => assert.equal(contributions[r * model.traitIds.length + j], contribution(model.spec, j, row[traitIndex(id)])));
      });
    } finally {
      await model.dispose();
    }
  });

  test('a format 1 file with a NaN weight or an operator changed is refused', async () => {
    const bytes = readFileSync(legacy);
    assert.equal(decodeReward(bytes, 'v1.onnx').traitIds.length, 50);
    const format = onnx.ModelProto.decode(bytes).metadataProps.find((p) => p.key === META.format)!.value;
    assert.equal(format, FORMAT_V1);
    await assert.rejects(RewardModel.fromBytes(tamper(bytes, (m) => setDoubles(m, 'weights', Array.from({ length: 50 }, (_, j) => (j === 3 ? NaN : 0.1)))), 'v1.onnx'), /v1\.onnx: `weights` of trait relative_length is NaN/);
    await assert.rejects(RewardModel.fromBytes(tamper(bytes, (m) => (m.graph!.node!.find((n) => n.opType === 'Sub')!.opType = 'Sum')), 'v1.onnx'), /v1\.onnx is damaged: its graph is not the one/);
  });
});
