/**
 * Judge ratings that are already paid for: a conversation's entry in a ratings file (`styletune judge`,
 * "Rate with LLM Judge"; joined by transcript hash) or in the judge cache (joined by judge model, prompt
 * version and transcript). The inline annotations, the inspector and the preview look here and never call
 * the judge themselves: sending text to an endpoint is always the user's explicit step.
 *
 *   const known = new KnownRatings([await RatingsTable.load([ratingsFile])], { cache, judgeName: 'gpt-4o' });
 *   const ratings = await known.find(messages, 'assistant'); // number[32] or undefined
 */
import type { Message } from '../types';
import { JudgeCache } from './cache';
import { RATING_PROMPT_VERSION, renderTranscript } from './prompt';
import type { RatingsTable, SideOf } from './ratings';
import { HAL_STATEMENTS } from './traits';

/** Where ratings of a conversation may be found (see KnownRatings). */
export interface RatingsSource {
  /** `of` says which side of which record the conversation is, so ratings kept per game can answer. */
  find(messages: readonly Message[], role: string, of?: SideOf): Promise<number[] | undefined>;
}

export class KnownRatings implements RatingsSource {
  constructor(
    private readonly tables: readonly RatingsTable[],
    /** The judge cache and the judge model whose answers count (the one in settings). */
    private readonly cached?: { cache: JudgeCache; judgeName: string },
  ) {}

  async find(messages: readonly Message[], role: string, of?: SideOf): Promise<number[] | undefined> {
    for (const t of this.tables) {
      const hit = t.get(messages, role, of);
      if (hit) return hit;
    }
    if (!this.cached) return undefined;
    const transcript = renderTranscript(messages, role);
    const value = await this.cached.cache.get<unknown>(JudgeCache.key(this.cached.judgeName, RATING_PROMPT_VERSION, transcript));
    // A cache file edited or cut short by hand is a miss, not a wrong score.
    return isRatings(value) ? value : undefined;
  }
}

function isRatings(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === HAL_STATEMENTS.length && v.every((r) => typeof r === 'number' && r >= 1 && r <= 5);
}
