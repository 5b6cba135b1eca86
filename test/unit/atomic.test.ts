import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, lstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { appendJsonlAtomic, appendLinesAtomic, writeFileAtomic } from '../../src/core/atomic';

const root = mkdtempSync(join(tmpdir(), 'styletune-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh directory per test, so "no temp file left behind" can be checked by listing it. */
function freshDir(): string {
  const dir = join(root, `d${dirCount++}`);
  mkdirSync(dir);
  return dir;
}

const mode = (file: string) => statSync(file).mode & 0o777;
const text = (file: string) => readFileSync(file, 'utf8');

describe('writeFileAtomic', () => {
  test('creates a file, and replaces one keeping its permission bits', async () => {
    const dir = freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFileAtomic(file, 'one\n');
    assert.equal(text(file), 'one\n');

    for (const bits of [0o640, 0o755, 0o600]) {
      chmodSync(file, bits);
      await writeFileAtomic(file, new TextEncoder().encode(`mode ${bits}\n`));
      assert.equal(text(file), `mode ${bits}\n`);
      assert.equal(mode(file), bits);
    }
    assert.deepEqual(readdirSync(dir), ['a.jsonl']);
  });

  test('writes through a symlink to its target and leaves the link in place', async () => {
    const dir = freshDir();
    const real = join(dir, 'real.jsonl');
    const link = join(dir, 'link.jsonl');
    writeFileSync(real, 'old\n');
    symlinkSync(real, link);
    await writeFileAtomic(link, 'new\n');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(text(real), 'new\n');
  });

  test('a failure after the temp file exists leaves the original intact and no temp file', async () => {
    const dir = freshDir();
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, 'original\n');
    // Not a string or bytes: writing the temp file throws after it was created.
    await assert.rejects(writeFileAtomic(file, 42 as unknown as string), /^Error: cannot write .*a\.jsonl: /);
    assert.equal(text(file), 'original\n');
    assert.deepEqual(readdirSync(dir), ['a.jsonl']);
  });

  test('a failed rename (the target is a directory) removes the temp file', async () => {
    const dir = freshDir();
    const target = join(dir, 'sub');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(target, 'data'), /cannot write .*sub: /);
    assert.deepEqual(readdirSync(dir), ['sub']);
    assert.deepEqual(readdirSync(target), ['keep']);
  });

  test('a removed directory is a plain error', async () => {
    const dir = freshDir();
    rmSync(dir, { recursive: true });
    const file = join(dir, 'a.jsonl');
    await assert.rejects(writeFileAtomic(file, 'x'), { message: `cannot write ${file}: no such file`, code: 'ENOENT' });
  });

  test('a read-only directory leaves the original intact', { skip: process.getuid?.() === 0 && 'root ignores permission bits' }, async () => {
    const dir = freshDir();
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, 'original\n');
    chmodSync(dir, 0o555);
    try {
      await assert.rejects(writeFileAtomic(file, 'new\n'), /permission denied/);
      await assert.rejects(appendLinesAtomic(file, ['new']), /permission denied/);
    } finally {
      chmodSync(dir, 0o755);
    }
    assert.equal(text(file), 'original\n');
    assert.deepEqual(readdirSync(dir), ['a.jsonl']);
  });
});

describe('appendLinesAtomic', () => {
  test('creates a missing file', async () => {
    const file = join(freshDir(), 'new.jsonl');
    await appendLinesAtomic(file, ['{"a":1}', '{"a":2}']);
    assert.equal(text(file), '{"a":1}\n{"a":2}\n');
  });

  test('adds the newline a file lacks at its end, and none to an empty file or one that has it', async () => {
    const dir = freshDir();
    const cases: Array<[string, string]> = [
      ['{"a":1}', '{"a":1}\n{"b":2}\n'],
      ['{"a":1}\n', '{"a":1}\n{"b":2}\n'],
      ['{"a":1}\r\n', '{"a":1}\r\n{"b":2}\n'],
      ['', '{"b":2}\n'],
    ];
    for (const [i, [before, afterAppend]] of cases.entries()) {
      const file = join(dir, `c${i}.jsonl`);
      writeFileSync(file, before);
      await appendLinesAtomic(file, ['{"b":2}']);
      assert.equal(text(file), afterAppend, JSON.stringify(before));
    }
  });

  test('copies content larger than one copy chunk exactly, and keeps the mode', async () => {
    const file = join(freshDir(), 'big.jsonl');
    const before = Buffer.alloc(2.5 * 1024 * 1024 + 3, 'ab\n');
    writeFileSync(file, before);
    chmodSync(file, 0o604);
    await appendLinesAtomic(file, ['end']);
    assert.ok(readFileSync(file).equals(Buffer.concat([before, Buffer.from('\nend\n')])));
    assert.equal(mode(file), 0o604);
  });

  test('refuses a line containing a newline, before touching the file', async () => {
    const dir = freshDir();
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, 'x\n');
    await assert.rejects(appendLinesAtomic(file, ['ok', 'two\nlines']), /line 2 to append contains a newline/);
    assert.equal(text(file), 'x\n');
    assert.deepEqual(readdirSync(dir), ['a.jsonl']);
  });

  test('no lines is a no-op', async () => {
    const file = join(freshDir(), 'none.jsonl');
    await appendLinesAtomic(file, []);
    assert.throws(() => statSync(file), { code: 'ENOENT' });
  });

  test('a failure while copying (the target is a directory) removes the temp file', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(appendLinesAtomic(join(dir, 'sub'), ['x']), /cannot write/);
    assert.deepEqual(readdirSync(dir), ['sub']);
  });
});

describe('appendJsonlAtomic', () => {
  test('writes one JSON line per value', async () => {
    const file = join(freshDir(), 'a.jsonl');
    const values = [{ a: 1 }, { s: 'line\nbreak', u: 'ü' }, [1, 2]];
    await appendJsonlAtomic(file, values);
    assert.deepEqual(
      text(file).trimEnd().split('\n').map((l) => JSON.parse(l) as unknown),
      values,
    );
  });

  test('refuses a value JSON cannot represent', async () => {
    await assert.rejects(appendJsonlAtomic(join(freshDir(), 'a.jsonl'), [{}, undefined]), /value 2 cannot be written as JSON/);
    await assert.rejects(appendJsonlAtomic(join(freshDir(), 'a.jsonl'), [{ n: 1n }]), TypeError);
  });

  test('50 concurrent appends, via different spellings of the path, lose nothing', async () => {
    const dir = freshDir();
    const file = join(dir, 'c.jsonl');
    const spellings = [file, relative(process.cwd(), file), join(dir, '.', 'c.jsonl')];
    await Promise.all(Array.from({ length: 50 }, (_, i) => appendJsonlAtomic(spellings[i % 3], [{ i }])));
    const seen = text(file)
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i)
      .sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(readdirSync(dir), ['c.jsonl']);
  });

  test('a failed append does not block the next one on the same path', async () => {
    const file = join(freshDir(), 'a.jsonl');
    const results = await Promise.allSettled([
      appendLinesAtomic(file, ['1']),
      writeFileAtomic(file, 42 as unknown as string),
      appendLinesAtomic(file, ['2']),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(text(file), '1\n2\n');
  });
});
