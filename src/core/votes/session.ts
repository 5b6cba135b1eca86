/**
 * A blind vote session: which comparisons to show, in what order, and which system sits on side A.
 *
 * Every item with k systems gives k·(k−1)/2 comparisons (one per pair of systems). The order is a
 * seeded shuffle and the sides come from a hash of (seed, comparison), so the same seed always shows
 * the same thing, and a resumed session keeps each comparison's sides. The seed goes into every vote
 * record; the record also names the systems on A and B, so nothing is hidden in the file itself.
 */
import { randomInt } from 'node:crypto';
import type { VoteItem } from './items';
import { pairKey, type VoteRecord } from './records';
import { mulberry32 } from '../random';

export interface VoteTask {
  item: VoteItem;
  /** The systems as shown: A on the left, B on the right. */
  a: string;
  b: string;
  /** Stable across sessions and sides: item id plus the two system names in sorted order. */
  key: string;
}

export function newSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** Every comparison of every item that has two systems or more, shuffled and sided by `seed`. */
export function buildTasks(items: readonly VoteItem[], seed: number): VoteTask[] {
  const tasks: VoteTask[] = [];
  for (const item of items) {
    const systems = Object.keys(item.responses).sort();
    for (let i = 0; i < systems.length; i++) {
      for (let j = i + 1; j < systems.length; j++) {
        const key = pairKey(item.id, systems[i], systems[j]);
        // FNV's low bits are a mere parity of the input: mix the hash before taking a side.
        const flip = mulberry32(fnv1a(`${seed}\u0000${key}`))() < 0.5;
        tasks.push({ item, a: flip ? systems[j] : systems[i], b: flip ? systems[i] : systems[j], key });
      }
    }
  }
  return shuffle(tasks, seed);
}

/** The tasks this annotator has not voted on yet (in any earlier session of any votes file given). */
export function remainingTasks(tasks: readonly VoteTask[], votes: readonly VoteRecord[], annotator: string): VoteTask[] {
  const done = new Set(votes.filter((v) => v.annotator === annotator).map((v) => pairKey(v.item_id, v.systems.A, v.systems.B)));
  return tasks.filter((t) => !done.has(t.key));
}

/** The seed of this annotator's latest vote, so a resumed session keeps its order and sides. */
export function resumeSeed(votes: readonly VoteRecord[], annotator: string): number | undefined {
  let latest: VoteRecord | undefined;
  for (const v of votes) if (v.annotator === annotator && typeof v.seed === 'number' && (!latest || v.time >= latest.time)) latest = v;
  return latest?.seed;
}

/** Fisher-Yates with mulberry32: small, fast and the same on every platform, which Math.random is not. */
export function shuffle<T>(values: readonly T[], seed: number): T[] {
  const out = [...values];
  const next = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
