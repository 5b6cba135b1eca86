/** The design card's layout rules that code can check. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './paths';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const importsVscode = /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

test('src/core, src/cli and the webview protocols never import vscode (the CLI, tests and workers reuse them)', () => {
  const files = [
    ...sources(join(repoRoot, 'src', 'core')),
    ...sources(join(repoRoot, 'src', 'cli')),
    ...sources(join(repoRoot, 'webview')).filter((f) => f.endsWith('protocol.ts')),
  ];
  assert.ok(files.length > 20, `found only ${files.length} files: is the layout still src/core?`);
  const offenders = files.filter((f) => importsVscode.test(readFileSync(f, 'utf8'))).map((f) => relative(repoRoot, f));
  assert.deepEqual(offenders, []);
});

test('only webview/shared/toolkit.ts imports the deprecated webview UI toolkit', () => {
  const users = [...sources(join(repoRoot, 'webview')), ...sources(join(repoRoot, 'src'))]
    .filter((f) => readFileSync(f, 'utf8').includes('@vscode/webview-ui-toolkit'))
    .map((f) => relative(repoRoot, f));
  assert.deepEqual(users, [join('webview', 'shared', 'toolkit.ts')]);
});
