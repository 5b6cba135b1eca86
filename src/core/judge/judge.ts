/**
 * The judge: rates a conversation on HAL's 32 statements, or checks it against checklist items,
 * through a chat endpoint, with every answer cached by content.
 *
 *   const judge = new Judge(new ChatClient({ baseUrl, model }), new JudgeCache('.styletune/judge-cache'));
 *   const { ratings } = await judge.rate(messages, 'assistant');
 */
import type { Message } from '../types';
import { JudgeCache } from './cache';
import { CHECKLIST_PROMPT_VERSION, RATING_PROMPT_VERSION, checklistPrompt, parseAnswers, parseRatings, ratingPrompt, renderTranscript, type ChatMessage } from './prompt';

/** Anything that answers chat messages with text: the HTTP client, or the local model in the worker. */
export interface ChatBackend {
  /** Names the judge in cache keys and reports (the model name). */
  readonly name: string;
  complete(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<string>;
}

export class Judge {
  constructor(
    readonly backend: ChatBackend,
    readonly cache?: JudgeCache,
  ) {}

  /** 32 ratings 1-5 of `role`'s side of the conversation. Throws a plain-words Error on a bad answer. */
  async rate(messages: readonly Message[], role: string, signal?: AbortSignal): Promise<{ ratings: number[]; cached: boolean }> {
    const transcript = renderTranscript(messages, role);
    return this.ask(transcript, RATING_PROMPT_VERSION, '', () => ratingPrompt(transcript), parseRatings, signal).then(({ value, cached }) => ({ ratings: value, cached }));
  }

  /** true/false per checklist statement for `role`'s side. */
  async check(messages: readonly Message[], role: string, statements: readonly string[], signal?: AbortSignal): Promise<{ answers: boolean[]; cached: boolean }> {
    const transcript = renderTranscript(messages, role);
    return this.ask(transcript, CHECKLIST_PROMPT_VERSION, statements.join('\n'), () => checklistPrompt(transcript, statements), (t) => parseAnswers(t, statements.length), signal).then(
      ({ value, cached }) => ({ answers: value, cached }),
    );
  }

  private async ask<T>(
    transcript: string,
    version: string,
    extra: string,
    prompt: () => ChatMessage[],
    parse: (text: string) => { ok: T } | { error: string },
    signal?: AbortSignal,
  ): Promise<{ value: T; cached: boolean }> {
    const key = JudgeCache.key(this.backend.name, version, transcript, extra);
    const hit = await this.cache?.get<T>(key);
    if (hit !== undefined) return { value: hit, cached: true };
    const answer = await this.backend.complete(prompt(), signal);
    const parsed = parse(answer);
    if ('error' in parsed) throw new Error(parsed.error);
    await this.cache?.put(key, this.backend.name, version, parsed.ok);
    return { value: parsed.ok, cached: false };
  }
}
