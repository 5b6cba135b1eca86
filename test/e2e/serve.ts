/**
 * What scripts/start.sh runs: code-server with StyleTune installed from the working tree, on
 * samples/workspace, until Ctrl-C. Everything it writes goes to a temporary sandbox, removed on exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCodeServer } from './codeServer';
import { repoRoot, sampleWorkspace } from './paths';

async function main(): Promise<void> {
  const sandbox = mkdtempSync(join(tmpdir(), 'styletune-start-'));
  const folder = process.argv[2] ?? sampleWorkspace;
  // Linked into the extensions folder rather than loaded as a development extension through the URL:
  // that needs the smoke-test driver, which also hides every notification, and a user needs those.
  const server = await startCodeServer({ sandbox, linkExtension: repoRoot }).catch((err: Error) => {
    rmSync(sandbox, { recursive: true, force: true });
    throw err;
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping code-server …');
    await server.stop();
    rmSync(sandbox, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
  console.log(`\nStyleTune in VS Code (code-server), workspace ${folder}\n`);
  console.log(`  open  ${server.url}/?folder=${encodeURIComponent(folder)}\n`);
  console.log('Then open a .jsonl file and run "StyleTune: Score Current File" (F1). After `npm run build`,');
  console.log('run "Developer: Reload Window" to load the new build. Ctrl-C stops the server.');
}

main().catch((err: Error) => {
  console.error(`start: ${err.message}`);
  process.exit(1);
});
