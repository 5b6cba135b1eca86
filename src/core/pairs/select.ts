/**
 * Which scored candidates become pairs: HAL's rule (every two candidates of a group whose reward gap
 * exceeds k standard deviations) or best against worst. Pure functions over numbers, so the rules can be
 * checked by hand.
 *
 * Standard deviations are sample standard deviations (n − 1), as pandas computes them. HAL's released
 * notebook (4.2.c, "DPO data creation") paired dialogues within a persona but took the SD over *all*
 * dialogues (`data["hal16_score"].std()`), which `scope: 'all'` reproduces; `scope: 'group'` (the
 * default) measures the spread within each prompt or persona, so groups whose answers hardly differ
 * give no pairs while a noisy group does not set the bar for a quiet one.
 */
import { printable } from '../types';
import { count, counted } from '../counted';

export type Rule = { kind: 'best-worst' } | { kind: 'sd'; k: number; scope: 'group' | 'all' };

/** Why a group gave no pair. */
export type SkipReason = 'single' | 'tied' | 'below-threshold';

export interface SelectedPair {
  /** Indices into the group's scores. */
  chosen: number;
  rejected: number;
  gap: number;
}

export interface GroupSelection {
  pairs: SelectedPair[];
  /** Set when the group gave no pair. */
  skipped?: SkipReason;
  /** The gap a pair had to exceed (sd rule; 0 for best-worst). */
  threshold: number;
  /** Pairs over the threshold before --max-per-group cut them. */
  eligible: number;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleSd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Pairs of one group. `globalSd` is the SD over every candidate of the run (for scope 'all').
 * Order: by chosen score, highest first, then by rejected score, highest first (ties: input order); `maxPerGroup` keeps the
 * widest gaps (earlier order breaks ties).
 */
export function selectGroup(scores: readonly number[], rule: Rule, opts: { globalSd?: number; maxPerGroup?: number } = {}): GroupSelection {
  const n = scores.length;
  if (n < 2) return { pairs: [], skipped: 'single', threshold: 0, eligible: 0 };
  const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
  if (scores[order[0]] === scores[order[n - 1]]) return { pairs: [], skipped: 'tied', threshold: 0, eligible: 0 };

  if (rule.kind === 'best-worst') {
    const best = order[0];
    const worst = order[n - 1];
    return { pairs: [{ chosen: best, rejected: worst, gap: scores[best] - scores[worst] }], threshold: 0, eligible: 1 };
  }
  const sd = rule.scope === 'all' ? (opts.globalSd ?? NaN) : sampleSd(scores);
  if (!Number.isFinite(sd)) throw new Error('the sd rule with scope "all" needs the SD over all candidates');
  const threshold = rule.k * sd;
  let pairs: SelectedPair[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const gap = scores[order[i]] - scores[order[j]];
      // Strictly greater, as HAL's `delta > 0.5 * std`; a zero gap never makes a pair even with k = 0.
      if (gap > threshold && gap > 0) pairs.push({ chosen: order[i], rejected: order[j], gap });
    }
  }
  const eligible = pairs.length;
  if (eligible === 0) return { pairs, skipped: 'below-threshold', threshold, eligible };
  if (opts.maxPerGroup !== undefined && pairs.length > opts.maxPerGroup) {
    const keep = new Set([...pairs.keys()].sort((a, b) => pairs[b].gap - pairs[a].gap || a - b).slice(0, opts.maxPerGroup));
    pairs = pairs.filter((_, i) => keep.has(i));
  }
  return { pairs, threshold, eligible };
}

export interface RankedSummary {
  rule: string;
  groups: number;
  candidates: number;
  pairs: number;
  /** Groups that gave pairs. */
  pairedGroups: number;
  skipped: Record<SkipReason, number>;
  /** Pairs above the threshold that --max-per-group left out. */
  capped: number;
  /** Candidates left out: empty text, or no turn by the scored role. */
  empty: number;
  unscorable: number;
  /** The roles the unscorable candidates have instead, most common first (none for plain-text replies). */
  unscorableRoles?: string[];
  /** SD over all candidates (sample), and the gap threshold when it is one number for the run. */
  sdAll: number;
  threshold?: number;
}

export function describeRule(rule: Rule): string {
  if (rule.kind === 'best-worst') return 'best vs worst of each group';
  return `every two candidates whose gap > ${rule.k} SD (${rule.scope === 'all' ? 'SD over all candidates, as HAL\'s notebook' : 'SD within each group'})`;
}

/** Human-readable lines for the end of a run (CLI stderr, extension output channel). */
export function formatRankedSummary(s: RankedSummary): string[] {
  const lines = [
    `${counted(s.pairs, 'pair')} from ${count(s.pairedGroups)} of ${counted(s.groups, 'group')} (${counted(s.candidates, 'candidate')}); rule: ${s.rule}`,
  ];
  if (s.threshold !== undefined) lines.push(`  gap threshold ${s.threshold.toFixed(4)} (SD over all candidates ${s.sdAll.toFixed(4)})`);
  const sk = s.skipped;
  if (sk.single) lines.push(`  ${counted(sk.single, 'group')} skipped: fewer than two candidates to compare`);
  if (sk.tied) lines.push(`  ${counted(sk.tied, 'group')} skipped: every candidate scored the same`);
  if (sk['below-threshold']) lines.push(`  ${counted(sk['below-threshold'], 'group')} skipped: no gap above the threshold`);
  if (s.empty) lines.push(`  ${counted(s.empty, 'empty candidate')} left out`);
  if (s.unscorable) {
    const roles = s.unscorableRoles?.length ? `; roles found instead: ${s.unscorableRoles.map(printable).join(', ')} (choose one with --role / styletune.role)` : '';
    lines.push(`  ${counted(s.unscorable, 'candidate')} left out: no turn by the scored role${roles}`);
  }
  if (s.capped) lines.push(`  ${counted(s.capped, 'pair')} above the threshold left out by --max-per-group`);
  return lines;
}
