/**
 * Rewards for candidates: replies are measured with their prompt as the partner's context (as pair
 * lines are in score.ts), whole dialogues over one role's turns. Batched so onnxruntime runs once per
 * batch; a candidate with no turn by the scored role gets NaN, and the caller reports it.
 */
import type { RewardModel } from '../reward/model';
import { TRAITS } from '../traits/catalog';
import { TraitExtractor } from '../traits/extract';
import type { Turns } from '../types';

export interface Scorable {
  prompt?: Turns;
  response: Turns;
  kind: 'response' | 'dialogue';
}

export interface ScoreCandidatesOptions {
  /** Whose turns count (default: the model's role, usually assistant). */
  role?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
}

/** One score per item, NaN where the scored role has no turn; undefined when aborted. */
export async function scoreCandidates(items: readonly Scorable[], model: RewardModel, opts: ScoreCandidatesOptions = {}): Promise<Float64Array | undefined> {
  const role = opts.role ?? model.spec.role;
  const batchSize = Math.max(1, opts.batchSize ?? 1024);
  const x = new TraitExtractor();
  const L = TRAITS.length;
  const scores = new Float64Array(items.length).fill(NaN);
  for (let start = 0; start < items.length; start += batchSize) {
    if (opts.signal?.aborted) return undefined;
    const end = Math.min(items.length, start + batchSize);
    const values = new Float64Array((end - start) * L);
    const rows: Float64Array[] = [];
    const rowItem: number[] = [];
    for (let i = start; i < end; i++) {
      const it = items[i];
      const at = rows.length * L;
      const turns = it.kind === 'dialogue' && typeof it.response !== 'string'
        ? x.measureDialogueInto(values, at, it.response, role)
        : x.measureResponseInto(values, at, it.response, it.prompt, role);
      if (turns === 0) continue;
      rows.push(values.subarray(at, at + L));
      rowItem.push(i);
    }
    if (rows.length > 0) {
      const { score } = await model.scoreRows(rows);
      for (let r = 0; r < rows.length; r++) scores[rowItem[r]] = score[r];
    }
    opts.onProgress?.(end, items.length);
    // Lets a cancel request (and the editor) through between batches of a long run.
    await new Promise((r) => setImmediate(r));
  }
  return scores;
}
