/**
 * Fitting a linear human-likeness reward from preference pairs (Bradley-Terry logistic regression).
 *
 * For a pair (a preferred over b) with normalized trait vectors za, zb the model says
 *   P(a ≻ b) = σ(w · (za − zb))
 * so fitting is a logistic regression without intercept on pair differences, with elastic-net
 * regularization (L1 for sparse, readable weights; L2 for stability), solved by FISTA (accelerated
 * proximal gradient). The bias cancels in every comparison; models store b = 0 over centered traits, so
 * σ(score) reads as "more human-like than the average response of the fitting data".
 */

export interface PairDiffs {
  /** Row-major [n, k] differences za − zb, winner minus loser. */
  x: Float32Array | Float64Array;
  n: number;
  k: number;
  /** Per-row weight (e.g. to balance sources; 0 leaves a row out, as cross-validation does); default 1. */
  weight?: Float64Array;
}

export interface FitOptions {
  l1?: number;
  l2?: number;
  maxIterations?: number;
  tolerance?: number;
}

export interface FitResult {
  weights: Float64Array;
  iterations: number;
  /** Mean weighted logistic loss at the solution (without the penalty). */
  loss: number;
}

export const DEFAULT_FIT: Required<FitOptions> = { l1: 0.002, l2: 0.01, maxIterations: 5000, tolerance: 1e-6 };

/** Mean weighted loss and its gradient at w. */
function lossAndGradient(d: PairDiffs, w: Float64Array, grad: Float64Array): number {
  const { x, n, k } = d;
  grad.fill(0);
  let loss = 0;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const wr = d.weight ? d.weight[r] : 1;
    if (wr === 0) continue;
    const o = r * k;
    let m = 0;
    for (let j = 0; j < k; j++) m += w[j] * x[o + j];
    total += wr;
    // log(1 + e^-m), stable for both signs
    loss += wr * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
    const g = -wr / (1 + Math.exp(m)); // d/dm log(1+e^-m) = -σ(-m)
    for (let j = 0; j < k; j++) grad[j] += g * x[o + j];
  }
  for (let j = 0; j < k; j++) grad[j] /= total;
  return loss / total;
}

/**
 * Fits w by FISTA with a fixed step 1/L and adaptive restart (O'Donoghue & Candès, 2015): one pass over
 * the data per iteration. L bounds the curvature of the smooth part: λmax(XᵀWX)/(4Σw) + l2.
 */
export function fitPairs(d: PairDiffs, options: FitOptions = {}): FitResult {
  const opt = { ...DEFAULT_FIT, ...options };
  const k = d.k;
  const step = 1 / lipschitz(d, opt.l2);
  let w = new Float64Array(k);
  const y = new Float64Array(k);
  const grad = new Float64Array(k);
  const next = new Float64Array(k);
  let t = 1;
  let it = 0;
  for (; it < opt.maxIterations; it++) {
    lossAndGradient(d, y, grad);
    let change = 0;
    let restart = 0;
    for (let j = 0; j < k; j++) {
      const v = y[j] - step * (grad[j] + opt.l2 * y[j]);
      const th = step * opt.l1;
      next[j] = v > th ? v - th : v < -th ? v + th : 0;
      change = Math.max(change, Math.abs(next[j] - w[j]));
      restart += (y[j] - next[j]) * (next[j] - w[j]);
    }
    // Momentum that points uphill is dropped instead of followed.
    if (restart > 0) t = 1;
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    for (let j = 0; j < k; j++) y[j] = next[j] + ((t - 1) / tNext) * (next[j] - w[j]);
    w = Float64Array.from(next);
    t = tNext;
    if (change < opt.tolerance) break;
  }
  return { weights: w, iterations: it, loss: lossAndGradient(d, w, grad) };
}

/** Upper bound on the gradient's Lipschitz constant, by power iteration on XᵀWX / Σw. */
function lipschitz(d: PairDiffs, l2: number): number {
  const { x, n, k } = d;
  const m = new Float64Array(k * k);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const wr = d.weight ? d.weight[r] : 1;
    if (wr === 0) continue;
    total += wr;
    const o = r * k;
    for (let a = 0; a < k; a++) {
      const xa = wr * x[o + a];
      if (xa === 0) continue;
      for (let b = 0; b < k; b++) m[a * k + b] += xa * x[o + b];
    }
  }
  let v = new Float64Array(k).fill(1 / Math.sqrt(k));
  let lambda = 0;
  for (let i = 0; i < 100; i++) {
    const u = new Float64Array(k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) u[a] += m[a * k + b] * v[b];
    const norm = Math.hypot(...u);
    if (norm === 0) break;
    lambda = norm;
    v = u.map((e) => e / norm);
  }
  // 1.05: power iteration approaches λmax from below.
  return (1.05 * lambda) / (4 * (total || 1)) + l2 + 1e-12;
}

/** Share of rows where w · x > 0 (ties count half), optionally weighted. */
export function pairwiseAccuracy(d: PairDiffs, w: Float64Array, rows?: readonly number[]): number {
  let right = 0;
  let total = 0;
  const list = rows ?? Array.from({ length: d.n }, (_, r) => r);
  for (const r of list) {
    const o = r * d.k;
    let m = 0;
    for (let j = 0; j < d.k; j++) m += w[j] * d.x[o + j];
    right += m > 0 ? 1 : m === 0 ? 0.5 : 0;
    total += 1;
  }
  return total > 0 ? right / total : NaN;
}

/** Deterministic k-fold assignment (seeded shuffle) so cross-validated figures are reproducible. */
export function foldAssignment(n: number, folds: number, seed = 1): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: small, seedable, good enough for shuffling
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(n);
  order.forEach((row, pos) => (fold[row] = pos % folds));
  return fold;
}

/**
 * Folds that keep groups whole: `group[r]` names comparison r's group (any id shared by its group).
 * Groups are shuffled (seeded) and each goes to the fold with the fewest comparisons so far, so folds
 * stay balanced however uneven the groups are.
 */
export function groupedFoldAssignment(group: Int32Array, folds: number, seed = 1): Int32Array {
  const members = new Map<number, number[]>();
  group.forEach((g, r) => {
    const m = members.get(g);
    if (m) m.push(r);
    else members.set(g, [r]);
  });
  const ids = [...members.keys()];
  const order = foldAssignment(ids.length, ids.length || 1, seed);
  const shuffled = new Array<number>(ids.length);
  order.forEach((pos, i) => (shuffled[pos] = ids[i]));
  const size = new Float64Array(folds);
  const fold = new Int32Array(group.length);
  for (const g of shuffled) {
    let f = 0;
    for (let q = 1; q < folds; q++) if (size[q] < size[f]) f = q;
    for (const r of members.get(g)!) fold[r] = f;
    size[f] += members.get(g)!.length;
  }
  return fold;
}
