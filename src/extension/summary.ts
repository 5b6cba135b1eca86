/**
 * Tallies a file's line results into the summary the command returns and the notification shows.
 * Pure (no `vscode`).
 */
import type { LineResult } from '../core/score';
import { counted } from '../core/counted';

export type ScoredKind = Exclude<LineResult['kind'], 'diagnostic'>;

/** What `styletune.scoreCurrentFile` returns, so callers (and integration tests) need not scrape the UI. */
export interface ScoreSummary {
  /** The scored document: a file system path, or the URI of an unsaved (untitled) document. */
  file: string;
  /** Lines that were scored. */
  scored: number;
  /** Lines that could not be read (each one is a diagnostic in the Problems panel). */
  problems: number;
  /**
   * Mean of each scored line's headline number: the reward of a dialogue, the margin (chosen minus
   * rejected, human minus AI) of a pair, the spread (best minus worst) of a candidate set. Null when
   * nothing was scored.
   */
  meanScore: number | null;
  /** Scored lines per record kind. */
  kinds: Record<ScoredKind, number>;
  /** The user cancelled: the counts cover the lines scored until then. */
  cancelled: boolean;
  /** The read-only results document, one JSON line per input line. */
  resultsUri: string;
  /** The reward model's out-of-domain notice for this file (domain.ts), shown once; absent when within its domain. */
  outOfDomain?: string;
}

/** The number a line is summarised by: the reward for a dialogue, the margin for a pair, the spread for candidates. */
export function headline(r: Exclude<LineResult, { kind: 'diagnostic' }>): number {
  return r.kind === 'dialogue' ? r.result.score : r.kind === 'candidates' ? r.result.spread : r.result.margin;
}

export class Tally {
  readonly kinds: Record<ScoredKind, number> = { dialogue: 0, pair: 0, contrastive: 0, candidates: 0 };
  problems = 0;
  private sum = 0;

  add(r: LineResult): void {
    if (r.kind === 'diagnostic') {
      this.problems++;
      return;
    }
    this.kinds[r.kind]++;
    this.sum += headline(r);
  }

  get scored(): number {
    return this.kinds.dialogue + this.kinds.pair + this.kinds.contrastive + this.kinds.candidates;
  }

  get mean(): number | null {
    return this.scored ? this.sum / this.scored : null;
  }
}

const nouns: Record<ScoredKind, [string, string, string]> = {
  // [singular, plural, what the mean is of]
  dialogue: ['dialogue', 'dialogues', 'reward'],
  pair: ['preference pair', 'preference pairs', 'margin'],
  contrastive: ['human/AI pair', 'human/AI pairs', 'margin'],
  candidates: ['candidate set', 'candidate sets', 'spread'],
};


/** "Scored 120 dialogues (mean reward 0.63) · 2 lines with problems". */
export function summaryMessage(s: Pick<ScoreSummary, 'scored' | 'problems' | 'meanScore' | 'kinds' | 'cancelled'>): string {
  const present = (Object.keys(s.kinds) as ScoredKind[]).filter((k) => s.kinds[k] > 0);
  let text: string;
  if (s.scored === 0) {
    text = 'No lines scored';
  } else {
    // One kind: name it and its measure; a mixed file gets the neutral wording.
    const [one, many, measure] = present.length === 1 ? nouns[present[0]!] : ['line', 'lines', 'score'];
    text = `Scored ${counted(s.scored, one, many)} (mean ${measure} ${s.meanScore!.toFixed(2)})`;
  }
  if (s.cancelled) text = `Cancelled · ${text}`;
  if (s.problems) text += ` · ${counted(s.problems, 'line')} with problems`;
  return text;
}
