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
    join(repoRoot, 'webview', 'shared', 'schema.ts'),
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

const importFrom = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g;

test('src/core imports nothing from webview/: the shapes both use are in src/core/shared.ts', () => {
  const offenders = sources(join(repoRoot, 'src', 'core')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(importFrom)]
      .filter((m) => m[1].startsWith('.') && relative(repoRoot, join(f, '..', m[1])).split(/[\\/]/)[0] === 'webview')
      .map((m) => `${relative(repoRoot, f)}: ${m[1]}`),
  );
  assert.deepEqual(offenders, []);
});

test('src/core/shared.ts declares types only (a webview bundle that imports it gains no code)', () => {
  const text = readFileSync(join(repoRoot, 'src', 'core', 'shared.ts'), 'utf8');
  const statements = text.split('\n').filter((l) => /^export\s/.test(l));
  assert.ok(statements.length >= 4, 'Message, Decision, TraitDiff and Point at least');
  assert.deepEqual(statements.filter((l) => !/^export (interface|type) /.test(l)), []);
  assert.doesNotMatch(text, /^(import|const|let|var|function|class|enum)\b/m);
});

test('the webviews build elements with one el() (webview/shared/dom.ts) and take acquireVsCodeApi from @types/vscode-webview', () => {
  const files = sources(join(repoRoot, 'webview'));
  const copies = files.filter((f) => /\bfunction el\s*</.test(readFileSync(f, 'utf8'))).map((f) => relative(repoRoot, f));
  assert.deepEqual(copies, [join('webview', 'shared', 'dom.ts')]);
  const declarations = files.filter((f) => /declare\s+function\s+acquireVsCodeApi/.test(readFileSync(f, 'utf8'))).map((f) => relative(repoRoot, f));
  assert.deepEqual(declarations, []);
});
