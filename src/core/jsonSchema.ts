/**
 * A small JSON Schema (draft-07) interpreter for the schemas this project ships: trainer/events.schema.json
 * (worker events) and schemas/tune.schema.json (job files). It knows the keywords those files use; any
 * other keyword throws when the schema is loaded, so a schema cannot grow a rule this code would
 * silently ignore. Problems carry the JSON path of the value they are about, so an editor can point at it.
 */
import { counted } from './counted';

export type Schema = { [k: string]: unknown };

export type JsonPath = (string | number)[];

export interface SchemaProblem {
  /** Where the offending value is (for an unexpected key, the key's path). */
  path: JsonPath;
  /** The problem is the key itself (unexpected field), not its value. */
  onKey?: boolean;
  message: string;
}

/** Keywords that describe and never constrain. */
const ANNOTATIONS = new Set([
  '$schema', '$id', 'title', 'description', 'markdownDescription', '$defs', 'default', 'examples',
  'enumDescriptions', 'markdownEnumDescriptions', 'deprecationMessage', 'defaultSnippets',
]);
const KEYWORDS = new Set([
  'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'oneOf', 'anyOf', '$ref', 'items',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern',
  'minItems', 'maxItems', 'uniqueItems',
]);

export class SchemaValidator {
  /** `name` says which schema a loading error is about. */
  constructor(private readonly root: Schema, private readonly name = 'schema') {
    this.checkKeywords(root, '#');
  }

  /** The schema of the property `key` of the root object, for descriptions and suggestions. */
  property(key: string): Schema | undefined {
    return (this.root.properties as Record<string, Schema> | undefined)?.[key];
  }

  /** Names of the root object's properties. */
  propertyNames(): string[] {
    return Object.keys((this.root.properties as Record<string, Schema> | undefined) ?? {});
  }

  /** Problems with `value`, each with its JSON path; empty when valid. */
  problems(value: unknown): SchemaProblem[] {
    const out: SchemaProblem[] = [];
    this.check(this.root, value, [], out);
    return out;
  }

  /** Problems as "$.a.b: message" strings; empty when valid. */
  validate(value: unknown): string[] {
    return this.problems(value).map((p) => `${pathText(p.path.slice(0, p.onKey ? -1 : undefined))}: ${p.message}`);
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith('#/')) throw new Error(`${this.name}: unsupported $ref ${ref}`);
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) node = (node as Schema)[part];
    if (!node || typeof node !== 'object') throw new Error(`${this.name}: unresolved $ref ${ref}`);
    return node as Schema;
  }

  private check(s: Schema, v: unknown, path: JsonPath, out: SchemaProblem[]): void {
    const problem = (message: string) => out.push({ path, message });
    if (typeof s.$ref === 'string') this.check(this.resolve(s.$ref), v, path, out);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => hasType(v, t))) {
        problem(`expected ${types.join(' or ')}, got ${describe(v)}`);
        return;
      }
    }
    if ('const' in s && !equal(s.const, v)) problem(`must be ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, v))) {
      problem(`must be one of ${s.enum.filter((e) => e !== null).map((e) => JSON.stringify(e)).join(', ')}${s.enum.includes(null) ? ' (or null)' : ''}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) problem(`must be >= ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) problem(`must be <= ${s.maximum}`);
      if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) problem(`must be > ${s.exclusiveMinimum}`);
      if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) problem(`must be < ${s.exclusiveMaximum}`);
    }
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength) problem(`must have at least ${s.minLength} characters`);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength) problem(`must have at most ${s.maxLength} characters`);
      if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) problem(`must match ${s.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) problem(`must have at least ${counted(s.minItems, 'item')}`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) problem(`must have at most ${counted(s.maxItems, 'item')}`);
      if (s.uniqueItems === true && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) problem('must not repeat an item');
      if (s.items && typeof s.items === 'object') v.forEach((item, i) => this.check(s.items as Schema, item, [...path, i], out));
    }
    if (isObject(v)) {
      for (const key of (s.required as string[] | undefined) ?? []) {
        if (!(key in v)) problem(`missing required field "${key}"`);
      }
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [key, val] of Object.entries(v)) {
        if (key in props) this.check(props[key]!, val, [...path, key], out);
        else if (s.additionalProperties === false) out.push({ path: [...path, key], onKey: true, message: `unexpected field "${key}"` });
        else if (isObject(s.additionalProperties)) this.check(s.additionalProperties, val, [...path, key], out);
      }
    }
    for (const kind of ['oneOf', 'anyOf'] as const) {
      if (!Array.isArray(s[kind])) continue;
      const results = (s[kind] as Schema[]).map((sub) => {
        const e: SchemaProblem[] = [];
        this.check(sub, v, path, e);
        return e;
      });
      const passing = results.filter((e) => e.length === 0).length;
      if (passing === 0 || (kind === 'oneOf' && passing > 1)) {
        // Report the branch that came closest: the fewest problems, then the deepest (for events, the
        // branch whose `event` const matched; for ["string", array of strings], the array's bad item).
        const depth = (e: SchemaProblem[]) => e[0]?.path.length ?? 0;
        const best = results.reduce((a, b) => (b.length < a.length || (b.length === a.length && depth(b) > depth(a)) ? b : a));
        if (passing > 1) problem(`matches ${passing} alternatives`);
        else if (best[0]) out.push(best[0]);
        else problem('matches no alternative');
      }
    }
  }

  private checkKeywords(s: unknown, path: string): void {
    if (!isObject(s)) return;
    for (const [k, v] of Object.entries(s)) {
      if (ANNOTATIONS.has(k)) {
        if (k === '$defs') for (const [name, d] of Object.entries(v as Schema)) this.checkKeywords(d, `${path}/$defs/${name}`);
        continue;
      }
      if (!KEYWORDS.has(k)) throw new Error(`${this.name} ${path}: keyword "${k}" is not supported by src/core/jsonSchema.ts`);
      if (k === 'properties') for (const [name, p] of Object.entries(v as Schema)) this.checkKeywords(p, `${path}/properties/${name}`);
      if (k === 'items' || k === 'additionalProperties') this.checkKeywords(v, `${path}/${k}`);
      if (k === 'oneOf' || k === 'anyOf') (v as unknown[]).forEach((sub, i) => this.checkKeywords(sub, `${path}/${k}/${i}`));
    }
  }
}

/** "$.a[0].b", the path as the events validator has always written it. */
export function pathText(path: JsonPath): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${part}`), '$');
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
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
