/**
 * Validation of worker events against trainer/events.schema.json, the file the Python tests use too.
 *
 * A small interpreter for the JSON Schema keywords that file uses (type, const, enum, required,
 * properties, additionalProperties, oneOf, $ref, items, minimum, maximum, minLength). Any other
 * keyword throws when the schema is loaded, so the schema cannot grow a rule this code would
 * silently ignore.
 */
import eventsSchema from '../../../trainer/events.schema.json';
import type { WorkerEvent } from './events';

type Schema = { [k: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const KEYWORDS = new Set([
  'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'oneOf', '$ref', 'items',
  'minimum', 'maximum', 'minLength',
]);

export class SchemaValidator {
  constructor(private readonly root: Schema) {
    checkKeywords(root, '#');
  }

  /** Problems with `value`, as "path: message" strings; empty when valid. */
  validate(value: unknown): string[] {
    const errors: string[] = [];
    this.check(this.root, value, '$', errors);
    return errors;
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Schema)[part];
    if (!node || typeof node !== 'object') throw new Error(`unresolved $ref ${ref}`);
    return node as Schema;
  }

  private check(s: Schema, v: unknown, path: string, errors: string[]): void {
    if (typeof s.$ref === 'string') this.check(this.resolve(s.$ref), v, path, errors);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => hasType(v, t))) {
        errors.push(`${path}: expected ${types.join(' or ')}, got ${describe(v)}`);
        return;
      }
    }
    if ('const' in s && !equal(s.const, v)) errors.push(`${path}: must be ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, v))) {
      errors.push(`${path}: must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) errors.push(`${path}: must be >= ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) errors.push(`${path}: must be <= ${s.maximum}`);
    }
    if (typeof v === 'string' && typeof s.minLength === 'number' && v.length < s.minLength) {
      errors.push(`${path}: must have at least ${s.minLength} characters`);
    }
    if (Array.isArray(v) && s.items && typeof s.items === 'object') {
      v.forEach((item, i) => this.check(s.items as Schema, item, `${path}[${i}]`, errors));
    }
    if (isObject(v)) {
      for (const key of (s.required as string[] | undefined) ?? []) {
        if (!(key in v)) errors.push(`${path}: missing required field "${key}"`);
      }
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [key, val] of Object.entries(v)) {
        if (key in props) this.check(props[key], val, `${path}.${key}`, errors);
        else if (s.additionalProperties === false) errors.push(`${path}: unexpected field "${key}"`);
        else if (isObject(s.additionalProperties)) this.check(s.additionalProperties, val, `${path}.${key}`, errors);
      }
    }
    if (Array.isArray(s.oneOf)) {
      const results = (s.oneOf as Schema[]).map((sub) => {
        const e: string[] = [];
        this.check(sub, v, path, e);
        return e;
      });
      const passing = results.filter((e) => e.length === 0).length;
      if (passing !== 1) {
        // Report the branch that came closest: for events, the one whose `event` const matched.
        const best = results.reduce((a, b) => (b.length < a.length ? b : a));
        errors.push(passing === 0 ? best[0] ?? `${path}: matches no alternative` : `${path}: matches ${passing} alternatives`);
      }
    }
  }
}

function checkKeywords(s: unknown, path: string): void {
  if (!isObject(s)) return;
  for (const [k, v] of Object.entries(s)) {
    if (ANNOTATIONS.has(k)) {
      if (k === '$defs') for (const [name, d] of Object.entries(v as Schema)) checkKeywords(d, `${path}/$defs/${name}`);
      continue;
    }
    if (!KEYWORDS.has(k)) throw new Error(`events schema ${path}: keyword "${k}" is not supported by src/core/worker/schema.ts`);
    if (k === 'properties') for (const [name, p] of Object.entries(v as Schema)) checkKeywords(p, `${path}/properties/${name}`);
    if (k === 'items' || k === 'additionalProperties') checkKeywords(v, `${path}/${k}`);
    if (k === 'oneOf') (v as unknown[]).forEach((sub, i) => checkKeywords(sub, `${path}/oneOf/${i}`));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'object': return isObject(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    default: throw new Error(`unsupported type ${t}`);
  }
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The schema version this build understands; events with another `version` are rejected. */
export const EVENTS_SCHEMA_VERSION: number = (eventsSchema.properties.version as { const: number }).const;

let shared: SchemaValidator | undefined;
export function eventsValidator(): SchemaValidator {
  shared ??= new SchemaValidator(eventsSchema as unknown as Schema);
  return shared;
}

/** Parses and validates one stdout line; returns the event or the reason it is not one. */
export function parseEventLine(line: string): { event: WorkerEvent } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  const errors = eventsValidator().validate(value);
  if (errors.length > 0) return { error: errors.slice(0, 3).join('; ') };
  return { event: value as WorkerEvent };
}
