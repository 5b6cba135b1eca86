/**
 * gen.json for the worker's `generate` command (trainer/README.md "Generate"): one prompt, answered
 * by the base model and by base + adapter from the same seed, so the two differ only by the adapter.
 */
import type { SampleEvent } from '../worker/events';
import type { Turns } from '../types';

export interface PreviewGenOptions {
  model: string;
  adapter: string;
  prompt: Turns;
  maxNewTokens?: number;
  /** 0 means greedy decoding. */
  temperature?: number;
  seed?: number;
  systemPrompt?: string;
}

export interface GenConfig {
  model: string;
  adapter: string;
  prompts: Turns[];
  num_samples: number;
  max_new_tokens: number;
  do_sample: boolean;
  temperature?: number;
  top_p?: number;
  seed: number;
  system_prompt?: string;
}

export const DEFAULT_MAX_NEW_TOKENS = 128;
export const DEFAULT_TEMPERATURE = 0.8;

/** Throws with a plain reason when an option is out of range (settings and command arguments reach here). */
export function buildGenConfig(o: PreviewGenOptions): GenConfig {
  const maxNewTokens = o.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const temperature = o.temperature ?? DEFAULT_TEMPERATURE;
  const seed = o.seed ?? 0;
  if (!o.model) throw new Error('no base model given');
  if (!o.adapter) throw new Error('no adapter given');
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > 8192) throw new Error(`max new tokens must be a whole number from 1 to 8192, got ${maxNewTokens}`);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 5) throw new Error(`temperature must be from 0 to 5, got ${temperature}`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a whole number ≥ 0, got ${seed}`);
  if (typeof o.prompt === 'string' ? !o.prompt.trim() : o.prompt.length === 0) throw new Error('the prompt is empty');
  const cfg: GenConfig = {
    model: o.model,
    adapter: o.adapter,
    prompts: [o.prompt],
    num_samples: 1,
    max_new_tokens: maxNewTokens,
    do_sample: temperature > 0,
    seed,
  };
  if (temperature > 0) {
    cfg.temperature = temperature;
    cfg.top_p = 0.95;
  }
  if (o.systemPrompt?.trim()) cfg.system_prompt = o.systemPrompt;
  return cfg;
}

/** The two responses of a preview from the worker's `sample` events. */
export class SampleCollector {
  base: SampleEvent | undefined;
  tuned: SampleEvent | undefined;

  /** Returns which side the event filled, or undefined for events of other prompts or samples. */
  add(e: SampleEvent): 'base' | 'tuned' | undefined {
    if (e.index !== 0 || e.sample !== 0) return undefined;
    if (e.source === 'base') {
      this.base = e;
      return 'base';
    }
    this.tuned = e;
    return 'tuned';
  }

  get complete(): boolean {
    return this.base !== undefined && this.tuned !== undefined;
  }
}
