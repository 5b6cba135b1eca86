/**
 * The building blocks of the webview protocols (webview/<view>/protocol.ts): each message is one
 * valibot schema that gives both its TypeScript type (`v.InferOutput`) and its validator (`guard`).
 * No DOM or vscode imports: the extension host compiles the protocols too.
 *
 * The blocks keep the checks the hand-written guards made, which are stricter than valibot's defaults
 * in two places: a record is a plain object whose every own value passes (valibot's `record` skips
 * `constructor` and `__proto__` keys and accepts arrays), and a message is never an array.
 */
import * as v from 'valibot';
import type { Message } from '../../src/core/shared';

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Any number, NaN and infinities included (a score the host computed; JSON turns NaN into null anyway). */
export const anyNumber = v.custom<number>((x) => typeof x === 'number');
/** A finite number. */
export const num = v.pipe(v.number(), v.finite());
/** A whole number ≥ 0: counts, line numbers, versions. */
export const nat = v.pipe(v.number(), v.integer(), v.minValue(0));
export const str = v.string();
export const bool = v.boolean();
export const optional = v.optional;

/** One turn of a conversation as the views show it (src/core/shared.ts's Message). */
export const message = v.object({ role: str, content: str }) satisfies v.GenericSchema<Message>;

/** A plain object whose every own value passes `value` (keys are free: trait ids, system names). */
export function record<S extends v.GenericSchema>(value: S) {
  return v.custom<Record<string, v.InferOutput<S>>>((x) => isPlainObject(x) && Object.values(x).every((y) => v.is(value, y)));
}

/**
 * The type guard of a message schema. A message is a plain object: arrays are refused before the
 * schema sees them.
 */
export function guard<S extends v.GenericSchema>(schema: S): (x: unknown) => x is v.InferOutput<S> {
  return (x: unknown): x is v.InferOutput<S> => isPlainObject(x) && v.is(schema, x);
}
