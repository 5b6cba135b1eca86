/**
 * The CLI's output against readers that do not keep up: a paused reader must pause `styletune score`
 * (not fill its heap until it dies), and a reader that leaves (`| head`) must end it quietly.
 * The built bundle (dist/cli.js) runs as a child process on real pairs with the shipped model.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, test, type TestContext } from 'node:test';
import { lines } from '../../src/core/lines';
import { repoRoot, requireShared } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');
/** 10,000 pair lines (16 MB) print ~58 MB of JSON: far more than any pipe or stream buffer holds. */
const LINES = 10_000;

let dir: string;
let input: string;

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs)`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-output-'));
  const source = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  input = join(dir, 'pairs.jsonl');
  writeFileSync(input, Array.from({ length: LINES }, (_, i) => source[i % source.length]).join('\n') + '\n');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** The child is killed when the test ends, so a failed assertion cannot leave it holding the run open. */
function score(t: TestContext): Child {
  const child = spawn(process.execPath, [CLI, 'score', input], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void child.kill());
  return child;
}

function exited(child: Child): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** /proc/PID/stat, or undefined once the process is gone (Linux). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Waits until the child has stopped working: gone, or no CPU used for a second (blocked on its full pipe). */
async function settled(pid: number, timeoutMs = 120_000): Promise<void> {
  let last = '';
  let still = 0;
  for (const start = Date.now(); Date.now() - start < timeoutMs; ) {
    await new Promise((r) => setTimeout(r, 250));
    const stat = procStat(pid);
    if (!stat || stat[0] === 'Z') return;
    const ticks = `${stat[11]} ${stat[12]}`; // utime, stime
    still = ticks === last ? still + 1 : 0;
    last = ticks;
    if (still >= 4) return;
  }
  throw new Error('the child neither finished nor blocked');
}

/** How far the process has read `file` (its open descriptor's offset), or undefined when it has it open no more. */
function readOffset(pid: number, file: string): number | undefined {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target === file) return Number(/^pos:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]);
  }
  return undefined;
}

test('score into a paused reader waits for it, and delivers every line once it reads', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const child = score(t);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = exited(child);
  // No reader yet: stdout fills its pipe. A paced writer now waits with most of the input unread; an
  // unpaced one goes on scoring and queues the whole output in memory.
  await settled(child.pid!);
  const offset = child.exitCode === null ? readOffset(child.pid!, input) : undefined;
  const size = statSync(input).size;
  assert.ok(offset !== undefined && offset < size / 2, `read ${offset ?? 'all'} of ${size} bytes while nobody read its output`);
  let text = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout) text += chunk as string;
  const { code, signal } = await done;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr.slice(-2000));
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.equal(lines.length, LINES);
  lines.forEach((l, i) => assert.equal((JSON.parse(l) as { line: number }).line, i + 1));
});

test('score stops quietly when its reader leaves (| head)', async (t) => {
  const child = score(t);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = exited(child);
  child.stdout.setEncoding('utf8');
  let first = '';
  for await (const chunk of child.stdout) {
    first += chunk as string;
    if (first.includes('\n')) break; // leaving the loop destroys our end of the pipe
  }
  const { code, signal } = await done;
  assert.equal(signal, null);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '', 'no stack trace, no message');
  assert.equal((JSON.parse(first.split('\n')[0]) as { line: number }).line, 1);
});

test('a worker line callback that returns a promise pauses the reading (a slow reader of `styletune tune` pauses the worker)', async () => {
  const pipe = new PassThrough({ highWaterMark: 1024 });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const seen: string[] = [];
  lines(pipe, (line) => {
    seen.push(line);
    return gate;
  });
  const line = 'x'.repeat(100) + '\n';
  // The first line arrives; then nothing is read, so the writer soon meets a full buffer (its signal to wait).
  let accepted = 0;
  while (pipe.write(line)) {
    accepted++;
    assert.ok(accepted < 1000, 'the reader never stopped taking lines');
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(seen.length >= 1 && seen.length < 20, `took ${seen.length} lines while held`);
  const drained = new Promise((r) => pipe.once('drain', r));
  open();
  await drained;
  pipe.end();
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.length, accepted + 1);
});
