/**
 * Entry point the extension host loads (extensionTestsPath): runs every *.test.js beside this file with
 * mocha inside the real extension host, where `vscode` is the real API.
 */
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function run(): Promise<void> {
  // No colours: the report travels through the browser's log hook to the terminal as plain text.
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  const grep = process.env.STYLETUNE_E2E_GREP;
  if (grep) mocha.grep(grep);
  // *.restricted.test.js run only in the Restricted Mode window (run.ts), every other file only in the trusted one.
  const restricted = process.env.STYLETUNE_E2E_RESTRICTED === '1';
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && f.endsWith('.restricted.test.js') === restricted);
  for (const f of files.sort()) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} e2e test(s) failed`)) : resolve()));
  });
}
