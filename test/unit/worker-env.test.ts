/**
 * The one way Node reaches the trainer (src/core/worker/python.ts): the worker's environment, where a
 * venv keeps its interpreter, and the short checks' last-line-of-JSON protocol, on both path families.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { missingModules, pythonJson, PythonRunError, REQUIRED_MODULES, venvPython, workerEnv } from '../../src/core/worker';
import { repoRoot } from './paths';

test('on Windows the trainer goes first on PYTHONPATH joined with ";" (a ":" would cut "C:\\…" in two)', () => {
  const env = workerEnv({ repoRoot: 'C:\\Users\\ana\\styletune', env: { PYTHONPATH: 'C:\\libs;D:\\more' }, platform: 'win32' });
  assert.equal(env.PYTHONPATH, 'C:\\Users\\ana\\styletune\\trainer;C:\\libs;D:\\more');
  assert.deepEqual(env.PYTHONPATH!.split(';'), ['C:\\Users\\ana\\styletune\\trainer', 'C:\\libs', 'D:\\more']);
  assert.equal(venvPython('C:\\Users\\ana\\styletune', 'win32'), 'C:\\Users\\ana\\styletune\\.venv\\Scripts\\python.exe');
});

test('elsewhere it is joined with ":"; without a PYTHONPATH the trainer is all of it', () => {
  assert.equal(workerEnv({ repoRoot: '/opt/st', env: { PYTHONPATH: '/a:/b' }, platform: 'linux' }).PYTHONPATH, '/opt/st/trainer:/a:/b');
  assert.equal(workerEnv({ repoRoot: '/opt/st', env: {}, platform: 'darwin' }).PYTHONPATH, '/opt/st/trainer');
  assert.equal(venvPython('/opt/st', 'linux'), '/opt/st/.venv/bin/python');
});

test('the worker environment asks for unbuffered UTF-8 output, keeps the rest, and leaves its input alone', () => {
  const given = { HOME: '/home/ana', PYTHONPATH: '/a' };
  const env = workerEnv({ repoRoot: '/opt/st', env: given, platform: 'linux' });
  assert.equal(env.PYTHONUNBUFFERED, '1');
  assert.equal(env.PYTHONIOENCODING, 'utf-8');
  assert.equal(env.HOME, '/home/ana');
  assert.deepEqual(given, { HOME: '/home/ana', PYTHONPATH: '/a' });
  assert.equal(workerEnv({ env: given }).PYTHONPATH, '/a', 'no repoRoot: PYTHONPATH as given');
});

test('a real interpreter finds the trainer through workerEnv, whatever PYTHONPATH held before', async () => {
  // The system Python has no editable install of the trainer: only PYTHONPATH can make it findable.
  const missing = await missingModules('python3', repoRoot, { ...process.env, PYTHONPATH: join(repoRoot, 'nowhere') });
  assert.ok(!missing.includes('styletune_trainer'), `missing: ${missing.join(', ')}`);
  assert.ok(missing.every((m) => REQUIRED_MODULES.includes(m)));
});

test('a short check reads the last stdout line as JSON; a failure says what stderr said last', async () => {
  assert.deepEqual(await pythonJson('python3', ['-c', 'print("a warning"); print("[1, 2]")'], { timeoutMs: 20_000 }), [1, 2]);
  await assert.rejects(pythonJson('python3', ['-c', 'import sys; sys.exit("no torch here")'], { timeoutMs: 20_000 }),
    (e: unknown) => e instanceof PythonRunError && !e.ran && /could not be run: no torch here$/.test(e.message));
  await assert.rejects(pythonJson('python3', ['-c', 'print("not json")'], { timeoutMs: 20_000 }), (e: unknown) => e instanceof PythonRunError && e.ran);
  await assert.rejects(missingModules(join(repoRoot, 'no-such-python'), repoRoot), (e: unknown) => e instanceof PythonRunError && !e.ran);
});

test('only src/core/worker/python.ts builds PYTHONPATH (one place to get the delimiter right)', () => {
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
  const builders = sources(join(repoRoot, 'src'))
    .filter((f) => /PYTHONPATH\s*[:=]|PYTHONPATH\s*\?/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(repoRoot, f).split('\\').join('/'));
  assert.deepEqual(builders, ['src/core/worker/python.ts']);
});
