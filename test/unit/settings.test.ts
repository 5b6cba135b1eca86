/**
 * Settings: one typed table (src/extension/settingKeys.ts) that matches package.json, one reader
 * (src/extension/settings.ts) and nothing else calling `getConfiguration`, and the role that defaults
 * to the reward model's, as the CLI's `--role` does.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { checkedValue, effectiveAnnotator, effectiveRole, SETTING_TYPES } from '../../src/extension/settingKeys';
import { repoRoot } from './paths';

interface Contributed {
  type: string;
  default: unknown;
}
const contributed = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Contributed> } };
}).contributes.configuration.properties;

test('the typed table names every contributed styletune.* setting, with its JSON type', () => {
  const fromPackage = Object.fromEntries(Object.entries(contributed).map(([k, v]) => [k.replace(/^styletune\./, ''), v.type === 'integer' ? 'number' : v.type]));
  assert.deepEqual(fromPackage, { ...SETTING_TYPES });
  // The defaults VS Code supplies must pass the reader's own type check, or every read would fall through.
  for (const [key, v] of Object.entries(contributed)) {
    assert.notEqual(checkedValue(key.replace(/^styletune\./, '') as keyof typeof SETTING_TYPES, v.default), undefined, `${key}'s default`);
  }
});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('only src/extension/settings.ts reads configuration', () => {
  const readers = sources(join(repoRoot, 'src'))
    .filter((f) => /\bgetConfiguration\s*\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(repoRoot, f));
  assert.deepEqual(readers, [join('src', 'extension', 'settings.ts')]);
});

test("styletune.role is empty by default, meaning the reward model's own role", () => {
  assert.equal(contributed['styletune.role'].default, '');
  assert.match((contributed['styletune.role'] as unknown as { markdownDescription: string }).markdownDescription, /reward model's own role/);
  assert.equal(effectiveRole('', 'agent_1'), 'agent_1');
  assert.equal(effectiveRole('user', 'agent_1'), 'user');
  assert.equal(effectiveRole('', undefined), 'assistant');
});

test('a value of the wrong type reads as missing; strings are trimmed', () => {
  assert.equal(checkedValue('role', 42), undefined);
  assert.equal(checkedValue('role', '  agent_1 '), 'agent_1');
  assert.equal(checkedValue('preview.temperature', '0.5'), undefined);
  assert.equal(checkedValue('preview.temperature', Number.NaN), undefined);
  assert.equal(checkedValue('preview.temperature', 0), 0);
  assert.equal(checkedValue('inlineAnnotations', 'false'), undefined);
  assert.equal(checkedValue('inlineAnnotations', false), false);
});

test('the annotator: the setting, else the OS user, else empty when the OS has no name for us', () => {
  assert.equal(effectiveAnnotator('ada', () => 'root'), 'ada');
  assert.equal(effectiveAnnotator('', () => 'root'), 'root');
  assert.equal(
    effectiveAnnotator('', () => {
      throw new Error('ENOENT: no passwd entry');
    }),
    '',
  );
});
