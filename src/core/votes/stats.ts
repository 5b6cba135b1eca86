/**
 * The statistics of a vote report: Wilson intervals for proportions, and Bradley-Terry strengths for
 * three systems or more (with the Elo scale people know from chess and chatbot arenas).
 */

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for a proportion `p` observed over `n` trials. `p·n` need not be whole (a tie
 * counts as half a selection); the formula only uses p and n. n = 0 gives the whole [0, 1].
 */
export function wilson(p: number, n: number, z = Z95): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Outcomes between two systems; a tie adds half a win to each side. */
export interface Comparison {
  /** Index of the winner and loser in the systems list. */
  winner: number;
  loser: number;
  /** 1 for a win, 0.5 for a tie (then winner/loser are just the two sides). */
  weight: number;
}

export interface BradleyTerry {
  /** Strength per system, scaled so their geometric mean is 1; P(i beats j) = s_i / (s_i + s_j). */
  strength: number[];
  /** 1000 + 400·log10(strength): a 400-point gap means 10:1 odds. */
  elo: number[];
  iterations: number;
  /**
   * The maximum-likelihood strengths do not exist when some system never lost to (or never beat) the
   * others it met; then every compared pair gets one extra virtual tie, and this says so.
   */
  regularized: boolean;
}

/**
 * Bradley-Terry strengths by the minorization-maximization algorithm (Hunter 2004):
 * s_i ← W_i / Σ_j n_ij / (s_i + s_j), where W_i is i's wins (ties as halves) and n_ij the games of i and j.
 */
export function bradleyTerry(systems: number, comparisons: readonly Comparison[], opts: { tolerance?: number; maxIterations?: number } = {}): BradleyTerry {
  const wins = new Float64Array(systems * systems); // wins[i*n+j]: i's wins over j
  for (const c of comparisons) {
    wins[c.winner * systems + c.loser] += c.weight;
    if (c.weight < 1) wins[c.loser * systems + c.winner] += c.weight;
  }
  return bradleyTerryFromWins(systems, wins, opts);
}

/** The same from the win matrix itself (wins[i·n + j]: i's wins over j, ties as halves both ways), which it may change. */
export function bradleyTerryFromWins(systems: number, wins: Float64Array, opts: { tolerance?: number; maxIterations?: number } = {}): BradleyTerry {
  const regularized = !stronglyConnected(systems, wins);
  if (regularized) {
    for (let i = 0; i < systems; i++) {
      for (let j = 0; j < systems; j++) {
        if (i !== j && wins[i * systems + j] + wins[j * systems + i] > 0) wins[i * systems + j] += 0.5;
      }
    }
  }
  const tolerance = opts.tolerance ?? 1e-10;
  const maxIterations = opts.maxIterations ?? 10_000;
  let s = new Float64Array(systems).fill(1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const next = new Float64Array(systems);
    for (let i = 0; i < systems; i++) {
      let w = 0;
      let d = 0;
      for (let j = 0; j < systems; j++) {
        if (i === j) continue;
        const nij = wins[i * systems + j] + wins[j * systems + i];
        if (nij === 0) continue;
        w += wins[i * systems + j];
        d += nij / (s[i] + s[j]);
      }
      next[i] = d > 0 ? w / d : s[i];
    }
    normalize(next);
    let change = 0;
    for (let i = 0; i < systems; i++) change = Math.max(change, Math.abs(Math.log(next[i] / s[i])));
    s = next;
    if (change < tolerance) break;
  }
  const strength = [...s];
  return { strength, elo: strength.map((x) => 1000 + 400 * Math.log10(x)), iterations, regularized };
}

/** Geometric mean 1, so the Elo scale is centred on 1000. */
function normalize(s: Float64Array): void {
  let logSum = 0;
  let n = 0;
  for (const x of s) {
    if (x > 0) {
      logSum += Math.log(x);
      n++;
    }
  }
  const g = n ? Math.exp(logSum / n) : 1;
  for (let i = 0; i < s.length; i++) s[i] /= g;
}

/** Whether every system can reach every other along "beat (or tied)" edges: then the MLE exists and is unique. */
function stronglyConnected(n: number, wins: Float64Array): boolean {
  if (n <= 1) return true;
  const reach = (forward: boolean): number => {
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    let count = 1;
    while (stack.length) {
      const i = stack.pop()!;
      for (let j = 0; j < n; j++) {
        const w = forward ? wins[i * n + j] : wins[j * n + i];
        if (!seen[j] && w > 0) {
          seen[j] = 1;
          count++;
          stack.push(j);
        }
      }
    }
    return count;
  };
  return reach(true) === n && reach(false) === n;
}
