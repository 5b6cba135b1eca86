/**
 * Scores every response of the voted items with a reward model, in its prompt's context (the pair
 * path of score.ts measures a response against its prompt, as `styletune score` does for pairs).
 */
import type { RecordItem } from '../formats';
import type { RewardModel } from '../reward/model';
import { scoreRecords } from '../score';
import { formatDiagnostic } from '../types';
import type { VoteItem } from './items';

export interface ItemRewards {
  /** Reward per item id and system. */
  scores: Map<string, Record<string, number>>;
  /** Responses that could not be scored (no turns by the scored role), in plain words. */
  problems: string[];
}

export async function scoreItems(items: readonly VoteItem[], model: RewardModel, opts: { role?: string; signal?: AbortSignal } = {}): Promise<ItemRewards> {
  const records: RecordItem[] = [];
  const owners: Array<{ id: string; system: string }> = [];
  for (const item of items) {
    for (const [system, text] of Object.entries(item.responses)) {
      // Both sides are the same response: the pair shape is what scores a response given a prompt.
      records.push({ line: owners.length + 1, record: { kind: 'pair', pair: { prompt: item.prompt, chosen: text, rejected: text }, raw: {} } });
      owners.push({ id: item.id, system });
    }
  }
  const scores = new Map<string, Record<string, number>>();
  const problems: string[] = [];
  for await (const r of scoreRecords(records, '<votes>', model, opts)) {
    const owner = owners[r.line - 1];
    if (r.kind === 'diagnostic') {
      const item = items.find((i) => i.id === owner.id)!;
      problems.push(formatDiagnostic({ ...r.diagnostic, file: item.file, line: item.line, message: `item "${owner.id}", system "${owner.system}": ${r.diagnostic.message}` }));
      continue;
    }
    if (r.kind !== 'pair') continue;
    let m = scores.get(owner.id);
    if (!m) scores.set(owner.id, (m = {}));
    m[owner.system] = r.result.chosen.score;
  }
  return { scores, problems };
}
