/**
 * The vote report: how often voters picked each system (a tie counts as half a pick for each side),
 * with a 95 % Wilson interval; the per-prompt breakdown; Bradley-Terry and Elo ratings when more than
 * two systems were compared; and how often the reward model's higher-scored response is the one the
 * voters picked. Pure: votes, items and scores in, one plain object out (the CLI prints it, the
 * webview draws it).
 */
import { turnsText, type VoteItem } from './items';
import type { VoteRecord } from './records';
import { bradleyTerryFromWins, wilson, type Interval } from './stats';
import { percent as pct } from '../percent';
import { printable } from '../types';
import { counted } from '../counted';

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

/** The report of votes already in memory (the extension's panel): a VoteTally fed with them. */
export function buildReport(input: ReportInputs): VoteReport {
  const tally = new VoteTally(input.items);
  for (const v of input.votes) tally.add(v);
  return tally.report(input.rewards);
}

/** Growable typed columns, one row per kept vote. */
class Column<T extends Float64Array | Uint32Array | Uint8Array> {
  constructor(public data: T) {}
  set(i: number, value: number): void {
    if (i >= this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(Math.max(1024, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[i] = value;
  }
}

const TIE = 2;
const CONFIDENCE = ['none', 'likely', 'certainly'] as const;
/** Whether a vote's prompt_hash matches its item: no items given, the same, another prompt, an unknown item. */
const HASH_UNCHECKED = 0;
const HASH_CHANGED = 2;
const HASH_UNKNOWN_ITEM = 3;

/**
 * The report's statistics in one pass over the votes, in memory that grows with the comparisons kept,
 * not with the lines read: names (items, systems, annotators) are stored once and each kept vote is a
 * row of small numbers, so `styletune votes report` reads millions of votes as they stream from the
 * files. The latest vote per annotator and comparison counts (as dedupeVotes); the report is the same
 * as one built from the deduplicated list, in the same order.
 */
export class VoteTally {
  private readonly items: Map<string, VoteItem>;
  private readonly names = { item: new Intern(), system: new Intern(), annotator: new Intern() };
  /** Annotator, item and the two systems in sorted order → the row of its latest vote. */
  private readonly latest = new Map<string, number>();
  private rows = 0;
  private read = 0;
  private readonly time = new Column(new Float64Array(0));
  /** Position in read order, to report in the order a list would have. */
  private readonly seq = new Column(new Float64Array(0));
  private readonly item = new Column(new Uint32Array(0));
  private readonly sysA = new Column(new Uint32Array(0));
  private readonly sysB = new Column(new Uint32Array(0));
  private readonly annotator = new Column(new Uint32Array(0));
  /** 0: A won, 1: B won, 2: tie. */
  private readonly outcome = new Column(new Uint8Array(0));
  private readonly confidence = new Column(new Uint8Array(0));
  private readonly hash = new Column(new Uint8Array(0));

  constructor(private readonly itemList?: readonly VoteItem[]) {
    this.items = new Map((itemList ?? []).map((i) => [i.id, i]));
  }

  add(v: VoteRecord): void {
    const seq = this.read++;
    const time = Date.parse(v.time);
    const item = this.names.item.id(v.item_id);
    const a = this.names.system.id(v.systems.A);
    const b = this.names.system.id(v.systems.B);
    const annotator = this.names.annotator.id(v.annotator);
    const key = `${annotator},${item},${Math.min(a, b)},${Math.max(a, b)}`;
    let row = this.latest.get(key);
    if (row !== undefined && time < this.time.data[row]) return;
    if (row === undefined) this.latest.set(key, (row = this.rows++));
    this.time.set(row, time);
    this.seq.set(row, seq);
    this.item.set(row, item);
    this.sysA.set(row, a);
    this.sysB.set(row, b);
    this.annotator.set(row, annotator);
    this.outcome.set(row, v.winner === 'tie' ? TIE : v.winner === v.systems.A ? 0 : 1);
    this.confidence.set(row, v.confidence === 'certainly' ? 2 : v.confidence === 'likely' ? 1 : 0);
    const known = this.items.get(v.item_id);
    this.hash.set(row, !this.itemList ? HASH_UNCHECKED : !known ? HASH_UNKNOWN_ITEM : known.promptHash === v.prompt_hash ? 1 : HASH_CHANGED);
  }

  /** The kept rows in the order their votes were read. */
  private inReadOrder(): Uint32Array {
    const at = new Int32Array(this.read).fill(-1);
    for (let r = 0; r < this.rows; r++) at[this.seq.data[r]] = r;
    const order = new Uint32Array(this.rows);
    let n = 0;
    for (const r of at) if (r >= 0) order[n++] = r;
    return order;
  }

  report(rewards?: ReportInputs['rewards']): VoteReport {
    const order = this.inReadOrder();
    const itemName = this.names.item.list;
    const systemName = this.names.system.list;
    const annotatorName = this.names.annotator.list;
    const notes: string[] = [];
    if (this.itemList) {
      let unknown = 0;
      let changed = 0;
      for (const r of order) {
        if (this.hash.data[r] === HASH_UNKNOWN_ITEM) unknown++;
        else if (this.hash.data[r] === HASH_CHANGED) changed++;
      }
      if (unknown) notes.push(`${counted(unknown, 'vote names', 'votes name')} an item that is not in the items file(s)`);
      if (changed) notes.push(`${counted(changed, 'vote was', 'votes were')} cast on a different prompt than the items file now has (prompt_hash differs)`);
    }

    const bySystem = new Map<number, SystemRow>();
    const rowOf = (system: number): SystemRow => {
      let r = bySystem.get(system);
      if (!r) bySystem.set(system, (r = { system: systemName[system], votes: 0, wins: 0, ties: 0, losses: 0, rate: 0, interval: { low: 0, high: 1 }, certain: 0 }));
      return r;
    };
    const prompts = new Map<number, PromptRow>();
    const annotators: Record<string, number> = {};
    const confidence = { likely: 0, certainly: 0, none: 0 };
    let ties = 0;
    for (const r of order) {
      const annotator = annotatorName[this.annotator.data[r]];
      annotators[annotator] = (annotators[annotator] ?? 0) + 1;
      confidence[CONFIDENCE[this.confidence.data[r]]]++;
      const [A, B] = [systemName[this.sysA.data[r]], systemName[this.sysB.data[r]]];
      const a = rowOf(this.sysA.data[r]);
      const b = rowOf(this.sysB.data[r]);
      a.votes++;
      b.votes++;
      let p = prompts.get(this.item.data[r]);
      if (!p) {
        const id = itemName[this.item.data[r]];
        const item = this.items.get(id);
        p = { item_id: id, votes: 0, ties: 0, picks: {}, leader: 'tie' };
        if (item) p.prompt = shorten(turnsText(item.prompt));
        prompts.set(this.item.data[r], p);
      }
      p.votes++;
      p.picks[A] ??= 0;
      p.picks[B] ??= 0;
      const outcome = this.outcome.data[r];
      if (outcome === TIE) {
        ties++;
        a.ties++;
        b.ties++;
        p.ties++;
        p.picks[A] += 0.5;
        p.picks[B] += 0.5;
      } else {
        const [w, l] = outcome === 0 ? [a, b] : [b, a];
        w.wins++;
        l.losses++;
        if (this.confidence.data[r] === 2) w.certain++;
        p.picks[outcome === 0 ? A : B] += 1;
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
      const names = systems.map((x) => x.system);
      const index = new Map(names.map((n, i) => [n, i]));
      const n = names.length;
      const wins = new Float64Array(n * n);
      for (const r of order) {
        const a = index.get(systemName[this.sysA.data[r]])!;
        const b = index.get(systemName[this.sysB.data[r]])!;
        const outcome = this.outcome.data[r];
        if (outcome === TIE) {
          wins[a * n + b] += 0.5;
          wins[b * n + a] += 0.5;
        } else if (outcome === 0) wins[a * n + b] += 1;
        else wins[b * n + a] += 1;
      }
      const bt = bradleyTerryFromWins(n, wins);
      const rows = names.map((system, i) => ({ system, strength: bt.strength[i], elo: bt.elo[i] })).sort((x, y) => y.strength - x.strength);
      ratings = { rows, regularized: bt.regularized };
      if (bt.regularized) notes.push('Some system never lost (or never won) against the others it met: each compared pair got one virtual tie so the ratings stay finite.');
    }

    let agreement: Agreement | undefined;
    if (rewards) {
      const { scores, model } = rewards;
      let n = 0;
      let agreed = 0;
      const sums = new Map<string, { sum: number; n: number }>();
      const seenItems = new Set<number>();
      for (const r of order) {
        const scored = scores.get(itemName[this.item.data[r]]);
        const [A, B] = [systemName[this.sysA.data[r]], systemName[this.sysB.data[r]]];
        const sa = scored?.[A];
        const sb = scored?.[B];
        if (sa === undefined || sb === undefined) continue;
        if (!seenItems.has(this.item.data[r])) {
          seenItems.add(this.item.data[r]);
          prompts.get(this.item.data[r])!.rewards = scored;
        }
        for (const [sys, sc] of [[A, sa], [B, sb]] as const) {
          const m = sums.get(sys) ?? { sum: 0, n: 0 };
          m.sum += sc;
          m.n++;
          sums.set(sys, m);
        }
        const outcome = this.outcome.data[r];
        if (outcome === TIE) continue;
        n++;
        const [win, lose] = outcome === 0 ? [sa, sb] : [sb, sa];
        agreed += win > lose ? 1 : win === lose ? 0.5 : 0;
      }
      for (const x of systems) {
        const m = sums.get(x.system);
        if (m) x.meanReward = m.sum / m.n;
      }
      const rate = n ? agreed / n : 0;
      agreement = { votes: n, agreed, rate, interval: wilson(rate, n), model };
      if (n === 0) notes.push('No decisive vote had both responses scored, so the reward model agreement is empty.');
    } else {
      notes.push(this.itemList ? 'No reward model scored the responses, so there is no agreement figure.' : 'Reward model agreement needs the items file (--items) to score the responses.');
    }
    if (ties) notes.push('A tie counts as half a pick for each side.');

    return {
      votes: order.length,
      duplicates: this.read - order.length,
      ties,
      annotators,
      confidence,
      systems,
      prompts: inItemOrder([...prompts.values()], this.itemList),
      ratings,
      agreement,
      notes,
    };
  }
}

/** Names to small numbers and back. */
class Intern {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  id(name: string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      this.ids.set(name, (i = this.list.length));
      this.list.push(name);
    }
    return i;
  }
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


/** The report as the CLI prints it. */
export function formatReport(r: VoteReport): string {
  if (r.votes === 0) return `No votes in the file(s).\n${r.notes.filter((n) => !n.startsWith('Reward')).map((n) => `note: ${n}\n`).join('')}`;
  const out: string[] = [];
  const who = Object.entries(r.annotators).map(([a, n]) => `${a || '(no name)'} ${n}`).join(', ');
  out.push(`${counted(r.votes, 'vote')} (${counted(r.ties, 'tie')}) by ${counted(Object.keys(r.annotators).length, 'annotator')}: ${who}`);
  if (r.duplicates) out.push(`${counted(r.duplicates, 'older duplicate vote')} ignored (the latest vote per annotator and comparison counts)`);
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
    out.push('', `Reward model agreement (${a.model}): ${pct(a.rate)} [${pct(a.interval.low)}, ${pct(a.interval.high)}] of ${counted(a.votes, 'decisive vote')}`);
  }
  out.push('', 'Per prompt:');
  for (const p of r.prompts) {
    const picks = Object.entries(p.picks).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`  ${p.item_id}: ${counted(p.votes, 'vote')}, leader ${p.leader} (${picks})${p.prompt ? `  "${p.prompt}"` : ''}`);
  }
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  // Each entry is one line; names, ids and prompts from the files must not break one or drive the terminal.
  return out.map(printable).join('\n') + '\n';
}
