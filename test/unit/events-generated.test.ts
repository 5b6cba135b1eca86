/**
 * src/core/worker/events.generated.ts is made from trainer/events.schema.json by scripts/gen-events.mjs:
 * regenerating it gives the committed file, so a schema change without `node scripts/gen-events.mjs`
 * fails here instead of leaving the TypeScript types behind the worker.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { eventsValidator } from '../../src/core/worker/schema';
import { repoRoot } from './paths';

const generate = (): string => execFileSync(process.execPath, [join(repoRoot, 'scripts', 'gen-events.mjs'), '--stdout'], { encoding: 'utf8' });

test('events.generated.ts is what scripts/gen-events.mjs makes of trainer/events.schema.json', () => {
  const committed = readFileSync(join(repoRoot, 'src', 'core', 'worker', 'events.generated.ts'), 'utf8');
  assert.equal(generate(), committed, 'stale: run node scripts/gen-events.mjs');
});

test('every event of the schema has its interface, and the command names are listed once', () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'trainer', 'events.schema.json'), 'utf8'));
  const text = generate();
  for (const name of schema.properties.event.enum as string[]) {
    assert.match(text, new RegExp(`export interface ${name[0].toUpperCase()}${name.slice(1)}Event \\{\\n(?:.*\\n)*?  event: '${name}';`), name);
  }
  // `started` and `done` both name the commands through $defs.workerCommand, not a copy of the list.
  const lists = JSON.stringify(schema).match(/"enum":\["dpo"/g) ?? [];
  assert.equal(lists.length, 1, 'one enum of worker commands in the schema');
  assert.equal(text.match(/'dpo'/g)?.length, 1, 'one list of worker commands in the types');
});

test('the generator refuses a keyword it cannot express, rather than typing it loosely', () => {
  // The generator is an ES module and this test CommonJS: run it in a child.
  const url = pathToFileURL(join(repoRoot, 'scripts', 'gen-events.mjs')).href;
  const program = `import { generate } from ${JSON.stringify(url)};
    try { generate({ oneOf: [], $defs: { x: { type: 'string', pattern: '^a' } } }); console.log('accepted'); } catch (e) { console.log(e.message); }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.match(out, /#\/\$defs\/x: keyword pattern is not supported/);
});

test('the one list of commands still checks both events: started takes a worker command, done also merge and make-tiny-model', () => {
  const started = { version: 1, event: 'started', time: 1, device: 'cpu', model: 'm', num_processes: 1 };
  const done = { version: 1, event: 'done', time: 1, stopped: false, output: 'o', metrics: {} };
  const v = eventsValidator();
  for (const command of ['dpo', 'generate', 'judge', 'checklist']) {
    assert.deepEqual(v.validate({ ...started, command }), [], command);
    assert.deepEqual(v.validate({ ...done, command }), [], command);
  }
  for (const command of ['merge', 'make-tiny-model']) {
    assert.ok(v.validate({ ...started, command }).length > 0, `started ${command}`);
    assert.deepEqual(v.validate({ ...done, command }), [], `done ${command}`);
  }
  assert.ok(v.validate({ ...done, command: 'bogus' }).length > 0);
});
