/** The training worker from the Node side: find Python, start `python -m styletune_trainer`, read its events. */
export * from './events';
export * from './python';
export * from './schema';
export * from './worker';
export * from './pythonEnv';
