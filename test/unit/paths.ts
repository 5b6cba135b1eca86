/** Where tests find things. Tests are emitted by tsc to out/test/unit, so the repo root is three levels up. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures');
/** ../shared/data beside the checkout (DEVELOPERS.md): real corpora, never copied into the repo. */
export const sharedData = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

/** Fails loudly instead of skipping: tests that need the shared corpora must not pass without them. */
export function requireShared(rel: string): string {
  const p = join(sharedData, rel);
  if (!existsSync(p)) throw new Error(`shared data file missing: ${p} (set STYLETUNE_SHARED_DATA)`);
  return p;
}
