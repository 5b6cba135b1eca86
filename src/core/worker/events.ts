/**
 * The worker's events (trainer/events.schema.json, version 1). The schema is the authority: the types are
 * generated from it into ./events.generated.ts by scripts/gen-events.mjs, and schema.ts validates each
 * line against it.
 */
export * from './events.generated';
