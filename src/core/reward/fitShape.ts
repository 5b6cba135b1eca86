/**
 * Fitting a shape per trait (a generalized additive Bradley-Terry model) from comparisons.
 *
 * Each trait's fᵢ is piecewise linear in the trait's z-score, with knots at the fitting data's quantiles
 * snapped to the shape grid (shape.ts). Written with one parameter per segment, δₗ = f(kₗ₊₁) − f(kₗ),
 *   f(z) = Σ_{l < s} δₗ + t·δₛ      (z in segment s, a fraction t of the way through it)
 * the model is linear in δ, so the pairwise logistic loss stays convex, a declared direction is a sign
 * constraint on every δ of the trait ('As an AI' talk can only lower the score: δ ≤ 0), a declared
 * least cost of a first occurrence a tighter bound on the trait's first δ (from no occurrence to the
 * first knot: δ₀ ≤ −cost · max(1, x₁), x₁ the knot's occurrences per turn, so f(1) ≤ f(0) − cost), and the
 * penalty is a quadratic form:
 *   smoothing · Σ (slopeₗ₊₁ − slopeₗ)²   (slope = δ / segment width: no kinks without evidence)
 *   + ridge · Σ slopeₗ² · widthₗ          (∫ f′²: shrinks every shape toward flat)
 * It is solved by projected Newton (Bertsekas 1982): the Hessian of a few hundred parameters comes from
 * up to HESSIAN_ROWS comparisons, the gradient and the line search from all of them, so the data is
 * read a few dozen times, not thousands. Per side and trait only the segment index is stored (one byte);
 * the fraction is recomputed from the table's float32 values on each pass.
 */
import type { ComparisonTable } from './comparisons';
import { SHAPE_CELLS, type TraitShape } from './shape';

export interface ShapeFitOptions {
  smoothing?: number;
  ridge?: number;
  maxIterations?: number;
  /** Stop when a Newton step improves the objective by less than this (relative). */
  tolerance?: number;
}

export const DEFAULT_SHAPE_FIT: Required<ShapeFitOptions> = { smoothing: 0.002, ridge: 0.002, maxIterations: 100, tolerance: 1e-10 };

/** Comparisons whose sparse outer products make the Hessian: enough for its few hundred entries. */
const HESSIAN_ROWS = 20_000;
/** Sides sampled per trait to place the knots. */
const QUANTILE_SIDES = 200_000;
/** Quantiles the knots sit at (snapped to the grid; duplicates merge). */
const KNOT_QUANTILES = [0.005, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.995];
/** Where most sides share one value (no slang at all), extra knots at quantiles of the rest. */
const TAIL_QUANTILES = [0.25, 0.5, 0.75, 0.9, 0.97];

export interface ShapeProblem {
  table: ComparisonTable;
  /** Table column of each model trait. */
  cols: readonly number[];
  mean: Float64Array;
  std: Float64Array;
  zClip: number;
  /** Per model trait: −1 f can only fall as the trait grows, +1 only rise, 0 free. */
  direction: Int8Array;
  /** Per model trait: the least |f(1) − f(0)| in `direction` (one occurrence per turn), 0 for none. */
  firstCost?: Float64Array;
}

/**
 * The knots of every trait and each side's segment: built once, then fitted on any weighting of the
 * comparisons (cross-validation folds zero out the held-out ones).
 */
export class ShapeBasis {
  readonly k: number;
  readonly cells = SHAPE_CELLS;
  /** Per trait: z of grid point 0 and `cells`, and the knots' grid points. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly knots: Int32Array[];
  /** First parameter of each trait; trait j has knots[j].length − 1 parameters. */
  readonly offset: Int32Array;
  readonly p: number;
  /** Per parameter: z of its segment's left knot, 1 / its width, its width, its trait's direction. */
  private readonly left: Float64Array;
  private readonly invWidth: Float64Array;
  readonly width: Float64Array;
  readonly sign: Int8Array;
  /** Per parameter: the box it is kept in (−∞/0/+∞ from the direction, tighter for a first-occurrence cost). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Traits with at least one parameter. */
  private readonly active: Int32Array;
  /** [n, 2, k]: the segment of each side's z in each trait. */
  private readonly seg: Uint8Array;
  private readonly invStd: Float64Array;

  constructor(readonly problem: ShapeProblem) {
    const { table, cols, mean, std, zClip } = problem;
    const k = (this.k = cols.length);
    this.lo = new Float64Array(k);
    this.hi = new Float64Array(k);
    this.knots = [];
    this.invStd = Float64Array.from(std, (s) => 1 / s);
    const sample = sampleRows(table.n, Math.ceil(QUANTILE_SIDES / 2));
    for (let j = 0; j < k; j++) {
      const zs = new Float64Array(sample.length * 2);
      sample.forEach((r, i) => {
        zs[2 * i] = this.z(j, table.value(r, 0, cols[j]));
        zs[2 * i + 1] = this.z(j, table.value(r, 1, cols[j]));
      });
      zs.sort();
      const { lo, hi, knots } = placeKnots(zs, this.cells, zClip);
      this.lo[j] = lo;
      this.hi[j] = hi;
      this.knots.push(knots);
    }
    this.offset = new Int32Array(k + 1);
    for (let j = 0; j < k; j++) this.offset[j + 1] = this.offset[j] + this.knots[j].length - 1;
    const p = (this.p = this.offset[k]);
    this.left = new Float64Array(p);
    this.invWidth = new Float64Array(p);
    this.width = new Float64Array(p);
    this.sign = new Int8Array(p);
    this.lower = new Float64Array(p).fill(-Infinity);
    this.upper = new Float64Array(p).fill(Infinity);
    for (let j = 0; j < k; j++) {
      for (let l = 0; l + 1 < this.knots[j].length; l++) {
        const a = this.knotZ(j, l);
        const b = this.knotZ(j, l + 1);
        const i = this.offset[j] + l;
        this.left[i] = a;
        this.width[i] = b - a;
        this.invWidth[i] = 1 / (b - a);
        this.sign[i] = problem.direction[j];
        if (problem.direction[j] < 0) this.upper[i] = 0;
        if (problem.direction[j] > 0) this.lower[i] = 0;
      }
      const cost = problem.firstCost?.[j] ?? 0;
      const rawAt = (l: number) => mean[j] + this.knotZ(j, l) * std[j];
      // Only where the first knot is "none at all": then f(knot 1) − f(0) is δ₀, and f(1) = δ₀ / x₁ when x₁ ≥ 1.
      if (cost > 0 && problem.direction[j] !== 0 && this.knots[j].length > 1 && Math.abs(rawAt(0)) < 1e-6) {
        const bound = cost * Math.max(1, rawAt(1));
        const i = this.offset[j];
        if (problem.direction[j] < 0) this.upper[i] = -bound;
        else this.lower[i] = bound;
      }
    }
    this.active = Int32Array.from({ length: k }, (_, j) => j).filter((j) => this.knots[j].length > 1);
    // Segments: the last knot whose z is ≤ the side's, within [0, params − 1].
    this.seg = new Uint8Array(table.n * 2 * k);
    for (let r = 0; r < table.n; r++) {
      for (let side = 0 as 0 | 1; side < 2; side++) {
        for (const j of this.active) {
          const z = this.z(j, table.value(r, side as 0 | 1, cols[j]));
          const o = this.offset[j];
          const last = this.offset[j + 1] - 1;
          let s = o;
          while (s < last && z >= this.left[s + 1]) s++;
          this.seg[(r * 2 + side) * k + j] = s - o;
        }
      }
    }
  }

  /** z of trait j's knot l. */
  knotZ(j: number, l: number): number {
    return this.lo[j] + ((this.hi[j] - this.lo[j]) * this.knots[j][l]) / this.cells;
  }

  private z(j: number, x: number): number {
    const z = (x - this.problem.mean[j]) * this.invStd[j];
    const c = this.problem.zClip;
    return z < -c ? -c : z > c ? c : z;
  }

  /**
   * One pass over the comparisons: mean weighted logistic loss at θ and, with `grad`, its gradient.
   * `margins`, if given, receives each comparison's f(winner) − f(loser).
   */
  pass(theta: Float64Array, weight: Float64Array, grad?: Float64Array, margins?: Float64Array): number {
    const { k, offset, left, invWidth, seg, invStd, active } = this;
    const { table, cols, mean, zClip } = this.problem;
    const cum = this.cumulative(theta);
    // Per parameter: summed loss derivative of sides in that segment (a) and times their fraction (b).
    const a = grad ? new Float64Array(this.p) : undefined;
    const b = grad ? new Float64Array(this.p) : undefined;
    const sw = new Int32Array(k);
    const tw = new Float64Array(k);
    const sl = new Int32Array(k);
    const tl = new Float64Array(k);
    const width = table.width;
    let loss = 0;
    let total = 0;
    for (let r = 0; r < table.n; r++) {
      const wr = weight[r];
      if (wr === 0 && !margins) continue;
      const { values, offset: at } = table.chunkOf(r);
      const base = r * 2 * k;
      let m = 0;
      for (let q = 0; q < active.length; q++) {
        const j = active[q];
        const o = offset[j];
        const col = cols[j];
        let zw = (values[at + col] - mean[j]) * invStd[j];
        zw = zw < -zClip ? -zClip : zw > zClip ? zClip : zw;
        let zl = (values[at + width + col] - mean[j]) * invStd[j];
        zl = zl < -zClip ? -zClip : zl > zClip ? zClip : zl;
        const iw = o + seg[base + j];
        const il = o + seg[base + k + j];
        let fw = (zw - left[iw]) * invWidth[iw];
        fw = fw < 0 ? 0 : fw > 1 ? 1 : fw;
        let fl = (zl - left[il]) * invWidth[il];
        fl = fl < 0 ? 0 : fl > 1 ? 1 : fl;
        m += cum[iw] + fw * theta[iw] - cum[il] - fl * theta[il];
        sw[j] = iw;
        tw[j] = fw;
        sl[j] = il;
        tl[j] = fl;
      }
      if (margins) margins[r] = m;
      if (wr === 0) continue;
      total += wr;
      loss += wr * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
      if (a && b) {
        const c = -wr / (1 + Math.exp(m)); // d/dm log(1 + e^-m) = −σ(−m)
        for (let q = 0; q < active.length; q++) {
          const j = active[q];
          a[sw[j]] += c;
          b[sw[j]] += c * tw[j];
          a[sl[j]] -= c;
          b[sl[j]] -= c * tl[j];
        }
      }
    }
    if (total === 0) return 0;
    if (grad && a && b) {
      // dm/dδₗ is 1 for sides past segment l, t for sides in it: suffix sums of a, plus b.
      for (const j of active) {
        let after = 0;
        for (let i = offset[j + 1] - 1; i >= offset[j]; i--) {
          grad[i] = (b[i] + after) / total;
          after += a[i];
        }
      }
    }
    return loss / total;
  }

  /** Per parameter i of trait j: Σ of δ over the trait's earlier segments (f at the segment's left knot). */
  private cumulative(theta: Float64Array): Float64Array {
    const cum = new Float64Array(this.p);
    for (let j = 0; j < this.k; j++) {
      let s = 0;
      for (let i = this.offset[j]; i < this.offset[j + 1]; i++) {
        cum[i] = s;
        s += theta[i];
      }
    }
    return cum;
  }

  /**
   * The data term's Hessian Σ w σ(1−σ) x xᵀ / Σ w over up to HESSIAN_ROWS of the weighted comparisons,
   * x being the comparison's sparse difference of segment features (non-zero only between the two
   * sides' segments of each trait).
   */
  hessian(theta: Float64Array, weight: Float64Array, margins: Float64Array): Float64Array {
    const { k, p, offset, left, invWidth, seg, invStd, active } = this;
    const { table, cols, mean, zClip } = this.problem;
    const h = new Float64Array(p * p);
    const idx = new Int32Array(p);
    const val = new Float64Array(p);
    const width = table.width;
    const rows = sampleRows(table.n, HESSIAN_ROWS, weight);
    let total = 0;
    const frac = (i: number, x: number, j: number): number => {
      let z = (x - mean[j]) * invStd[j];
      z = z < -zClip ? -zClip : z > zClip ? zClip : z;
      const t = (z - left[i]) * invWidth[i];
      return t < 0 ? 0 : t > 1 ? 1 : t;
    };
    for (const r of rows) {
      const wr = weight[r];
      total += wr;
      const s = 1 / (1 + Math.exp(-margins[r]));
      const d = wr * s * (1 - s);
      if (d === 0) continue;
      const { values, offset: at } = table.chunkOf(r);
      let nnz = 0;
      for (const j of active) {
        const o = offset[j];
        const iw = o + seg[(r * 2) * k + j];
        const il = o + seg[(r * 2 + 1) * k + j];
        const fw = frac(iw, values[at + cols[j]], j);
        const fl = frac(il, values[at + width + cols[j]], j);
        // Feature of segment i for a side in segment s with fraction t: 1 if i < s, t if i = s, else 0.
        const from = Math.min(iw, il);
        const to = Math.max(iw, il);
        for (let i = from; i <= to; i++) {
          const v = (i < iw ? 1 : i === iw ? fw : 0) - (i < il ? 1 : i === il ? fl : 0);
          if (v !== 0) {
            idx[nnz] = i;
            val[nnz++] = v;
          }
        }
      }
      for (let x = 0; x < nnz; x++) {
        const row = idx[x] * p;
        const dv = d * val[x];
        for (let y = x; y < nnz; y++) h[row + idx[y]] += dv * val[y];
      }
    }
    // Mirror the upper triangle (entries were added at [min, max] since idx increases) and normalize.
    for (let x = 0; x < p; x++) {
      for (let y = x; y < p; y++) {
        const v = total > 0 ? h[x * p + y] / total : 0;
        h[x * p + y] = v;
        h[y * p + x] = v;
      }
    }
    return h;
  }

  /**
   * The shapes of fitted parameters: values at the knots, centered to mean 0 over the weighted sides,
   * except traits with a declared direction: those start at 0 (none of the trait costs or adds nothing,
   * so "'As an AI' talk" only shows where there is some) and their mean goes to `bias`, so every score
   * is the same as with centering.
   */
  shapes(theta: Float64Array, weight: Float64Array): { shapes: TraitShape[]; evidence: Float64Array; bias: number } {
    const { k, offset } = this;
    const center = new Float64Array(k);
    const spread = new Float64Array(k);
    const trend = new Float64Array(k);
    // f per side, one trait at a time: a pass with θ zero except that trait's parameters.
    const only = new Float64Array(this.p);
    for (let j = 0; j < k; j++) {
      if (offset[j + 1] === offset[j]) continue;
      only.fill(0);
      for (let i = offset[j]; i < offset[j + 1]; i++) only[i] = theta[i];
      const f = this.sideValues(only, j);
      const z = this.sideZ(j);
      let sw = 0;
      let sf = 0;
      let sz = 0;
      for (let r = 0; r < f.length; r++) {
        const w = weight[r >> 1];
        sw += w;
        sf += w * f[r];
        sz += w * z[r];
      }
      const fm = sw > 0 ? sf / sw : 0;
      const zm = sw > 0 ? sz / sw : 0;
      let v = 0;
      let c = 0;
      for (let r = 0; r < f.length; r++) {
        const w = weight[r >> 1];
        v += w * (f[r] - fm) ** 2;
        c += w * (f[r] - fm) * (z[r] - zm);
      }
      center[j] = fm;
      spread[j] = sw > 0 ? Math.sqrt(v / sw) : 0;
      trend[j] = c;
    }
    const shapes: TraitShape[] = [];
    const evidence = new Float64Array(k);
    let bias = 0;
    for (let j = 0; j < k; j++) {
      const values = [0];
      for (let i = offset[j]; i < offset[j + 1]; i++) values.push(values[values.length - 1] + theta[i]);
      evidence[j] = trend[j] < 0 ? -spread[j] : spread[j];
      const anchored = this.problem.direction[j] !== 0;
      if (anchored) bias -= center[j];
      shapes.push({ lo: this.lo[j], hi: this.hi[j], knots: Array.from(this.knots[j]), values: anchored ? values : values.map((v) => v - center[j]), evidence: evidence[j] });
    }
    return { shapes, evidence, bias };
  }

  /** f_j(z) of every side ([2n]: winner, loser, …) for parameters that are zero outside trait j. */
  private sideValues(theta: Float64Array, j: number): Float64Array {
    const n = this.problem.table.n;
    const out = new Float64Array(2 * n);
    const cum = this.cumulative(theta);
    const z = this.sideZ(j);
    for (let r = 0; r < 2 * n; r++) {
      const i = this.offset[j] + this.seg[r * this.k + j];
      let t = (z[r] - this.left[i]) * this.invWidth[i];
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      out[r] = cum[i] + t * theta[i];
    }
    return out;
  }

  private sideZ(j: number): Float64Array {
    const { table, cols } = this.problem;
    const out = new Float64Array(2 * table.n);
    for (let r = 0; r < table.n; r++) {
      out[2 * r] = this.z(j, table.value(r, 0, cols[j]));
      out[2 * r + 1] = this.z(j, table.value(r, 1, cols[j]));
    }
    return out;
  }

  /** Penalty at θ; adds its gradient to `grad` and its Hessian to `h` when given. */
  penalty(theta: Float64Array, o: Required<ShapeFitOptions>, grad?: Float64Array, h?: Float64Array): number {
    const { offset, width, p } = this;
    let total = 0;
    for (let j = 0; j < this.k; j++) {
      for (let i = offset[j]; i < offset[j + 1]; i++) {
        total += (o.ridge * theta[i] * theta[i]) / width[i];
        if (grad) grad[i] += (2 * o.ridge * theta[i]) / width[i];
        if (h) h[i * p + i] += (2 * o.ridge) / width[i];
        if (i + 1 < offset[j + 1]) {
          const a = i;
          const b = i + 1;
          const diff = theta[b] / width[b] - theta[a] / width[a];
          total += o.smoothing * diff * diff;
          if (grad) {
            grad[b] += (2 * o.smoothing * diff) / width[b];
            grad[a] -= (2 * o.smoothing * diff) / width[a];
          }
          if (h) {
            h[b * p + b] += (2 * o.smoothing) / (width[b] * width[b]);
            h[a * p + a] += (2 * o.smoothing) / (width[a] * width[a]);
            h[a * p + b] -= (2 * o.smoothing) / (width[a] * width[b]);
            h[b * p + a] -= (2 * o.smoothing) / (width[a] * width[b]);
          }
        }
      }
    }
    return total;
  }
}

export interface ShapeFitResult {
  theta: Float64Array;
  iterations: number;
  /** Mean weighted logistic loss at the solution (without the penalty). */
  loss: number;
}

/** Fits δ by projected Newton on the comparisons with weight > 0, from `start` (warm start) or 0. */
export function fitShapes(basis: ShapeBasis, weight: Float64Array, options: ShapeFitOptions = {}, start?: Float64Array): ShapeFitResult {
  const o = { ...DEFAULT_SHAPE_FIT, ...options };
  const p = basis.p;
  const n = basis.problem.table.n;
  let theta = start ? Float64Array.from(start) : new Float64Array(p);
  project(theta, basis);
  const margins = new Float64Array(n);
  let grad = new Float64Array(p);
  let loss = basis.pass(theta, weight, grad, margins);
  let objective = loss + basis.penalty(theta, o, grad);
  let it = 0;
  for (; it < o.maxIterations; it++) {
    const h = basis.hessian(theta, weight, margins);
    basis.penalty(theta, o, undefined, h);
    // Bound-constrained parameters at their bound whose gradient points outward stay put.
    const free: number[] = [];
    for (let i = 0; i < p; i++) {
      // At a bound, a descent step −g leaves the box when g points inward.
      const atUpper = theta[i] >= basis.upper[i] - 1e-12 && grad[i] < 0;
      const atLower = theta[i] <= basis.lower[i] + 1e-12 && grad[i] > 0;
      if (!atUpper && !atLower) free.push(i);
    }
    const step = new Float64Array(p);
    const solved = solveFree(h, grad, free, p);
    free.forEach((i, x) => (step[i] = solved[x]));
    // Armijo backtracking along the projected path.
    let alpha = 1;
    let accepted = false;
    const next = new Float64Array(p);
    const nextGrad = new Float64Array(p);
    const nextMargins = new Float64Array(n);
    let nextLoss = 0;
    let nextObjective = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < p; i++) next[i] = theta[i] + alpha * step[i];
      project(next, basis);
      let decrease = 0;
      for (let i = 0; i < p; i++) decrease += grad[i] * (next[i] - theta[i]);
      nextGrad.fill(0);
      nextLoss = basis.pass(next, weight, nextGrad, nextMargins);
      nextObjective = nextLoss + basis.penalty(next, o, nextGrad);
      if (nextObjective <= objective + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      alpha /= 2;
    }
    if (!accepted) break;
    const improvement = objective - nextObjective;
    theta = Float64Array.from(next);
    grad = Float64Array.from(nextGrad);
    margins.set(nextMargins);
    loss = nextLoss;
    objective = nextObjective;
    if (improvement <= o.tolerance * Math.max(1, Math.abs(objective))) {
      it++;
      break;
    }
  }
  return { theta, iterations: it, loss };
}

/** Keeps each parameter in its box. */
function project(theta: Float64Array, box: { lower: Float64Array; upper: Float64Array }): void {
  for (let i = 0; i < theta.length; i++) {
    if (theta[i] > box.upper[i]) theta[i] = box.upper[i];
    else if (theta[i] < box.lower[i]) theta[i] = box.lower[i];
  }
}

/** Solves H_FF x = −g_F by Cholesky (H is positive definite: the penalty makes it so). */
function solveFree(h: Float64Array, g: Float64Array, free: readonly number[], p: number): Float64Array {
  const m = free.length;
  const a = new Float64Array(m * m);
  for (let x = 0; x < m; x++) for (let y = 0; y < m; y++) a[x * m + y] = h[free[x] * p + free[y]];
  for (let x = 0; x < m; x++) a[x * m + x] += 1e-10;
  // In-place Cholesky: a = L Lᵀ, L in the lower triangle.
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j];
    for (let q = 0; q < j; q++) d -= a[j * m + q] * a[j * m + q];
    d = Math.sqrt(Math.max(d, 1e-300));
    a[j * m + j] = d;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j];
      for (let q = 0; q < j; q++) s -= a[i * m + q] * a[j * m + q];
      a[i * m + j] = s / d;
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = -g[free[i]];
    for (let q = 0; q < i; q++) s -= a[i * m + q] * y[q];
    y[i] = s / a[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i];
    for (let q = i + 1; q < m; q++) s -= a[q * m + i] * y[q];
    y[i] = s / a[i * m + i];
  }
  return y;
}

/** Up to `count` comparison indexes spread evenly over [0, n) (with `weight`: only those weighing > 0). */
function sampleRows(n: number, count: number, weight?: Float64Array): number[] {
  const eligible: number[] = [];
  for (let r = 0; r < n; r++) if (!weight || weight[r] > 0) eligible.push(r);
  if (eligible.length <= count) return eligible;
  const step = eligible.length / count;
  return Array.from({ length: count }, (_, i) => eligible[Math.floor(i * step)]);
}

/**
 * Knots for sorted z values: grid from the 0.5th to the 99.5th percentile, knots at the quantiles
 * snapped to it. A trait where nearly every side has the same value (no emoji at all) keeps its range
 * from that value to a high quantile of the others, so a rare signal still gets a shape.
 */
export function placeKnots(sorted: Float64Array, cells: number, zClip: number): { lo: number; hi: number; knots: Int32Array } {
  const q = (values: Float64Array, p: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(p * (values.length - 1))))];
  if (sorted.length === 0) return { lo: -zClip, hi: zClip, knots: Int32Array.of(0) };
  const lo = q(sorted, KNOT_QUANTILES[0]);
  let hi = q(sorted, KNOT_QUANTILES[KNOT_QUANTILES.length - 1]);
  let firstAbove = sorted.findIndex((v) => v > lo);
  const tail = firstAbove < 0 ? new Float64Array(0) : sorted.subarray(firstAbove);
  if (!(hi > lo) && tail.length >= 20) hi = q(tail, 0.99);
  if (!(hi > lo) || hi - lo < 1e-9) return { lo, hi: lo + 1, knots: Int32Array.of(0) };
  firstAbove = Math.max(firstAbove, 0);
  const snap = (z: number) => Math.round(((Math.min(Math.max(z, lo), hi) - lo) / (hi - lo)) * cells);
  const grid = new Set<number>([0, cells]);
  for (const p of KNOT_QUANTILES) grid.add(snap(q(sorted, p)));
  if (grid.size < 6 && tail.length >= 20) for (const p of TAIL_QUANTILES) grid.add(snap(q(tail, p)));
  return { lo, hi, knots: Int32Array.from([...grid].sort((a, b) => a - b)) };
}
