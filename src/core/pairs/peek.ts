/**
 * A look at the first lines of a file, so the editor can ask only the questions that fit it: does it
 * hold candidates, dialogues, pairs or bare prompts, and which fields could group its lines.
 */
import { readJsonl } from '../jsonl';

export type LineShape = 'responses' | 'response' | 'dialogue' | 'pair' | 'prompt' | 'other';

export interface FilePeek {
  lines: number;
  shapes: Record<LineShape, number>;
  /**
   * Top-level fields that could say which lines compete: strings, integers or booleans whose values repeat
   * across lines, persona-like ids first, then the fields most lines have. A field with a fractional number
   * is a measurement (a score), never a group.
   */
  groupFields: GroupField[];
  /** The shape most lines have. */
  main: LineShape | undefined;
}

export interface GroupField {
  field: string;
  /** How many distinct values (groups) the peeked lines have, and how many of those lines have the field. */
  groups: number;
  lines: number;
  /** One value, as a reminder of what the field holds. */
  example: string;
}

const PERSONA_LIKE = /persona|_id$/i;
const CONTENT_FIELDS = new Set(['prompt', 'response', 'responses', 'text', 'messages', 'chosen', 'rejected', 'label', 'pairs']);

export async function peekFile(file: string, maxLines = 200): Promise<FilePeek> {
  const shapes: Record<LineShape, number> = { responses: 0, response: 0, dialogue: 0, pair: 0, prompt: 0, other: 0 };
  const fieldCounts = new Map<string, Map<string, number>>();
  const measurements = new Set<string>();
  let lines = 0;
  for await (const item of readJsonl(file)) {
    if (lines >= maxLines) break;
    lines++;
    if ('diagnostic' in item || typeof item.value !== 'object' || item.value === null || Array.isArray(item.value)) {
      shapes.other++;
      continue;
    }
    const o = item.value as Record<string, unknown>;
    shapes[shapeOf(o)]++;
    for (const [k, v] of Object.entries(o)) {
      if (CONTENT_FIELDS.has(k) || !['string', 'number', 'boolean'].includes(typeof v)) continue;
      if (typeof v === 'number' && !Number.isInteger(v)) measurements.add(k);
      if (!fieldCounts.has(k)) fieldCounts.set(k, new Map());
      const values = fieldCounts.get(k)!;
      values.set(String(v), (values.get(String(v)) ?? 0) + 1);
    }
  }
  // A field is a grouping candidate when some value repeats (otherwise every group would have one line).
  const groupFields = [...fieldCounts.entries()]
    .filter(([k, values]) => !measurements.has(k) && [...values.values()].some((n) => n > 1) && values.size > 1)
    // Persona-like ids first (HAL groups by persona), then the fields most lines have.
    .sort((a, b) => Number(PERSONA_LIKE.test(b[0])) - Number(PERSONA_LIKE.test(a[0])) || sum(b[1]) - sum(a[1]))
    .map(([field, values]) => ({ field, groups: values.size, lines: sum(values), example: values.keys().next().value! }));
  const main = (Object.entries(shapes) as [LineShape, number][]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])[0]?.[0];
  return { lines, shapes, groupFields, main };
}

function shapeOf(o: Record<string, unknown>): LineShape {
  if (Object.hasOwn(o, 'responses')) return 'responses';
  if (Object.hasOwn(o, 'chosen') || Object.hasOwn(o, 'rejected')) return 'pair';
  if (Object.hasOwn(o, 'response') || Object.hasOwn(o, 'text')) return 'response';
  if (Object.hasOwn(o, 'messages')) return 'dialogue';
  if (Object.hasOwn(o, 'prompt')) return 'prompt';
  return 'other';
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
