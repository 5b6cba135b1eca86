/**
 * Judge ratings that are already paid for: a conversation's entry in a ratings file (`styletune judge`,
 * "Rate with LLM Judge"; joined by transcript hash) or in the judge cache (joined by judge model, prompt
 * version and transcript). The inline annotations and the preview look here first and never call the
 * judge themselves: sending text to an endpoint is always the user's explicit step.
 *
 *   const known = new KnownRatings([await RatingsTable.load([ratingsFile])], { cache, judgeName: 'gpt-4o' });
 *   const ratings = await known.find(messages, 'assistant'); // number[32] or undefined
 */
import type { Message } from '../types';
import { JudgeCache } from './cache';
import { RATING_PROMPT_VERSION, renderTranscript, sha256 } from './prompt';
import type { RatingsTable } from './ratings';
import { HAL_STATEMENTS } from './traits';

/** Where ratings of a conversation may be found (see KnownRatings). */
export interface RatingsSource {
  find(messages: readonly Message[], role: string): Promise<number[] | undefined>;
}

export class KnownRatings implements RatingsSource {
  constructor(
    private readonly tables: readonly RatingsTable[],
    /** The judge cache and the judge model whose answers count (the one in settings). */
    private readonly cached?: { cache: JudgeCache; judgeName: string },
  ) {}

  async find(messages: readonly Message[], role: string): Promise<number[] | undefined> {
    const transcript = renderTranscript(messages, role);
    if (this.tables.length > 0) {
      const hash = sha256(transcript);
      for (const t of this.tables) {
        const hit = t.byHash.get(hash);
        if (hit) return hit;
      }
    }
    if (!this.cached) return undefined;
    const value = await this.cached.cache.get<unknown>(JudgeCache.key(this.cached.judgeName, RATING_PROMPT_VERSION, transcript));
    // A cache file edited or cut short by hand is a miss, not a wrong score.
    return isRatings(value) ? value : undefined;
  }
}

function isRatings(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === HAL_STATEMENTS.length && v.every((r) => typeof r === 'number' && r >= 1 && r <= 5);
}
