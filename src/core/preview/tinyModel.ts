/**
 * Whether a base model is StyleTune's tiny test model (trainer/styletune_trainer/tiny.py,
 * `make-tiny-model`): random weights in a real architecture, whose replies are noise. tiny.py writes
 * `"styletune_tiny_test_model": true` into the model's config.json; the preview reads it to say so
 * beside the replies, rather than leave a user to judge tuning by gibberish.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The config.json key tiny.py sets (TINY_MARKER there). */
export const TINY_MARKER = 'styletune_tiny_test_model';

/** False for anything else: a hub id, a folder without config.json, a config.json that does not parse. */
export function isTinyTestModel(modelDir: string): boolean {
  try {
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    return config[TINY_MARKER] === true;
  } catch {
    return false;
  }
}
