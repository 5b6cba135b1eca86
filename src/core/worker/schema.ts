/**
 * Validation of worker events against trainer/events.schema.json, the file the Python tests use too
 * (through the project's schema interpreter, src/core/jsonSchema.ts).
 */
import eventsSchema from '../../../trainer/events.schema.json';
import { SchemaValidator, type Schema } from '../jsonSchema';
import type { WorkerEvent } from './events';

export { SchemaValidator };

/** The schema version this build understands; events with another `version` are rejected. */
export const EVENTS_SCHEMA_VERSION: number = (eventsSchema.properties.version as { const: number }).const;

let shared: SchemaValidator | undefined;
export function eventsValidator(): SchemaValidator {
  shared ??= new SchemaValidator(eventsSchema as unknown as Schema, 'events schema');
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
