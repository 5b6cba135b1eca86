/**
 * Vote records: one JSON line per vote, appended atomically, mergeable across annotators.
 *
 *   {"item_id": "lunch", "prompt_hash": "3f2a…", "systems": {"A": "tuned", "B": "base"},
 *    "winner": "tuned" | "tie", "confidence": "likely" | "certainly" | null,
 *    "annotator": "ana", "time": ISO, "session": "…", "seed": 123}
 *
 * The same comparison voted twice by one annotator (a changed mind, or two merged copies of a file)
 * counts once: the vote with the latest time wins, and between equal times the one read last.
 */
import { appendJsonlAtomic, editFileAtomic, writeFileAtomic } from '../atomic';
import { jsonTypeName } from '../formats';
import { readJsonl } from '../jsonl';
import type { Diagnostic } from '../types';

export type Confidence = 'likely' | 'certainly';

export interface VoteRecord {
  item_id: string;
  prompt_hash: string;
  systems: { A: string; B: string };
  /** A system's name, or "tie". */
  winner: string;
  confidence: Confidence | null;
  annotator: string;
  time: string;
  session: string;
  /** The session's seed (order and sides); absent in records written by other tools. */
  seed?: number;
}

export interface ReadVotes {
  votes: VoteRecord[];
  diagnostics: Diagnostic[];
}

/** One comparison, whatever the sides: the item and the two systems in sorted order. */
export function pairKey(itemId: string, s1: string, s2: string): string {
  const [x, y] = s1 < s2 ? [s1, s2] : [s2, s1];
  return JSON.stringify([itemId, x, y]);
}

export function voteKey(v: VoteRecord): string {
  return JSON.stringify([v.annotator, pairKey(v.item_id, v.systems.A, v.systems.B)]);
}

/** Checks one parsed line; the message names the field, as the other readers do. */
export function checkVote(o: Record<string, unknown>): { vote: VoteRecord } | { error: string } {
  for (const key of ['item_id', 'prompt_hash', 'annotator', 'time', 'session', 'winner']) {
    if (typeof o[key] !== 'string') return { error: `\`${key}\` must be a string, got ${jsonTypeName(o[key])}` };
  }
  const s = o.systems as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || typeof s.A !== 'string' || typeof s.B !== 'string') {
    return { error: '`systems` must be {"A": name, "B": name}' };
  }
  if (s.A === s.B) return { error: `\`systems\` names "${s.A}" on both sides` };
  if (o.winner !== s.A && o.winner !== s.B && o.winner !== 'tie') return { error: `\`winner\` must be "${s.A}", "${s.B}" or "tie", got ${JSON.stringify(o.winner)}` };
  const c = o.confidence ?? null;
  if (c !== null && c !== 'likely' && c !== 'certainly') return { error: `\`confidence\` must be "likely", "certainly" or null, got ${JSON.stringify(c)}` };
  if (Number.isNaN(Date.parse(o.time as string))) return { error: `\`time\` is not a date: ${JSON.stringify(o.time)}` };
  if (o.seed !== undefined && !Number.isInteger(o.seed)) return { error: `\`seed\` must be a whole number, got ${JSON.stringify(o.seed)}` };
  const vote: VoteRecord = {
    item_id: o.item_id as string,
    prompt_hash: o.prompt_hash as string,
    systems: { A: s.A, B: s.B },
    winner: o.winner as string,
    confidence: c,
    annotator: o.annotator as string,
    time: o.time as string,
    session: o.session as string,
  };
  if (o.seed !== undefined) vote.seed = o.seed as number;
  return { vote };
}

/** Reads votes files in order; a missing file is an error for the caller (I/O), bad lines are diagnostics. */
export async function readVotes(files: readonly string[]): Promise<ReadVotes> {
  const votes: VoteRecord[] = [];
  const diagnostics: Diagnostic[] = [];
  await forEachVote(files, (v) => votes.push(v), (d) => diagnostics.push(d));
  return { votes, diagnostics };
}

/** readVotes without keeping anything: each vote and each problem is handed over as it is read. */
export async function forEachVote(files: readonly string[], onVote: (vote: VoteRecord) => void, onDiagnostic: (d: Diagnostic) => void): Promise<void> {
  for (const file of files) {
    for await (const row of readJsonl(file)) {
      if ('diagnostic' in row) {
        onDiagnostic(row.diagnostic);
        continue;
      }
      const r = checkVote(row.value as Record<string, unknown>);
      if ('error' in r) onDiagnostic({ file, line: row.line, column: 1, severity: 'error', message: `not a vote record: ${r.error}` });
      else onVote(r.vote);
    }
  }
}

/** Reads a votes file that may not exist yet (a session's own file before its first vote). */
export async function readVotesIfAny(file: string): Promise<ReadVotes> {
  try {
    return await readVotes([file]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { votes: [], diagnostics: [] };
    throw err;
  }
}

/** One vote per (annotator, comparison): the latest by time, the last read among equal times. Keeps read order otherwise. */
export function dedupeVotes(votes: readonly VoteRecord[]): VoteRecord[] {
  const best = new Map<string, number>();
  votes.forEach((v, i) => {
    const k = voteKey(v);
    const j = best.get(k);
    if (j === undefined || Date.parse(v.time) >= Date.parse(votes[j].time)) best.set(k, i);
  });
  const keep = new Set(best.values());
  return votes.filter((_, i) => keep.has(i));
}

/** The merged file's order: by time, so a merged file reads like one long session log. */
export function mergeVotes(votes: readonly VoteRecord[]): VoteRecord[] {
  return dedupeVotes(votes).sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
}

export function appendVote(file: string, vote: VoteRecord): Promise<void> {
  return appendJsonlAtomic(file, [vote]);
}

export async function writeVotes(file: string, votes: readonly VoteRecord[]): Promise<void> {
  await writeFileAtomic(file, votes.map((v) => JSON.stringify(v) + '\n').join(''));
}

/**
 * Takes a vote back (undo): rewrites the file without the last line that is exactly this record,
 * keeping every other line byte for byte, and any vote another window appends meanwhile. Says
 * whether a line was removed.
 */
export function removeVote(file: string, vote: VoteRecord): Promise<boolean> {
  const wanted = JSON.stringify(vote);
  return editFileAtomic(file, (text) => {
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (lines[i].replace(/\r$/, '') !== wanted) continue;
      lines.splice(i, 1);
      return lines.join('\n');
    }
    return undefined;
  });
}
