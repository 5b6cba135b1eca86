/**
 * What a preview asks the model: the conversation up to a user turn, taken from a markdown transcript
 * or a JSONL line under the cursor, or a prompt typed or selected. Roles are mapped to the three a chat
 * template knows: the scored speaker (styletune.role) answers as `assistant`, `system` stays, and every
 * other speaker talks to it as `user`.
 */
import { toRecord } from '../formats';
import { parseLine } from '../labeling';
import { parseTranscript, speakerId, type TranscriptTurn } from '../transcript';
import type { Message, Turns } from '../types';

export interface PreviewPrompt {
  /** What the worker is sent: a typed or selected prompt stays a string. */
  prompt: Turns;
  /** 0-based lines of the turn (or JSONL line) the prompt ends with: where its inline diff goes. */
  anchor?: { line: number; endLine: number };
}

export type PromptResult = PreviewPrompt | { error: string };

export function chatRole(speaker: string, role: string): 'user' | 'assistant' | 'system' {
  if (speaker === 'system') return 'system';
  return speaker === speakerId(role) ? 'assistant' : 'user';
}

/**
 * The prompt for the turn at `line` of a transcript: the conversation up to and including that turn
 * when it is someone else's, or up to the turn before it when it is `role`'s own (a rewrite of it).
 */
export function promptFromTranscript(text: string, line: number, role: string): PromptResult {
  const turns = parseTranscript(text, { speakers: [role] });
  if (turns.length === 0) return { error: 'no speaker turns in this document (a turn starts at a label such as **User:**)' };
  let at = -1;
  for (let i = 0; i < turns.length && turns[i].line <= line; i++) at = i;
  if (at < 0) return { error: `line ${line + 1} is before the first turn; put the cursor on a user turn` };
  return promptEndingBefore(turns, at, role);
}

function promptEndingBefore(turns: readonly TranscriptTurn[], at: number, role: string): PromptResult {
  let end = at;
  while (end >= 0 && chatRole(turns[end].role, role) !== 'user') end--;
  if (end < 0) return { error: `no user turn before line ${turns[at].line + 1} to answer` };
  const messages: Message[] = turns.slice(0, end + 1).filter((t) => t.content).map((t) => ({ role: chatRole(t.role, role), content: t.content }));
  if (!messages.some((m) => m.role === 'user')) return { error: `the user turn at line ${turns[end].line + 1} is empty` };
  return { prompt: messages, anchor: { line: turns[end].line, endLine: turns[end].endLine } };
}

/**
 * The prompt of one JSONL line (0-based `line`): a pair's `prompt`, a contrastive pair's human side or
 * a dialogue, each up to its last user turn.
 */
export function promptFromJsonLine(text: string, line: number, role: string): PromptResult {
  const where = `line ${line + 1}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `${where} is not valid JSON: ${(err as Error).message}` };
  }
  let messages: Message[];
  // Pairs, labeled or not (the labeler's `responses` items too): the prompt is the pair's own.
  const item = parseLine(text);
  if ('item' in item) {
    const p = item.item.prompt;
    if (p === undefined) return { error: `${where} is a pair without a \`prompt\`` };
    if (typeof p === 'string') return p.trim() ? { prompt: p, anchor: { line, endLine: line } } : { error: `${where} has an empty prompt` };
    messages = p;
  } else {
    const parsed = toRecord(value, '', line + 1);
    if (!('record' in parsed)) return { error: `${where}: ${parsed.diagnostic.message}` };
    const r = parsed.record;
    if (r.kind === 'pair') return { error: `${where}: unreadable pair` };
    messages = r.kind === 'dialogue' ? r.dialogue.messages : r.pair.human.messages;
  }
  const turns = messages.map((m, i) => ({ role: speakerId(m.role), content: m.content, line: i, endLine: i }));
  const result = promptEndingBefore(turns, turns.length - 1, role);
  return 'error' in result ? { error: `${where}: no user turn to answer` } : { prompt: result.prompt, anchor: { line, endLine: line } };
}

/** A typed or selected prompt: trimmed; empty is refused. */
export function promptFromText(text: string): PromptResult {
  const t = text.trim();
  return t ? { prompt: t } : { error: 'the prompt is empty' };
}

/** The prompt as messages (a string is one user turn), for display and scoring. */
export function promptMessages(prompt: Turns): Message[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
}
