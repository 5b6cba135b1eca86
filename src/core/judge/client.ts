/**
 * A polite client for any OpenAI-compatible chat-completions endpoint (`POST {baseUrl}/chat/completions`).
 *
 *   const judge = new ChatClient({ baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen2.5-7b', apiKey });
 *   const text = await judge.complete([{ role: 'user', content: 'hi' }]);
 *
 * Polite: at most `requestsPerMinute` request starts per minute and `concurrency` in flight; 429, 5xx,
 * network errors and timeouts are retried with exponential backoff, honoring Retry-After. Other errors
 * (401, 404, a body that is not a chat completion) fail at once with what to do.
 */
import type { ChatMessage } from './prompt';
import { snippet } from './prompt';

export interface ChatClientOptions {
  /** e.g. `http://127.0.0.1:8000/v1` or `https://api.openai.com/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when set. Never stored in settings files. */
  apiKey?: string;
  requestsPerMinute?: number;
  concurrency?: number;
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  maxRetries?: number;
  /** First backoff delay; doubles each retry (with jitter). */
  backoffMs?: number;
  /** Longest wait for one Retry-After or backoff. */
  maxWaitMs?: number;
  temperature?: number;
  maxTokens?: number;
}

export const JUDGE_DEFAULTS = { requestsPerMinute: 60, concurrency: 4, timeoutMs: 60_000, maxRetries: 4, backoffMs: 1000, maxWaitMs: 60_000 } as const;

/** An error from the endpoint after retries; `status` is the last HTTP status (undefined: no answer). */
export class JudgeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** What the endpoint's Retry-After asked for, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class ChatClient {
  readonly options: Required<Omit<ChatClientOptions, 'apiKey' | 'temperature' | 'maxTokens'>> & ChatClientOptions;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;
  /** Attempts sent, including retries (for reports and tests). */
  requests = 0;

  constructor(options: ChatClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new JudgeError(`judge base URL ${JSON.stringify(options.baseUrl)} is not a URL; use e.g. http://127.0.0.1:8000/v1`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new JudgeError(`judge base URL must be http or https, got ${url.protocol}`);
    if (!options.model) throw new JudgeError('no judge model named; set the model (styletune.judge.model / --model)');
    // Options left undefined (e.g. a CLI flag not given) keep their defaults.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ChatClientOptions;
    this.options = { ...JUDGE_DEFAULTS, ...given, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  get name(): string {
    return this.options.model;
  }

  /** The assistant message's text. */
  async complete(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<string> {
    const o = this.options;
    let last: JudgeError | undefined;
    for (let attempt = 0; attempt <= o.maxRetries; attempt++) {
      if (attempt > 0) await sleep(this.retryDelay(attempt, last), signal);
      const result = await this.slot(() => this.attempt(messages, signal), signal);
      if ('text' in result) return result.text;
      last = result.error;
      if (!result.retry) throw result.error;
    }
    throw new JudgeError(`${last!.message} (gave up after ${o.maxRetries + 1} attempts)`, last!.status);
  }

  private retryDelay(attempt: number, last: JudgeError | undefined): number {
    const o = this.options;
    if (last?.retryAfterMs !== undefined) return Math.min(last.retryAfterMs, o.maxWaitMs);
    const base = o.backoffMs * 2 ** (attempt - 1);
    return Math.min(base * (0.75 + 0.5 * Math.random()), o.maxWaitMs);
  }

  private async attempt(messages: readonly ChatMessage[], signal?: AbortSignal): Promise<{ text: string } | { error: JudgeError; retry: boolean }> {
    const o = this.options;
    const timeout = AbortSignal.timeout(o.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
    const body: Record<string, unknown> = { model: o.model, messages, temperature: o.temperature ?? 0 };
    if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
    this.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${o.baseUrl}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body), signal: combined });
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? new Error('cancelled');
      if (timeout.aborted) return { error: new JudgeError(`the judge endpoint did not answer within ${o.timeoutMs / 1000} s`), retry: true };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { error: new JudgeError(`cannot reach the judge endpoint ${o.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`), retry: true };
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      // Every request waits, not only this one: the endpoint asked the client, not the request, to slow down.
      if (retryAfter !== undefined) this.nextStart = Math.max(this.nextStart, Date.now() + Math.min(retryAfter, o.maxWaitMs));
      return { error: new JudgeError(`the judge endpoint answered ${res.status} ${res.statusText}: ${snippet(text)}`, res.status, retryAfter), retry: true };
    }
    if (!res.ok) {
      const hint =
        res.status === 401 || res.status === 403
          ? '; check the API key (StyleTune: Set Judge API Key, or STYLETUNE_JUDGE_API_KEY for the CLI)'
          : res.status === 404
            ? `; check the base URL (it should end before /chat/completions, e.g. …/v1) and the model name "${o.model}"`
            : '';
      return { error: new JudgeError(`the judge endpoint answered ${res.status} ${res.statusText}: ${snippet(text)}${hint}`, res.status), retry: false };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { error: new JudgeError(`the judge endpoint's reply is not JSON: ${JSON.stringify(snippet(text))}`, res.status), retry: false };
    }
    const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') {
      return { error: new JudgeError(`the judge endpoint's reply has no choices[0].message.content: ${JSON.stringify(snippet(text))}`, res.status), retry: false };
    }
    return { text: content };
  }

  /** Runs `task` when a concurrency slot is free and the rate limit allows another start. */
  private async slot<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    while (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      const interval = 60_000 / this.options.requestsPerMinute;
      const now = Date.now();
      const start = Math.max(now, this.nextStart);
      this.nextStart = start + interval;
      if (start > now) await sleep(start - now, signal);
      return await task();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('cancelled'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new Error('cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
