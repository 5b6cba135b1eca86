/**
 * Candidates for reward-ranked pairs, read from a JSONL file and grouped: the answers that compete for
 * one prompt (or one persona), so that the reward can rank them against each other.
 *
 * Line formats (one per line; a file may mix the first two):
 *
 *   {"prompt"?, "responses": [a, b, …]}   several candidates on one line (the pair labeler's format);
 *                                          a group of its own unless --group-by names a field
 *   {"prompt"?, "response": a}            one candidate per line (`text` is accepted too, as the
 *                                          trainer's `generate` output writes it); grouped by --group-by,
 *                                          else by the prompt
 *   {"messages": [...]}                   a whole dialogue per line (HAL: the dialogues of one persona
 *                                          compete); needs --group-by, e.g. dialogue_id
 *
 * Every other field of a line is ignored. Bad lines become diagnostics with file and line and are left
 * out; the good ones are still read.
 */
import { readJsonl, type ReadOptions } from '../jsonl';
import { jsonTypeName } from '../formats';
import { fieldKey } from '../fieldKey';
import type { Diagnostic, Message, Turns } from '../types';

export interface Candidate {
  /** 1-based line of the input file; for generated candidates the prompt's line. */
  line: number;
  /** Which group it competes in (the --group-by values, the prompt, or the line). */
  group: string;
  /** The context it answers; absent for whole dialogues and for conversational lines without one. */
  prompt?: Turns;
  /** A reply (string or messages) or, for `kind: 'dialogue'`, the whole conversation. */
  response: Turns;
  kind: 'response' | 'dialogue';
  /** Position in a `responses` list or the sample number of a generated candidate. */
  index?: number;
  /** Generated candidates: tokens produced, to tell a reply cut off at max_new_tokens. */
  tokens?: number;
}

export interface CandidateRead {
  candidates: Candidate[];
  diagnostics: Diagnostic[];
  /** Non-blank lines seen. */
  lines: number;
}

export interface CandidateOptions extends ReadOptions {
  /** Top-level fields whose values (together) name the group: ['dialogue_id'] or ['dialogue_id', 'model']. */
  groupBy?: string[];
}

/** A problem with the whole run rather than one line (say what to do; the CLI shows it as a usage error). */
export class PairsInputError extends Error {}

export async function readCandidates(file: string, opts: CandidateOptions = {}): Promise<CandidateRead> {
  const out: CandidateRead = { candidates: [], diagnostics: [], lines: 0 };
  // A prompt group must have one prompt: DPO pairs compare answers to the same context.
  const groupFirst = new Map<string, { prompt: string; kind: Candidate['kind']; line: number }>();
  for await (const item of readJsonl(file, opts)) {
    out.lines++;
    if ('diagnostic' in item) {
      out.diagnostics.push(item.diagnostic);
      continue;
    }
    const found = lineCandidates(item.value, item.line, opts.groupBy);
    if ('error' in found) {
      if (found.fatal) throw new PairsInputError(`${file}:${item.line}: ${found.error}`);
      out.diagnostics.push({ file, line: item.line, column: 1, severity: 'error', message: found.error });
      continue;
    }
    const first = found.candidates[0];
    const key = JSON.stringify(first.prompt ?? null);
    const seen = groupFirst.get(first.group);
    const clash = !seen ? undefined
      : seen.kind !== first.kind ? `it is a ${first.kind} but line ${seen.line} of the same group (${first.group}) is a ${seen.kind}; a group compares one kind`
      : first.kind === 'response' && seen.prompt !== key ? `its prompt differs from the one of line ${seen.line} in the same group (${first.group}); a pair needs one prompt, so group by a field that keeps prompts apart`
      : undefined;
    if (clash) {
      out.diagnostics.push({ file, line: item.line, column: 1, severity: 'error', message: clash });
      continue;
    }
    if (!seen) groupFirst.set(first.group, { prompt: key, kind: first.kind, line: item.line });
    out.candidates.push(...found.candidates);
  }
  return out;
}

type Found = { candidates: Candidate[] } | { error: string; fatal?: boolean };

export function lineCandidates(value: unknown, line: number, groupBy?: string[]): Found {
  if (!isObject(value)) return { error: `expected an object with \`responses\`, \`response\` or \`messages\`, got ${jsonTypeName(value)}` };
  const o = value;
  let prompt: Turns | undefined;
  if (Object.hasOwn(o, 'prompt')) {
    const p = checkTurns(o.prompt, 'prompt');
    if ('error' in p) return p;
    prompt = p.ok;
  }
  let groupKey: string | undefined;
  if (groupBy && groupBy.length > 0) {
    const parts: string[] = [];
    for (const f of groupBy) {
      if (!Object.hasOwn(o, f) || o[f] === null) return { error: `\`${f}\` is missing (--group-by ${groupBy.join(',')})` };
      const k = fieldKey(f, o[f]);
      if (typeof k === 'object') return k;
      parts.push(`${f}=${k}`);
    }
    groupKey = parts.join(' ');
  }

  if (Object.hasOwn(o, 'responses')) {
    const r = o.responses;
    if (!Array.isArray(r) || r.length === 0) return { error: '`responses` must be a non-empty list of responses' };
    const candidates: Candidate[] = [];
    for (let i = 0; i < r.length; i++) {
      const t = checkTurns(r[i], `responses[${i}]`);
      if ('error' in t) return t;
      candidates.push(candidate(line, groupKey ?? `line ${line}`, prompt, t.ok, 'response', i));
    }
    return needPrompt(candidates);
  }
  for (const key of ['response', 'text'] as const) {
    if (!Object.hasOwn(o, key)) continue;
    const t = checkTurns(o[key], key);
    if ('error' in t) return t;
    if (!groupKey && prompt === undefined) return { error: `no \`prompt\` and no --group-by: nothing says which answers compete with this one` };
    return needPrompt([candidate(line, groupKey ?? `prompt ${JSON.stringify(prompt)}`, prompt, t.ok, 'response')]);
  }
  if (Object.hasOwn(o, 'messages')) {
    const m = checkTurns(o.messages, 'messages');
    if ('error' in m) return m;
    if (typeof m.ok === 'string') return { error: '`messages` must be a list of messages, got string' };
    if (!groupKey) {
      return {
        error: 'dialogue lines need --group-by FIELD to say which dialogues compete (HAL pairs the dialogues of one persona: e.g. --group-by dialogue_id)',
        fatal: true,
      };
    }
    return { candidates: [candidate(line, groupKey, undefined, m.ok, 'dialogue')] };
  }
  if (Object.hasOwn(o, 'chosen') || Object.hasOwn(o, 'rejected')) {
    return { error: 'this is already a pair (`chosen`/`rejected`): give the answers as `responses` to rank them, or use `styletune pairs contrast` to filter casual/formal pairs' };
  }
  const keys = Object.keys(o).slice(0, 5).map((k) => `\`${k}\``).join(', ');
  return { error: `no candidates: expected \`responses\`, \`response\` (or \`text\`) or \`messages\`; found ${keys || 'an empty object'}` };
}

/** TRL needs the prompt of a text pair; conversational answers carry their context themselves. */
function needPrompt(candidates: Candidate[]): Found {
  const c = candidates[0];
  if (c.prompt === undefined && candidates.some((x) => typeof x.response === 'string')) {
    return { error: '`prompt` is missing: a text answer needs the prompt it answers to make a pair' };
  }
  return { candidates };
}

function candidate(line: number, group: string, prompt: Turns | undefined, response: Turns, kind: Candidate['kind'], index?: number): Candidate {
  const c: Candidate = { line, group, response, kind };
  if (prompt !== undefined) c.prompt = prompt;
  if (index !== undefined) c.index = index;
  return c;
}

function checkTurns(value: unknown, path: string): { ok: Turns } | { error: string } {
  if (typeof value === 'string') return { ok: value };
  if (!Array.isArray(value)) return { error: `\`${path}\` must be a string or a list of messages, got ${jsonTypeName(value)}` };
  if (value.length === 0) return { error: `\`${path}\` is empty` };
  for (let i = 0; i < value.length; i++) {
    const m: unknown = value[i];
    if (!isObject(m) || typeof m.role !== 'string' || typeof m.content !== 'string') {
      return { error: `\`${path}[${i}]\` must be an object with string \`role\` and \`content\`` };
    }
  }
  return { ok: value as Message[] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The text a candidate says (for emptiness checks): a string, or its messages' contents. */
export function turnsText(t: Turns): string {
  return typeof t === 'string' ? t : t.map((m) => m.content).join('\n');
}
