/**
 * What a blind vote is about: items, each a prompt with one response per system. Two input shapes are
 * read, and several files may be given (their items are joined by item id):
 *
 *   vote items   {"id"?: "lunch", "prompt": "…" | [messages], "responses": {"base": "…", "tuned": "…"}}
 *   generate     {"index": 0, "source": "base" | "adapter", "sample": 0, "prompt": …, "text": "…"}
 *                (the trainer's `generate` output, trainer/README.md; one line per response)
 *
 * An item without `id` gets one from its prompt (`p` + the prompt hash), so the same prompt in two
 * generate files (base vs adapter A, base vs adapter B) is one item. With more than one generate file,
 * each file's systems are named `<file stem>/<source>` so they stay apart.
 * Every problem is a diagnostic with file and line; a bad line never hides the others.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { jsonTypeName } from '../formats';
import { readJsonl } from '../jsonl';
import type { Diagnostic, Message, Turns } from '../types';

export interface VoteItem {
  id: string;
  promptHash: string;
  prompt: Turns;
  /** Response text per system name, in the order first seen. */
  responses: Record<string, Turns>;
  /** Where the item was first read, for diagnostics and "jump to line". */
  file: string;
  line: number;
}

export interface LoadedItems {
  /** In file order (first file first). */
  items: VoteItem[];
  /** Every system name seen, sorted. */
  systems: string[];
  diagnostics: Diagnostic[];
}

/** A short stable hash of the prompt's content (roles and text only, so spacing or extra fields do not matter). */
export function promptHash(prompt: Turns): string {
  const canonical = typeof prompt === 'string' ? prompt : JSON.stringify(prompt.map((m) => [m.role, m.content]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** A response or prompt as plain text (a message list keeps its roles, one turn per paragraph). */
export function turnsText(t: Turns): string {
  return typeof t === 'string' ? t : t.map((m) => `${m.role}: ${m.content}`).join('\n\n');
}

export async function loadItems(files: readonly string[]): Promise<LoadedItems> {
  const byId = new Map<string, VoteItem>();
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    // Derived ids count occurrences per file: a prompt asked twice in one file makes two items.
    const seen = new Map<string, number>();
    const explicitIds = new Map<string, number>();
    const prefix = files.length > 1 ? `${stem(file)}/` : '';
    for await (const row of readJsonl(file)) {
      if ('diagnostic' in row) {
        diagnostics.push(row.diagnostic);
        continue;
      }
      const err = (message: string, severity: Diagnostic['severity'] = 'error') => diagnostics.push({ file, line: row.line, column: 1, severity, message });
      const parsed = parseLine(row.value as Record<string, unknown>, prefix);
      if ('error' in parsed) {
        err(parsed.error);
        continue;
      }
      const hash = promptHash(parsed.prompt);
      let id: string;
      if (parsed.id !== undefined) {
        const first = explicitIds.get(parsed.id);
        if (first !== undefined && !parsed.generate) {
          err(`duplicate id "${parsed.id}" (first at line ${first}); give each item its own id`);
          continue;
        }
        explicitIds.set(parsed.id, row.line);
        id = parsed.id;
      } else {
        const base = `p${hash.slice(0, 10)}${parsed.sample ? `.s${parsed.sample}` : ''}`;
        // Counted per system: a generate file has one line per source for the same prompt and sample.
        const occurrence = `${base}\u0000${Object.keys(parsed.responses).sort().join('\u0000')}`;
        const n = (seen.get(occurrence) ?? 0) + 1;
        seen.set(occurrence, n);
        id = n === 1 ? base : `${base}~${n}`;
      }
      let item = byId.get(id);
      if (!item) {
        item = { id, promptHash: hash, prompt: parsed.prompt, responses: {}, file, line: row.line };
        byId.set(id, item);
      } else if (item.promptHash !== hash) {
        err(`item "${id}" has another prompt here than at ${item.file}:${item.line}; give the items different ids`);
        continue;
      }
      for (const [system, text] of Object.entries(parsed.responses)) {
        if (Object.hasOwn(item.responses, system)) {
          err(`item "${id}" already has a response from system "${system}" (${item.file}:${item.line})`);
          continue;
        }
        item.responses[system] = text;
      }
    }
  }
  const items = [...byId.values()];
  for (const item of items) {
    const names = Object.keys(item.responses);
    if (names.length < 2) {
      diagnostics.push({
        file: item.file,
        line: item.line,
        column: 1,
        severity: 'warning',
        message: `item "${item.id}" has a response from ${names.length ? `only "${names[0]}"` : 'no system'}; it needs two systems or more to be voted on`,
      });
    }
  }
  const systems = [...new Set(items.flatMap((i) => Object.keys(i.responses)))].sort();
  return { items, systems, diagnostics };
}

type ParsedLine = { id?: string; prompt: Turns; responses: Record<string, Turns>; sample: number; generate: boolean } | { error: string };

/** `prefix` names generate samples' systems apart when several files are read (vote items name theirs). */
function parseLine(o: Record<string, unknown>, prefix: string): ParsedLine {
  const generate = Object.hasOwn(o, 'source') && Object.hasOwn(o, 'text');
  if (!Object.hasOwn(o, 'prompt')) {
    return { error: generate ? 'generate sample is missing `prompt`' : 'expected a vote item {"prompt", "responses": {system: text, …}} or a generate sample {"index", "source", "prompt", "text"}; `prompt` is missing' };
  }
  const prompt = checkTurns(o.prompt, 'prompt');
  if ('error' in prompt) return prompt;
  let id: string | undefined;
  if (o.id !== undefined) {
    if (typeof o.id !== 'string' && typeof o.id !== 'number') return { error: `\`id\` must be a string or a number, got ${jsonTypeName(o.id)}` };
    id = String(o.id);
  }
  if (generate) {
    if (typeof o.source !== 'string' || !o.source.trim() || o.source === 'tie') return { error: `\`source\` must be a system name such as "base" or "adapter", got ${jsonTypeName(o.source)}` };
    const text = checkTurns(o.text, 'text');
    if ('error' in text) return text;
    const sample = o.sample === undefined ? 0 : o.sample;
    if (!Number.isInteger(sample) || (sample as number) < 0) return { error: `\`sample\` must be a whole number, got ${JSON.stringify(o.sample)}` };
    return { id, prompt: prompt.ok, responses: { [prefix + o.source]: text.ok }, sample: sample as number, generate };
  }
  if (!Object.hasOwn(o, 'responses')) return { error: 'vote item is missing `responses` ({system: text, …})' };
  const r = o.responses;
  if (Array.isArray(r)) return { error: '`responses` is a list; a vote item names each response\'s system: {"base": "…", "tuned": "…"} (unnamed candidates belong in the pair labeler)' };
  if (typeof r !== 'object' || r === null) return { error: `\`responses\` must be an object {system: text, …}, got ${jsonTypeName(r)}` };
  const responses: Record<string, Turns> = {};
  for (const [system, value] of Object.entries(r)) {
    if (!system.trim()) return { error: '`responses` has an empty system name' };
    if (system === 'tie') return { error: '"tie" cannot be a system name (votes use it for a tie)' };
    const text = checkTurns(value, `responses.${system}`);
    if ('error' in text) return text;
    responses[system] = text.ok;
  }
  return { id, prompt: prompt.ok, responses, sample: 0, generate };
}

function checkTurns(v: unknown, path: string): { ok: Turns } | { error: string } {
  if (typeof v === 'string') return { ok: v };
  if (!Array.isArray(v)) return { error: `\`${path}\` must be a string or a list of messages, got ${jsonTypeName(v)}` };
  for (let i = 0; i < v.length; i++) {
    const m = v[i] as Partial<Message> | null;
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || typeof m.content !== 'string') {
      return { error: `\`${path}[${i}]\` must be an object with string \`role\` and \`content\`` };
    }
  }
  return { ok: v as Message[] };
}

function stem(file: string): string {
  return basename(file).replace(/\.jsonl$/i, '');
}
