/**
 * The vote report: how often voters picked each system (a tie counts as half a pick for each side),
 * with a 95 % Wilson interval; the per-prompt breakdown; Bradley-Terry and Elo ratings when more than
 * two systems were compared; and how often the reward model's higher-scored response is the one the
 * voters picked. Pure: votes, items and scores in, one plain object out (the CLI prints it, the
 * webview draws it).
 */
import { turnsText, type VoteItem } from './items';
import { dedupeVotes, type VoteRecord } from './records';
import { bradleyTerry, wilson, type Comparison, type Interval } from './stats';
import { percent as pct } from '../percent';
import { printable } from '../types';

export interface SystemRow {
  system: string;
  /** Votes that showed this system. */
  votes: number;
  wins: number;
  ties: number;
  losses: number;
  /** (wins + ties/2) / votes. */
  rate: number;
  interval: Interval;
  /** Wins voted "certainly". */
  certain: number;
  /** Mean reward of this system's voted responses (when a model scored them). */
  meanReward?: number;
}

export interface PromptRow {
  item_id: string;
  /** The prompt's text, shortened; absent without the items file. */
  prompt?: string;
  votes: number;
  ties: number;
  /** Picks per system on this prompt (a tie is half a pick each). */
  picks: Record<string, number>;
  /** The system with the most picks, or "tie" when the top is shared. */
  leader: string;
  /** Reward per system on this prompt (when scored). */
  rewards?: Record<string, number>;
}

export interface RatingRow {
  system: string;
  strength: number;
  elo: number;
}

export interface Agreement {
  /** Decisive votes (not ties) whose two responses were both scored. */
  votes: number;
  /** Of those, how many the model's higher score agreed with (an exact score tie counts half). */
  agreed: number;
  rate: number;
  interval: Interval;
  model: string;
}

export interface VoteReport {
  /** Votes after keeping each annotator's latest vote per comparison. */
  votes: number;
  /** Lines dropped as older duplicates of the same (annotator, comparison). */
  duplicates: number;
  ties: number;
  annotators: Record<string, number>;
  confidence: { likely: number; certainly: number; none: number };
  systems: SystemRow[];
  prompts: PromptRow[];
  /** Only when three systems or more were compared. */
  ratings?: { rows: RatingRow[]; regularized: boolean };
  agreement?: Agreement;
  /** Why a part is missing or what to be careful about (plain words). */
  notes: string[];
}

export interface ReportInputs {
  votes: readonly VoteRecord[];
  /** The items voted on: prompt texts, prompt hash checks, and what the reward model scores. */
  items?: readonly VoteItem[];
  /** Reward per item id and system (see agreement.ts), and the model's name. */
  rewards?: { scores: Map<string, Record<string, number>>; model: string };
}

const PROMPT_CHARS = 120;

export function buildReport(input: ReportInputs): VoteReport {
  const votes = dedupeVotes(input.votes);
  const notes: string[] = [];
  const items = new Map((input.items ?? []).map((i) => [i.id, i]));
  if (input.items) {
    const unknown = votes.filter((v) => !items.has(v.item_id)).length;
    if (unknown) notes.push(`${unknown} vote${s(unknown)} name${unknown === 1 ? 's' : ''} an item that is not in the items file(s)`);
    const changed = votes.filter((v) => items.has(v.item_id) && items.get(v.item_id)!.promptHash !== v.prompt_hash).length;
    if (changed) notes.push(`${changed} vote${s(changed)} ${changed === 1 ? 'was' : 'were'} cast on a different prompt than the items file now has (prompt_hash differs)`);
  }

  const bySystem = new Map<string, SystemRow>();
  const row = (system: string): SystemRow => {
    let r = bySystem.get(system);
    if (!r) bySystem.set(system, (r = { system, votes: 0, wins: 0, ties: 0, losses: 0, rate: 0, interval: { low: 0, high: 1 }, certain: 0 }));
    return r;
  };
  const prompts = new Map<string, PromptRow>();
  const annotators: Record<string, number> = {};
  const confidence = { likely: 0, certainly: 0, none: 0 };
  let ties = 0;
  for (const v of votes) {
    annotators[v.annotator] = (annotators[v.annotator] ?? 0) + 1;
    confidence[v.confidence ?? 'none']++;
    const { A, B } = v.systems;
    const a = row(A);
    const b = row(B);
    a.votes++;
    b.votes++;
    let p = prompts.get(v.item_id);
    if (!p) {
      const item = items.get(v.item_id);
      p = { item_id: v.item_id, votes: 0, ties: 0, picks: {}, leader: 'tie' };
      if (item) p.prompt = shorten(turnsText(item.prompt));
      prompts.set(v.item_id, p);
    }
    p.votes++;
    p.picks[A] ??= 0;
    p.picks[B] ??= 0;
    if (v.winner === 'tie') {
      ties++;
      a.ties++;
      b.ties++;
      p.ties++;
      p.picks[A] += 0.5;
      p.picks[B] += 0.5;
    } else {
      const [w, l] = v.winner === A ? [a, b] : [b, a];
      w.wins++;
      l.losses++;
      if (v.confidence === 'certainly') w.certain++;
      p.picks[v.winner] += 1;
    }
  }
  for (const r of bySystem.values()) {
    r.rate = r.votes ? (r.wins + r.ties / 2) / r.votes : 0;
    r.interval = wilson(r.rate, r.votes);
  }
  for (const p of prompts.values()) {
    const top = Math.max(...Object.values(p.picks));
    const leaders = Object.keys(p.picks).filter((k) => p.picks[k] === top);
    p.leader = leaders.length === 1 ? leaders[0] : 'tie';
  }
  const systems = [...bySystem.values()].sort((x, y) => y.rate - x.rate || x.system.localeCompare(y.system));

  let ratings: VoteReport['ratings'];
  if (systems.length > 2) {
    const names = systems.map((r) => r.system);
    const index = new Map(names.map((n, i) => [n, i]));
    const comparisons: Comparison[] = votes.map((v) => {
      const a = index.get(v.systems.A)!;
      const b = index.get(v.systems.B)!;
      if (v.winner === 'tie') return { winner: a, loser: b, weight: 0.5 };
      return v.winner === v.systems.A ? { winner: a, loser: b, weight: 1 } : { winner: b, loser: a, weight: 1 };
    });
    const bt = bradleyTerry(names.length, comparisons);
    const rows = names.map((system, i) => ({ system, strength: bt.strength[i], elo: bt.elo[i] })).sort((x, y) => y.strength - x.strength);
    ratings = { rows, regularized: bt.regularized };
    if (bt.regularized) notes.push('Some system never lost (or never won) against the others it met: each compared pair got one virtual tie so the ratings stay finite.');
  }

  let agreement: Agreement | undefined;
  if (input.rewards) {
    const { scores, model } = input.rewards;
    let n = 0;
    let agreed = 0;
    const sums = new Map<string, { sum: number; n: number }>();
    const seenItems = new Set<string>();
    for (const v of votes) {
      const r = scores.get(v.item_id);
      const sa = r?.[v.systems.A];
      const sb = r?.[v.systems.B];
      if (sa === undefined || sb === undefined) continue;
      if (!seenItems.has(v.item_id)) {
        seenItems.add(v.item_id);
        prompts.get(v.item_id)!.rewards = r;
      }
      for (const [sys, sc] of [[v.systems.A, sa], [v.systems.B, sb]] as const) {
        const m = sums.get(sys) ?? { sum: 0, n: 0 };
        m.sum += sc;
        m.n++;
        sums.set(sys, m);
      }
      if (v.winner === 'tie') continue;
      n++;
      const [win, lose] = v.winner === v.systems.A ? [sa, sb] : [sb, sa];
      agreed += win > lose ? 1 : win === lose ? 0.5 : 0;
    }
    for (const r of systems) {
      const m = sums.get(r.system);
      if (m) r.meanReward = m.sum / m.n;
    }
    const rate = n ? agreed / n : 0;
    agreement = { votes: n, agreed, rate, interval: wilson(rate, n), model };
    if (n === 0) notes.push('No decisive vote had both responses scored, so the reward model agreement is empty.');
  } else {
    notes.push(input.items ? 'No reward model scored the responses, so there is no agreement figure.' : 'Reward model agreement needs the items file (--items) to score the responses.');
  }
  if (ties) notes.push('A tie counts as half a pick for each side.');

  return {
    votes: votes.length,
    duplicates: input.votes.length - votes.length,
    ties,
    annotators,
    confidence,
    systems,
    prompts: inItemOrder([...prompts.values()], input.items),
    ratings,
    agreement,
    notes,
  };
}

/** The items file's order reads better than the order votes happened to come in; unknown items go last. */
function inItemOrder(rows: PromptRow[], items: readonly VoteItem[] | undefined): PromptRow[] {
  if (!items) return rows;
  const at = new Map(items.map((item, i) => [item.id, i]));
  return rows.map((row, i) => ({ row, key: at.get(row.item_id) ?? items.length + i })).sort((x, y) => x.key - y.key).map((x) => x.row);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PROMPT_CHARS ? `${flat.slice(0, PROMPT_CHARS - 1)}…` : flat;
}

function s(n: number): string {
  return n === 1 ? '' : 's';
}


/** The report as the CLI prints it. */
export function formatReport(r: VoteReport): string {
  if (r.votes === 0) return `No votes in the file(s).\n${r.notes.filter((n) => !n.startsWith('Reward')).map((n) => `note: ${n}\n`).join('')}`;
  const out: string[] = [];
  const who = Object.entries(r.annotators).map(([a, n]) => `${a || '(no name)'} ${n}`).join(', ');
  out.push(`${r.votes} vote${s(r.votes)} (${r.ties} tie${s(r.ties)}) by ${Object.keys(r.annotators).length} annotator${s(Object.keys(r.annotators).length)}: ${who}`);
  if (r.duplicates) out.push(`${r.duplicates} older duplicate vote${s(r.duplicates)} ignored (the latest vote per annotator and comparison counts)`);
  out.push(`confidence: ${r.confidence.certainly} certainly, ${r.confidence.likely} likely, ${r.confidence.none} not given`, '');
  out.push('Selection rate (ties count half), 95 % Wilson interval:');
  const w = Math.max(8, ...r.systems.map((x) => x.system.length));
  for (const x of r.systems) {
    const reward = x.meanReward !== undefined ? `  mean reward ${x.meanReward.toFixed(3)}` : '';
    out.push(`  ${x.system.padEnd(w)} ${pct(x.rate).padStart(7)}  [${pct(x.interval.low)}, ${pct(x.interval.high)}]  ${x.wins}-${x.ties}-${x.losses} (won-tied-lost of ${x.votes})${reward}`);
  }
  if (r.ratings) {
    out.push('', `Bradley-Terry ratings${r.ratings.regularized ? ' (regularized)' : ''}:`);
    for (const x of r.ratings.rows) out.push(`  ${x.system.padEnd(w)} Elo ${x.elo.toFixed(0).padStart(5)}  strength ${x.strength.toFixed(3)}`);
  }
  if (r.agreement) {
    const a = r.agreement;
    out.push('', `Reward model agreement (${a.model}): ${pct(a.rate)} [${pct(a.interval.low)}, ${pct(a.interval.high)}] of ${a.votes} decisive vote${s(a.votes)}`);
  }
  out.push('', 'Per prompt:');
  for (const p of r.prompts) {
    const picks = Object.entries(p.picks).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`  ${p.item_id}: ${p.votes} vote${s(p.votes)}, leader ${p.leader} (${picks})${p.prompt ? `  "${p.prompt}"` : ''}`);
  }
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  // Each entry is one line; names, ids and prompts from the files must not break one or drive the terminal.
  return out.map(printable).join('\n') + '\n';
}
