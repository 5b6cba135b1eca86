/**
 * Turns parsed JSONL objects into the typed records of types.ts, or into one diagnostic that names
 * the offending field by path (`human.messages[3].content`). Only what StyleTune reads is checked;
 * every other field survives untouched in `raw`.
 *
 * Record diagnostics point at column 1: the parsed value no longer knows where a field was written.
 */
import { EXPECTED_SHAPES, notAnObject, parseJsonlText, readJsonl, type ReadOptions } from './jsonl';
import { isRanking } from './labeling';
import type { CandidateSet, DataRecord, Diagnostic, Dialogue, Message, PreferencePair, ScorableRecord, Turns } from './types';

export type RecordItem = { line: number; record: DataRecord } | { line: number; diagnostic: Diagnostic };
export type ScorableItem = { line: number; record: ScorableRecord } | { line: number; diagnostic: Diagnostic };

type Result<T> = { ok: T } | { error: string };

export function toRecord(value: unknown, file: string, line: number): { record: DataRecord } | { diagnostic: Diagnostic } {
  const result = checkRecord(value);
  if ('ok' in result) return { record: result.ok };
  return { diagnostic: { file, line, column: 1, severity: 'error', message: result.error } };
}

/**
 * toRecord, and candidate sets: a `responses` line is scored as its candidates unless it is a decided pair
 * (`chosen`/`rejected` without a ranking), which stays a pair for every reader.
 */
export function toScorable(value: unknown, file: string, line: number): { record: ScorableRecord } | { diagnostic: Diagnostic } {
  if (isObject(value) && has(value, 'responses') && !(has(value, 'human') && has(value, 'ai'))) {
    const ranking = labeledRanking(value);
    if (ranking || !(has(value, 'chosen') || has(value, 'rejected'))) {
      const result = checkCandidates(value, ranking);
      if ('ok' in result) return { record: { kind: 'candidates', candidates: result.ok, raw: value } };
      return { diagnostic: { file, line, column: 1, severity: 'error', message: result.error } };
    }
  }
  return toRecord(value, file, line);
}

export async function* readScorable(file: string, opts?: ReadOptions): AsyncGenerator<ScorableItem> {
  for await (const item of readJsonl(file, opts)) {
    yield 'diagnostic' in item ? item : { line: item.line, ...toScorable(item.value, file, item.line) };
  }
}

export function* parseScorableText(text: string, file: string): Generator<ScorableItem> {
  for (const item of parseJsonlText(text, file)) {
    yield 'diagnostic' in item ? item : { line: item.line, ...toScorable(item.value, file, item.line) };
  }
}

export async function* readRecords(file: string, opts?: ReadOptions): AsyncGenerator<RecordItem> {
  for await (const item of readJsonl(file, opts)) {
    yield 'diagnostic' in item ? item : { line: item.line, ...toRecord(item.value, file, item.line) };
  }
}

export function* parseRecordsText(text: string, file: string): Generator<RecordItem> {
  for (const item of parseJsonlText(text, file)) {
    yield 'diagnostic' in item ? item : { line: item.line, ...toRecord(item.value, file, item.line) };
  }
}

/** TRL lets a prompt or response be a bare string; this gives it the one-message form. */
export function turnsToMessages(turns: Turns, role = 'assistant'): Message[] {
  return typeof turns === 'string' ? [{ role, content: turns }] : turns;
}

/** Shape detection order: contrastive, then pair, then dialogue (a pair line may also carry `messages`). */
function checkRecord(value: unknown): Result<DataRecord> {
  if (!isObject(value)) return { error: notAnObject(value) };
  const raw = value;
  if (has(raw, 'human') && has(raw, 'ai')) {
    const human = checkDialogue(raw.human, 'human');
    if ('error' in human) return human;
    const ai = checkDialogue(raw.ai, 'ai');
    if ('error' in ai) return ai;
    return { ok: { kind: 'contrastive', pair: { human: human.ok, ai: ai.ok }, raw } };
  }
  if (has(raw, 'chosen') || has(raw, 'rejected')) {
    for (const key of ['chosen', 'rejected']) {
      if (!has(raw, key)) return { error: `pair line is missing \`${key}\`` };
    }
    // Without `prompt` the prompt is implicit (TRL), so the field is left out rather than set to undefined.
    const pair: PreferencePair = { chosen: '', rejected: '' };
    for (const key of ['prompt', 'chosen', 'rejected'] as const) {
      if (!has(raw, key)) continue;
      const turns = checkTurns(raw[key], key);
      if ('error' in turns) return turns;
      pair[key] = turns.ok;
    }
    return { ok: { kind: 'pair', pair, raw } };
  }
  if (has(raw, 'messages')) {
    const messages = checkMessages(raw.messages, 'messages');
    if ('error' in messages) return messages;
    return { ok: { kind: 'dialogue', dialogue: { messages: messages.ok }, raw } };
  }
  if (has(raw, 'human') || has(raw, 'ai')) {
    return { error: `contrastive line is missing \`${has(raw, 'human') ? 'ai' : 'human'}\`` };
  }
  if (has(raw, 'responses')) {
    // The pair labeler's unlabeled items (src/core/labeling.ts): say what to do rather than what is missing.
    return { error: 'unlabeled `responses` item: label it (StyleTune: Label Pairs) to turn it into a `chosen`/`rejected` pair' };
  }
  return { error: `expected ${EXPECTED_SHAPES}; found ${fieldList(raw)}` };
}

function checkCandidates(raw: Record<string, unknown>, ranking: number[] | undefined): Result<CandidateSet> {
  const r = raw.responses;
  if (!Array.isArray(r) || r.length < 2) return { error: `\`responses\` must be a list of at least two responses, got ${Array.isArray(r) ? `${r.length}` : jsonTypeName(r)}` };
  const set: CandidateSet = { responses: [] };
  for (let i = 0; i < r.length; i++) {
    const turns = checkTurns(r[i], `responses[${i}]`);
    if ('error' in turns) return turns;
    set.responses.push(turns.ok);
  }
  if (has(raw, 'prompt')) {
    const prompt = checkTurns(raw.prompt, 'prompt');
    if ('error' in prompt) return prompt;
    set.prompt = prompt.ok;
  }
  if (ranking) {
    if (!isRanking(ranking, r.length)) return { error: `\`label.ranking\` must order all ${r.length} candidates (1…${r.length}) once each` };
    set.ranking = ranking;
  }
  return { ok: set };
}

/** The labeler's ranking (`label: {choice: "rank", ranking: [3, 1, 2]}`), as written; undefined when none. */
function labeledRanking(raw: Record<string, unknown>): number[] | undefined {
  const label = raw.label;
  if (!isObject(label) || label.choice !== 'rank') return undefined;
  return Array.isArray(label.ranking) ? (label.ranking as number[]) : [];
}

function checkDialogue(value: unknown, path: string): Result<Dialogue> {
  if (!isObject(value)) return { error: `\`${path}\` must be an object with \`messages\`, got ${jsonTypeName(value)}` };
  if (!has(value, 'messages')) return { error: `\`${path}.messages\` is missing` };
  const messages = checkMessages(value.messages, `${path}.messages`);
  return 'error' in messages ? messages : { ok: { messages: messages.ok } };
}

function checkTurns(value: unknown, path: string): Result<Turns> {
  if (typeof value === 'string') return { ok: value };
  if (!Array.isArray(value)) return { error: `\`${path}\` must be a string or a list of messages, got ${jsonTypeName(value)}` };
  return checkMessages(value, path);
}

/** Messages are kept as the parsed objects (extra fields and all), not copied. */
function checkMessages(value: unknown, path: string): Result<Message[]> {
  if (!Array.isArray(value)) return { error: `\`${path}\` must be a list of messages, got ${jsonTypeName(value)}` };
  if (value.length === 0) return { error: `\`${path}\` is empty` };
  for (let i = 0; i < value.length; i++) {
    const m: unknown = value[i];
    const at = `${path}[${i}]`;
    if (!isObject(m)) return { error: `\`${at}\` must be an object with \`role\` and \`content\`, got ${jsonTypeName(m)}` };
    for (const key of ['role', 'content']) {
      if (!has(m, key)) return { error: `\`${at}.${key}\` is missing` };
      if (typeof m[key] !== 'string') return { error: `\`${at}.${key}\` must be a string, got ${jsonTypeName(m[key])}` };
    }
  }
  return { ok: value as Message[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own fields only: `toRecord` may be handed objects that did not come from JSON.parse. */
function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** The JSON type of a value, as a user reads it in a diagnostic: "got number", "got array". */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fieldList(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 5).map((k) => `\`${k}\``).join(', ');
  return `fields ${shown}${keys.length > 5 ? `, … (${keys.length} in all)` : ''}`;
}
