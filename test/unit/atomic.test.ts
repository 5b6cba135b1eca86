import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, lstatSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { appendJsonlAtomic, appendLinesAtomic, editFileAtomic, STALE_TEMP_MS, writeFileAtomic } from '../../src/core/atomic';
import { FOREIGN_STALE_MS, lockPath, withFileLock } from '../../src/core/fileLock';

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

/** A child process that appends `count` JSON lines `{w, i, pad}` one call at a time (every 7th over a page). */
function appender(file: string, writer: string, count: number): ChildProcess {
  const script = `
    const { appendJsonlAtomic } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'core', 'atomic.js'))});
    (async () => {
      for (let i = 0; i < ${count}; i++) await appendJsonlAtomic(process.argv[1], [{ w: process.argv[2], i, pad: 'x'.repeat(i % 7 === 0 ? 70000 : 40) }]);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return spawn(process.execPath, ['-e', script, file, writer], { stdio: ['ignore', 'inherit', 'inherit'] });
}

const exitCode = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

/** Every line parses and is {w, i}; each writer's lines come in its order, all of them. */
function assertAllAppended(file: string, writers: string[], count: number): void {
  const byWriter = new Map<string, number[]>(writers.map((w) => [w, []]));
  for (const line of text(file).split('\n').slice(0, -1)) byWriter.get((JSON.parse(line) as { w: string }).w)!.push((JSON.parse(line) as { i: number }).i);
  for (const [w, seen] of byWriter) assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i), `writer ${w}`);
}

describe('appends from several writers at once', () => {
  test('two processes × 1,000 appends (some over a page long) give 2,000 intact lines, three times over', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const dir = freshDir();
      const file = join(dir, 'votes.jsonl');
      const children = ['a', 'b'].map((w) => appender(file, w, 1000));
      assert.deepEqual(await Promise.all(children.map(exitCode)), [0, 0]);
      assertAllAppended(file, ['a', 'b'], 1000);
      assert.deepEqual(readdirSync(dir), ['votes.jsonl'], 'no lock or temp file left');
    }
  });

  test('through a symlink and through its target at once, in one process: one queue, nothing lost', async () => {
    const dir = freshDir();
    const real = join(dir, 'real.jsonl');
    const link = join(dir, 'link.jsonl');
    symlinkSync(real, link); // dangling until the first append creates the target
    await Promise.all(Array.from({ length: 200 }, (_, i) => appendJsonlAtomic(i % 2 ? link : real, [{ w: i % 2 ? 'link' : 'real', i: i >> 1 }])));
    assert.ok(lstatSync(link).isSymbolicLink());
    assertAllAppended(real, ['link', 'real'], 100);
  });

  test('an append and a rewrite (undo) from two processes do not lose each other\'s lines', async () => {
    const dir = freshDir();
    const file = join(dir, 'votes.jsonl');
    const child = appender(file, 'a', 300);
    // Meanwhile this process keeps adding and taking back a line of its own.
    let rounds = 0;
    for (let done = false; !done; rounds++) {
      await appendLinesAtomic(file, ['{"w":"undo","i":0}']);
      assert.equal(await editFileAtomic(file, (t) => t.replace('{"w":"undo","i":0}\n', '')), true);
      done = child.exitCode !== null;
    }
    assert.equal(await exitCode(child), 0);
    assert.ok(rounds > 1);
    assertAllAppended(file, ['a'], 300);
  });
});

describe('the cross-process lock', () => {
  test('a lock left by a dead process is taken over; one of a live process is waited for, then named', async () => {
    const dir = freshDir();
    const file = join(dir, 'a.jsonl');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lockPath(file), JSON.stringify({ pid: dead, host: hostname() }));
    await appendLinesAtomic(file, ['1']);
    assert.deepEqual(readdirSync(dir), ['a.jsonl']);

    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(lockPath(file), JSON.stringify({ pid: live.pid, host: hostname() }));
      await assert.rejects(withFileLock(file, async () => undefined, { waitMs: 300 }), new RegExp(`being written by process ${live.pid} on `));
      // Released while a writer waits: it goes ahead.
      const waiting = appendLinesAtomic(file, ['2']);
      await new Promise((r) => setTimeout(r, 200));
      rmSync(lockPath(file));
      await waiting;
      assert.equal(text(file), '1\n2\n');
    } finally {
      live.kill();
    }
  });

  test('a lock from another host is waited for until it is FOREIGN_STALE_MS old', async () => {
    const file = join(freshDir(), 'a.jsonl');
    writeFileSync(lockPath(file), JSON.stringify({ pid: 1, host: 'elsewhere.example' }));
    await assert.rejects(withFileLock(file, async () => undefined, { waitMs: 200 }), /process 1 on elsewhere\.example/);
    const old = (Date.now() - FOREIGN_STALE_MS - 5000) / 1000;
    utimesSync(lockPath(file), old, old);
    await appendLinesAtomic(file, ['x']);
    assert.equal(text(file), 'x\n');
  });
});

describe('temp files of writers that died', () => {
  test('are removed on the next write to their target; a live process\'s, a young one and another file\'s stay', async () => {
    const dir = freshDir();
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, '{"a":1}\n');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const temp = (pid: number, of = 'pairs.jsonl') => join(dir, `.${of}.styletune-${pid}-0123456789ab.tmp`);
    const old = (Date.now() - STALE_TEMP_MS - 5000) / 1000;
    const planted = { deadOld: temp(dead), liveOld: temp(process.ppid), deadYoung: temp(dead + 0), otherFile: temp(dead, 'other.jsonl') };
    planted.deadYoung = join(dir, `.pairs.jsonl.styletune-${dead}-ba9876543210.tmp`);
    for (const [name, path] of Object.entries(planted)) {
      writeFileSync(path, 'half a line');
      if (name !== 'deadYoung') utimesSync(path, old, old);
    }
    for (const write of [() => appendLinesAtomic(file, ['{"b":2}']), () => writeFileAtomic(file, '{"c":3}\n')]) {
      writeFileSync(planted.deadOld, 'half a line');
      utimesSync(planted.deadOld, old, old);
      await write();
      assert.deepEqual(readdirSync(dir).sort(), [basename(planted.deadYoung), basename(planted.liveOld), basename(planted.otherFile), 'pairs.jsonl'].sort());
    }
    assert.equal(text(file), '{"c":3}\n');
  });
});
