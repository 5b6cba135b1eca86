/**
 * The inspector's worker-thread pool (src/core/inspectPool.ts) against the sequential path it replaces
 * (scoreTextInChunks): on real corpora, with small chunks so that several threads answer out of order,
 * the rows, their order and every diagnostic (file:line and message) must be the same. Also the line
 * index the chunks are cut with, a malformed line in the middle of a big file, a run that is stopped,
 * and a pool whose threads cannot start (the host then scores everything itself).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InspectRow } from '../../src/core/inspect';
import { InspectPool, readSource, sourceFromText, type LineSource } from '../../src/core/inspectPool';
import { packRows, unpackRows } from '../../src/core/inspectRows';
import { scoreTextInChunks } from '../../src/core/inspectScoring';
import { indexLines, lineText } from '../../src/core/lineIndex';
import { RewardModel } from '../../src/core/reward/model';
import type { Diagnostic } from '../../src/core/types';
import { repoRoot, requireShared } from './paths';

const workerFile = join(__dirname, '..', '..', 'src', 'core', 'inspectWorker.js');

let model: RewardModel;
let pool: InspectPool;
let dir: string;
before(async () => {
  model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  // Two threads whatever the machine: the test is about several answering out of order.
  pool = new InspectPool(workerFile, 2);
  dir = mkdtempSync(join(tmpdir(), 'styletune-pool-'));
});
after(async () => {
  pool.dispose();
  await model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Scored {
  rows: InspectRow[];
  problems: Diagnostic[];
  chunks: number;
  linesDone: number[];
  summary: { rows: number; problems: number; lines: number; aborted: boolean };
}

/** An empty Scored and the onChunk that fills it, for any of the scoring paths (they report chunks alike). */
function collector(): { out: Scored; onChunk: (c: { rows: InspectRow[]; problems: Diagnostic[]; linesDone: number }) => void } {
  const out: Scored = { rows: [], problems: [], chunks: 0, linesDone: [], summary: undefined! };
  const onChunk = (c: { rows: InspectRow[]; problems: Diagnostic[]; linesDone: number }) => {
    out.rows.push(...c.rows);
    out.problems.push(...c.problems);
    out.linesDone.push(c.linesDone);
    out.chunks++;
  };
  return { out, onChunk };
}

async function sequential(text: string, file: string, role?: string): Promise<Scored> {
  const { out, onChunk } = collector();
  out.summary = await scoreTextInChunks(text, file, model, { role, onChunk });
  return out;
}

async function pooled(source: LineSource, file: string, opts: { role?: string; chunkLines?: number; firstChunkLines?: number; pool?: InspectPool } = {}): Promise<Scored> {
  const { out, onChunk } = collector();
  out.summary = await (opts.pool ?? pool).score(source, file, model, {
    role: opts.role,
    chunkLines: opts.chunkLines ?? 400,
    // Small first chunks (the host's, while the threads start) a quarter of the others.
    firstChunkLines: opts.firstChunkLines ?? Math.max(5, Math.floor((opts.chunkLines ?? 400) / 4)),
    onChunk,
  });
  return out;
}

function assertSame(got: Scored, want: Scored): void {
  assert.equal(got.rows.length, want.rows.length);
  assert.deepEqual(got.problems, want.problems);
  assert.deepEqual(got.summary, want.summary);
  // Row by row (a failure names the first line that differs instead of printing 5,000 rows).
  for (let i = 0; i < want.rows.length; i++) assert.deepStrictEqual(got.rows[i], want.rows[i], `row ${i} (line ${want.rows[i].line})`);
  // Progress only grows and ends at the lines scored.
  assert.ok(got.linesDone.every((n, i) => i === 0 || n > got.linesDone[i - 1]));
  assert.equal(got.linesDone.at(-1), want.summary.lines);
}

describe('line index', () => {
  test('finds every line parseJsonlText would, and decodes each as the whole file decodes', () => {
    const cases = [
      '{"a":1}\n{"b":2}\n',
      '\ufeff{"bom":1}\r\n\r\n  \n{"c":"é 😀"}',
      '',
      '\n\n',
      'x',
    ];
    for (const text of cases) {
      const buf = Buffer.from(text, 'utf8');
      const index = indexLines(buf);
      const lines = new TextDecoder().decode(buf).split('\n');
      assert.equal(index.lines, lines.length, JSON.stringify(text));
      assert.equal(index.nonBlank, lines.filter((l) => /[^ \t\r]/.test(l)).length, JSON.stringify(text));
      lines.forEach((l, i) => assert.equal(lineText(buf, index, i + 1), l, `${JSON.stringify(text)} line ${i + 1}`));
      assert.equal(lineText(buf, index, lines.length + 1), undefined);
      assert.equal(lineText(buf, index, 0), undefined);
    }
  });

  test('bytes that are not UTF-8 decode to U+FFFD within their own line, as a whole-file decode gives', () => {
    const buf = Buffer.from([0x61, 0xe2, 0x82, 0x0a, 0xc3, 0x28, 0x0a, 0xff, 0xf0, 0x9f, 0x98, 0x80]);
    const index = indexLines(buf);
    const lines = new TextDecoder().decode(buf).split('\n');
    assert.deepEqual([1, 2, 3].map((n) => lineText(buf, index, n)), lines);
  });
});

describe('packed rows', () => {
  test('survive packing exactly, every kind (candidates with and without a ranking)', () => {
    const rows: InspectRow[] = [
      { line: 1, kind: 'dialogue', score: 0.25, values: Float32Array.of(1, 2), text: 'a' },
      { line: 3, kind: 'pair', score: -1.5, a: 0.1, b: 1.6, values: Float32Array.of(1, 2, 3, 4), text: 'b' },
      { line: 4, kind: 'contrastive', score: Number.NaN, a: 0, b: 0, values: Float32Array.of(0, 0, 0, 0), text: '' },
      { line: 9, kind: 'candidates', score: 2, a: 1, b: -1, candidates: { n: 3, best: 2, worst: 3 }, values: Float32Array.of(5, 6, 7, 8), text: 'c' },
      { line: 10, kind: 'candidates', score: 0, a: 1, b: 1, candidates: { n: 2, best: 1, worst: 1, rankedFirst: 2 }, values: Float32Array.of(5, 6, 7, 8), text: 'd' },
    ];
    assert.deepStrictEqual(unpackRows(packRows(rows).packed), rows);
  });
});

describe('pooled scoring matches the sequential path', () => {
  const corpora = [
    { name: 'human-like-dpo pairs', rel: 'human-like-dpo/pairs.dev.jsonl', role: undefined },
    { name: 'Turing games (contrastive)', rel: 'turing/games.dev.jsonl', role: undefined },
    { name: 'topical-chat dialogues, agent_1', rel: 'topical-chat/dialogues.jsonl', role: 'agent_1' },
  ];
  for (const c of corpora) {
    test(`${c.name}: the same rows in the same order, the same diagnostics`, async () => {
      const path = requireShared(c.rel);
      const text = readFileSync(path, 'utf8');
      const want = await sequential(text, path, c.role);
      assert.ok(want.rows.length > 300, `${c.rel} scored only ${want.rows.length} rows`);
      // About a dozen big chunks whatever the file's size.
      const before = { ...pool.scored };
      const got = await pooled(await readSource(path), path, { role: c.role, chunkLines: Math.max(20, Math.floor(want.rows.length / 12)) });
      assertSame(got, want);
      assert.ok(pool.scored.workers - before.workers >= 4, `the threads scored ${pool.scored.workers - before.workers} chunks`);
      assert.ok(pool.scored.host > before.host, 'the host scored the first chunk');
    });
  }

  test('a real file with problems spread through it (bad JSON, not an object, wrong fields, blank lines, CRLF, a BOM, no final newline)', async () => {
    const real = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const lines = real.slice(0, 1500);
    lines[0] = '\ufeff' + lines[0];
    lines.splice(3, 0, '{"prompt": "hi", "chosen": "yo"');
    lines.splice(600, 0, '', '   ', '[1, 2]');
    lines.splice(901, 0, '{"prompt": "hi", "chosen": 5, "rejected": "Hello."}');
    lines[1200] += '\r';
    lines.push('{"messages": [{"role": "user", "content": "hey"}]}');
    const text = lines.join('\n');
    const path = join(dir, 'mixed.jsonl');
    writeFileSync(path, text);
    const want = await sequential(new TextDecoder().decode(readFileSync(path)), path);
    assert.ok(want.problems.length >= 4, `expected the planted problems, got ${want.problems.length}`);
    assertSame(await pooled(await readSource(path), path, { chunkLines: 97 }), want);
    // The same text from an editor buffer (the panel's path for an open document).
    assertSame(await pooled(sourceFromText(text.replace(/^\ufeff/, '')), path, { chunkLines: 131 }), want);
  });
});

test('a malformed line deep in a big file is reported with its own line number, and every other line is scored', async () => {
  const real = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const lines = real.slice(0, 3000);
  // Line 2345, far from the first chunk: a worker finds it, not the host.
  lines[2344] = '{"prompt": "so what do you do", "chosen": "not much lol", "rejected": ';
  const path = join(dir, 'broken.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  const got = await pooled(await readSource(path), path, { chunkLines: 500 });
  assert.equal(got.problems.length, 1);
  const [p] = got.problems;
  assert.equal(p.file, path);
  assert.equal(p.line, 2345);
  assert.equal(p.severity, 'error');
  assert.match(p.message, /^invalid JSON/);
  assert.equal(got.rows.length, 2999);
  assert.ok(!got.rows.some((r) => r.line === 2345));
  assert.deepEqual(
    got.rows.map((r) => r.line),
    Array.from({ length: 3000 }, (_, i) => i + 1).filter((n) => n !== 2345),
  );
});

test('a stopped run ends as aborted and hands nothing over after the stop', async () => {
  const path = requireShared('human-like-dpo/pairs.dev.jsonl');
  const source = await readSource(path);
  const abort = new AbortController();
  let after = 0;
  let chunks = 0;
  const summary = await pool.score(source, path, model, {
    signal: abort.signal,
    chunkLines: 200,
    onChunk: () => {
      if (abort.signal.aborted) after++;
      if (++chunks === 2) abort.abort();
    },
  });
  assert.equal(summary.aborted, true);
  assert.equal(after, 0);
  assert.ok(summary.lines < source.index.nonBlank);
  // The pool serves the next run in full.
  const again = await pooled(source, path);
  assert.equal(again.summary.aborted, false);
  assert.equal(again.rows.length, source.index.nonBlank);
});

test('two runs at once (two panels) both finish with their own rows', async () => {
  const a = requireShared('human-like-dpo/pairs.dev.jsonl');
  const b = requireShared('turing/games.dev.jsonl');
  const [ra, rb] = await Promise.all([pooled(await readSource(a), a, { chunkLines: 300 }), pooled(await readSource(b), b, { chunkLines: 50 })]);
  assertSame(ra, await sequential(readFileSync(a, 'utf8'), a));
  assertSame(rb, await sequential(readFileSync(b, 'utf8'), b));
});

test('threads that cannot start (a missing worker bundle): the host scores every chunk itself, same rows', async () => {
  const path = requireShared('turing/games.dev.jsonl');
  const broken = new InspectPool(join(dir, 'no-such-worker.js'), 2);
  const lost: string[] = [];
  try {
    const source = await readSource(path);
    const { out, onChunk } = collector();
    out.summary = await broken.score(source, path, model, { chunkLines: 60, onWorkerLost: (err) => lost.push(err.message), onChunk });
    assertSame(out, await sequential(readFileSync(path, 'utf8'), path));
    assert.equal(broken.workers, 0);
  } finally {
    broken.dispose();
  }
});
