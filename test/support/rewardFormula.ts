/**
 * The reward formula in plain JS, independent of the ONNX graph and of shape.ts's lookup tables: what
 * every model file must compute.
 */
import assert from 'node:assert/strict';
import type { RewardModel } from '../../src/core/reward/model';
import type { RewardSpec } from '../../src/core/reward/onnx';
import { gridZ } from '../../src/core/reward/shape';
import { traitIndex } from '../../src/core/traits/catalog';

/** Score and contributions of an engine-order row; shapes interpolated between their knots directly. */
export function formula(spec: RewardSpec, row: ArrayLike<number>): { score: number; contributions: number[] } {
  const contributions = spec.traitIds.map((id, j) => {
    const k = traitIndex(id);
    assert.ok(k >= 0, id);
    const z = Math.max(-spec.zClip, Math.min(spec.zClip, (row[k] - spec.mean[j]) / spec.std[j]));
    const shape = spec.shapes?.traits[j];
    if (!shape) return spec.weights[j] * z;
    const at = shape.knots.map((g) => gridZ(shape, spec.shapes!.cells, g));
    const v = shape.values;
    if (at.length === 1 || z <= at[0]) return v[0];
    for (let l = 1; l < at.length; l++) if (z <= at[l]) return v[l - 1] + ((z - at[l - 1]) / (at[l] - at[l - 1])) * (v[l] - v[l - 1]);
    return v[v.length - 1];
  });
  return { score: spec.bias + contributions.reduce((a, b) => a + b, 0), contributions };
}

/** Scores `rows` with the model and checks every score and contribution against the formula. */
export async function assertMatchesFormula(model: RewardModel, spec: RewardSpec, rows: Float64Array[]): Promise<void> {
  const { score, contributions } = await model.scoreRows(rows);
  const k = spec.traitIds.length;
  assert.equal(score.length, rows.length);
  assert.equal(contributions.length, rows.length * k);
  rows.forEach((row, r) => {
    const want = formula(spec, row);
    assert.ok(Math.abs(score[r] - want.score) < 1e-6, `row ${r}: onnx ${score[r]} vs formula ${want.score}`);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const c = contributions[r * k + j];
      assert.ok(Math.abs(c - want.contributions[j]) < 1e-6, `row ${r}, ${spec.traitIds[j]}: onnx ${c} vs formula ${want.contributions[j]}`);
      sum += c;
    }
    assert.ok(Math.abs(score[r] - spec.bias - sum) < 1e-9, `row ${r}: contributions sum to score − bias`);
  });
}
