/**
 * What the judge is asked and how its answers are read.
 *
 * Answers are parsed strictly: JSON (optionally inside one ```json fence), exactly the expected number
 * of values, each of the expected kind. Anything else is a plain-words error naming what was wrong, so
 * a malformed answer becomes a per-line diagnostic and never a guessed rating.
 */
import { createHash } from 'node:crypto';
import { turnsToMessages } from '../formats';
import type { Message, Turns } from '../types';
import { HAL_STATEMENTS } from './traits';

/** Bump when the rating prompt changes: it is part of every cache key, so old ratings are not reused. */
export const RATING_PROMPT_VERSION = 'hal32-v1';
export const CHECKLIST_PROMPT_VERSION = 'checklist-v1';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The conversation as the judge reads it: the rated speaker is SPEAKER, everyone else PARTNER. This
 * text (not the JSON line) is what is hashed, so the same conversation in another file reuses its rating.
 */
export function renderTranscript(messages: readonly Message[], role: string): string {
  return messages.map((m) => `${m.role === role ? 'SPEAKER' : 'PARTNER'}: ${m.content.replace(/\r\n?/g, '\n')}`).join('\n');
}

/** A TRL pair side as a conversation: the prompt's turns (a bare string is the partner's), then the response. */
export function responseAsMessages(response: Turns, prompt: Turns | undefined, role: string): Message[] {
  const before = prompt === undefined ? [] : typeof prompt === 'string' ? [{ role: role === 'user' ? 'partner' : 'user', content: prompt }] : prompt;
  return [...before, ...turnsToMessages(response, role)];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function ratingPrompt(transcript: string): ChatMessage[] {
  const list = HAL_STATEMENTS.map((s, i) => `${i + 1}. ${s}`).join('\n');
  return [
    {
      role: 'system',
      content:
        'You rate how a speaker in a text conversation comes across. For each statement, rate how well it ' +
        'describes SPEAKER (not PARTNER) from 1 (not at all) to 5 (completely). Answer with JSON only, ' +
        `exactly {"ratings": [r1, ..., r${HAL_STATEMENTS.length}]}: ${HAL_STATEMENTS.length} whole numbers from 1 to 5, in statement order.`,
    },
    { role: 'user', content: `Statements:\n${list}\n\nConversation:\n${transcript}` },
  ];
}

export function checklistPrompt(transcript: string, statements: readonly string[]): ChatMessage[] {
  const list = statements.map((s, i) => `${i + 1}. ${s}`).join('\n');
  return [
    {
      role: 'system',
      content:
        'You check a text conversation against a checklist. For each item, answer true if it holds for ' +
        'SPEAKER (not PARTNER) in this conversation, false otherwise. Answer with JSON only, exactly ' +
        `{"answers": [a1, ..., a${statements.length}]}: ${statements.length} booleans, in item order.`,
    },
    { role: 'user', content: `Checklist:\n${list}\n\nConversation:\n${transcript}` },
  ];
}

type Parsed<T> = { ok: T } | { error: string };

/** The JSON value in a judge's answer: the whole text, or the body of a single ``` fence. */
function answerJson(text: string): Parsed<unknown> {
  let body = text.trim();
  const fence = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/.exec(body);
  if (fence) body = fence[1].trim();
  try {
    return { ok: JSON.parse(body) };
  } catch {
    return { error: `the judge's answer is not JSON: ${JSON.stringify(snippet(text))}` };
  }
}

export function snippet(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) + '…' : flat;
}

/** `{"ratings": [...]}` (or a bare list) of exactly `count` whole numbers 1-5. */
export function parseRatings(text: string, count = HAL_STATEMENTS.length): Parsed<number[]> {
  const json = answerJson(text);
  if ('error' in json) return json;
  const list = Array.isArray(json.ok) ? json.ok : isObject(json.ok) ? json.ok.ratings : undefined;
  if (!Array.isArray(list)) return { error: `the judge's answer has no "ratings" list: ${JSON.stringify(snippet(text))}` };
  if (list.length !== count) return { error: `the judge gave ${list.length} ratings, expected ${count}` };
  for (const [i, r] of list.entries()) {
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 5) {
      return { error: `rating ${i + 1} is ${JSON.stringify(r)}; ratings must be whole numbers from 1 to 5` };
    }
  }
  return { ok: list as number[] };
}

/** `{"answers": [...]}` (or a bare list) of exactly `count` booleans. */
export function parseAnswers(text: string, count: number): Parsed<boolean[]> {
  const json = answerJson(text);
  if ('error' in json) return json;
  const list = Array.isArray(json.ok) ? json.ok : isObject(json.ok) ? json.ok.answers : undefined;
  if (!Array.isArray(list)) return { error: `the judge's answer has no "answers" list: ${JSON.stringify(snippet(text))}` };
  if (list.length !== count) return { error: `the judge gave ${list.length} answers, expected ${count}` };
  for (const [i, a] of list.entries()) {
    if (typeof a !== 'boolean') return { error: `answer ${i + 1} is ${JSON.stringify(a)}; answers must be true or false` };
  }
  return { ok: list as boolean[] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
