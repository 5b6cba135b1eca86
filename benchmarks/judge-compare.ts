/**
 * Lexical traits vs LLM-judge traits vs both, on the Turing games (shared/data/turing): HAL's setup and ours.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/judge-compare.js [--markdown]
 *
 * HAL's setup: 750 witness rows (375 human, 375 AI), label human/AI, L1 logistic regression on
 * standardized features, 10-fold cross-validated classification accuracy (HAL reports 0.775 with 32
 * statements, 0.771 with its 16). The L1 strength matches scikit-learn's default C = 1 (penalty
 * ||w||₁ / n_train on the mean loss). Ours: the Bradley-Terry reward (fitReward) on (human, AI) pairs,
 * 10-fold cross-validated pairwise accuracy. Every row uses the same folds: both witnesses of a game
 * are always in the same fold, and the fold of game r is the one fitReward gives comparison r.
 * The lexical side is our 50 text traits on games.dev.jsonl, joined to the ratings by game_id.
 */
import { resolve } from 'node:path';
import { RatingsTable } from '../src/core/judge/ratings';
import { HAL16, JUDGE_TRAIT_IDS, featureIndex, judgeTraitId } from '../src/core/judge/traits';
import { fitPairs, foldAssignment, type PairDiffs } from '../src/core/reward/fit';
import { collectComparisons, fitReward, type Comparison } from '../src/core/reward/train';
import { TRAIT_IDS } from '../src/core/traits/catalog';

const FOLDS = 10;
const SEED = 1;
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(__dirname, '..', '..', '..', 'shared', 'data');

/**
 * Human-vs-AI classification of single witnesses by L1 logistic regression with an intercept.
 * fitPairs fits σ(w·x) to "row wins", so each row is signed by its label (x·(2y−1)); the intercept is
 * a constant column, signed the same way.
 */
function classificationAccuracy(comps: readonly Comparison[], cols: number[], fold: Int32Array): { accuracy: number; pairwise: number } {
  const k = cols.length + 1;
  let right = 0;
  let pairRight = 0;
  for (let f = 0; f < FOLDS; f++) {
    const train = comps.filter((_, r) => fold[r] !== f);
    const test = comps.filter((_, r) => fold[r] === f);
    const rows = train.flatMap((c) => [c.winner, c.loser]);
    const mean = cols.map((j) => rows.reduce((s: number, v) => s + v[j], 0) / rows.length);
    const std = cols.map((j, i) => Math.sqrt(rows.reduce((s: number, v) => s + (v[j] - mean[i]) ** 2, 0) / rows.length) || 1);
    const z = (v: ArrayLike<number>) => [...cols.map((j, i) => (v[j] - mean[i]) / std[i]), 1];
    const x = new Float64Array(rows.length * k);
    train.forEach((c, r) => {
      z(c.winner).forEach((v, j) => (x[2 * r * k + j] = v));
      z(c.loser).forEach((v, j) => (x[(2 * r + 1) * k + j] = -v));
    });
    const d: PairDiffs = { x, n: rows.length, k };
    const w = fitPairs(d, { l1: 1 / rows.length, l2: 1e-6, maxIterations: 20000, tolerance: 1e-8 }).weights;
    const logit = (v: ArrayLike<number>) => z(v).reduce((s, zj, j) => s + zj * w[j], 0);
    for (const c of test) {
      const h = logit(c.winner);
      const a = logit(c.loser);
      right += (h > 0 ? 1 : 0) + (a < 0 ? 1 : 0);
      pairRight += h > a ? 1 : h === a ? 0.5 : 0;
    }
  }
  return { accuracy: right / (2 * comps.length), pairwise: pairRight / comps.length };
}

async function main(): Promise<void> {
  const games = `${shared}/turing/games.dev.jsonl`;
  const table = await RatingsTable.load([`${shared}/turing/judge_ratings.dev.jsonl`]);
  if (table.diagnostics.length > 0) throw new Error(table.diagnostics.map((d) => d.message).join('\n'));
  const data = await collectComparisons([games], { judgeRatings: table });
  if (data.diagnostics.length > 0) throw new Error(`${data.diagnostics.length} games without ratings`);
  const comps = Array.from({ length: data.table.n }, (_, r) => data.table.comparison(r));
  const fold = foldAssignment(comps.length, FOLDS, SEED);

  const sets: [string, readonly string[]][] = [
    ['judge, 32 statements', JUDGE_TRAIT_IDS],
    ["judge, HAL's 16 statements", HAL16.map(judgeTraitId)],
    ['lexical, 50 text traits', TRAIT_IDS],
    ['combined, 50 + 32', [...TRAIT_IDS, ...JUDGE_TRAIT_IDS]],
    ['combined, 50 + 16', [...TRAIT_IDS, ...HAL16.map(judgeTraitId)]],
  ];
  const lines = [
    `Turing games (${comps.length} games, ${2 * comps.length} witnesses), ${FOLDS}-fold cross-validation, same folds in every row`,
    '',
    '| traits | HAL setup: human/AI classification (L1 logistic, per witness) | same classifier, pairwise (human scores above AI) | StyleTune linear reward (Bradley-Terry), pairwise | non-zero weights (linear) | StyleTune shape reward, pairwise |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, ids] of sets) {
    const cols = ids.map(featureIndex);
    const cls = classificationAccuracy(comps, cols, fold);
    const { report } = fitReward(data, { family: 'linear', traits: ids, folds: FOLDS, seed: SEED });
    const bt = report.crossValidated.find((r) => r.key === 'all')!.accuracy;
    const nonZero = report.weights.filter((w) => w.weight !== 0).length;
    const shaped = fitReward(data, { traits: ids, folds: FOLDS, seed: SEED }).report.crossValidated.find((r) => r.key === 'all')!.accuracy;
    lines.push(`| ${name} | ${cls.accuracy.toFixed(3)} | ${cls.pairwise.toFixed(3)} | ${bt.toFixed(3)} | ${nonZero} of ${ids.length} | ${shaped.toFixed(3)} |`);
  }
  lines.push('', 'HAL reports 0.775 (32 statements) and 0.771 (16) for the classification column.');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
