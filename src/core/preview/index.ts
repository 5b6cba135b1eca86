/** Previewing a tuned adapter against its base model: prompts, gen.json, scoring and the pair line. */
export * from './adapters';
export * from './diff';
export * from './genConfig';
export * from './pairLine';
export * from './prompt';
export * from './generate';
