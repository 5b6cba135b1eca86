/**
 * Hostile lines against the CLI (dist/cli.js run as a child process on real pairs): a grouping field
 * nested thousands deep is one diagnostic with file and line, and the run goes on with the other lines;
 * newlines and escape sequences in the data cannot forge diagnostics or reach the terminal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fieldKey } from '../../src/core/fieldKey';
import { MAX_NESTING } from '../../src/core/jsonl';
import { formatDiagnostic, printable } from '../../src/core/types';
import { repoRoot, requireShared } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');
let dir: string;
let pairs: Record<string, unknown>[];

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs)`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-hostile-'));
  pairs = readFileSync(requireShared('human-like-dpo/pairs.dev.jsonl'), 'utf8').split('\n').slice(0, 8).map((l) => JSON.parse(l) as Record<string, unknown>);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function styletune(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** JSON lines, with `field` of lines 3 and 5 (1-based) replaced by arrays nested 5,000 and 200,000 deep. */
function withDeepField(name: string, lines: Record<string, unknown>[], field: string): string {
  const text = lines.map((o, i) => {
    const line = JSON.stringify(o);
    return i === 2 || i === 4 ? `${line.slice(0, -1)},"${field}":${nest(i === 2 ? 5_000 : 200_000)}}` : line;
  });
  const file = join(dir, name);
  writeFileSync(file, text.join('\n') + '\n');
  return file;
}

function assertDeepLinesReported(stderr: string, file: string): void {
  assert.doesNotMatch(stderr, /call stack|RangeError/);
  for (const line of [3, 5]) assert.match(stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: error: .*${MAX_NESTING} levels deep`, 'm'));
}

describe('a grouping field nested thousands deep', () => {
  test('eval --by: the two lines are reported, the other pairs are evaluated by group', () => {
    const file = withDeepField('eval.jsonl', pairs.map((p, i) => ({ ...p, src: i % 2 ? 'a' : 'b' })), 'src');
    const r = styletune('eval', file, '--by', 'src', '--json');
    assertDeepLinesReported(r.stderr, file);
    assert.equal(r.code, 1);
    const rows = (JSON.parse(r.stdout) as { accuracy: { key: string; n: number }[] }).accuracy;
    assert.deepEqual(rows.find((x) => x.key === 'all')?.n, 6);
    assert.deepEqual(rows.filter((x) => x.key.includes('src=')).map((x) => x.n).reduce((a, b) => a + b), 6);
  });

  test('fit --by: the two lines are reported, the model is fitted on the rest', () => {
    const file = withDeepField('fit.jsonl', pairs.map((p, i) => ({ ...p, src: i % 2 ? 'a' : 'b' })), 'src');
    const r = styletune('fit', file, '--by', 'src', '--folds', '2', '--out', join(dir, 'm.onnx'), '--json');
    assertDeepLinesReported(r.stderr, file);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as { comparisons: number }).comparisons, 6);
    assert.ok(existsSync(join(dir, 'm.onnx')));
  });

  test('pairs ranked --group-by: the two lines are reported, pairs are built from the rest', () => {
    const candidates = pairs.flatMap((p, i) => [
      { prompt: p.prompt, response: p.chosen, persona: `p${i}` },
      { prompt: p.prompt, response: p.rejected, persona: `p${i}` },
    ]);
    const file = withDeepField('cands.jsonl', candidates, 'persona');
    const out = join(dir, 'ranked.jsonl');
    const r = styletune('pairs', 'ranked', file, '--group-by', 'persona', '--best-worst', '--out', out);
    assertDeepLinesReported(r.stderr, file);
    assert.equal(r.code, 1);
    // 8 personas; lines 3 and 5 took one candidate each from personas p1 and p2.
    assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 6);
  });
});

describe('fieldKey', () => {
  test('a string is its own key, a number or boolean its text, null or missing no group; lists and objects are refused', () => {
    assert.equal(fieldKey('f', 'gpt-4'), 'gpt-4');
    assert.equal(fieldKey('f', 3), '3');
    assert.equal(fieldKey('f', false), 'false');
    assert.equal(fieldKey('f', null), undefined);
    assert.equal(fieldKey('f', undefined), undefined);
    assert.deepEqual(fieldKey('persona', [1, 'a']), { error: '`persona` must be a string, number or boolean to group by, got a list' });
    assert.deepEqual(fieldKey('persona', { m: 1 }), { error: '`persona` must be a string, number or boolean to group by, got an object' });
  });

  test('a value nested 200,000 deep (built in memory, not read from a file) is refused without recursing', () => {
    let v: unknown = [];
    for (let i = 0; i < 200_000; i++) v = [v];
    assert.deepEqual(fieldKey('persona', v), { error: '`persona` must be a string, number or boolean to group by, got a list' });
  });
});

describe('text from the data in diagnostics and reports', () => {
  const forged = '\n/etc/passwd:1:1: error: forged\x1b[2J\x1b]0;title\x07\u009b31m\u202e';

  /** Every stderr line is a diagnostic of `file` or one of the CLI's own summary lines; no control character but the newlines. */
  function assertNotForged(stderr: string, file: string): void {
    assert.doesNotMatch(stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'a control character reached the terminal');
    for (const line of stderr.trimEnd().split('\n')) {
      assert.ok(line.startsWith(`${file}:`) || /^\d+ (line|problem)/.test(line), `not one of ours: ${JSON.stringify(line)}`);
    }
  }

  test('score: role names and object keys cannot forge a diagnostic line or reach the terminal raw', () => {
    const file = join(dir, 'forged.jsonl');
    writeFileSync(file, [
      JSON.stringify({ messages: [{ role: `agent${forged}`, content: 'hi there' }] }),
      JSON.stringify({ [`key${forged}`]: 1 }),
      `{"chosen": 1, "rejected": "x", "prompt": "${'\\u001b'}[31m"}`,
      `not json ${forged.replace(/\n/g, '')}`,
    ].join('\n') + '\n');
    const r = styletune('score', file);
    assert.equal(r.code, 1);
    assertNotForged(r.stderr, file);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`)).length, 4);
    assert.match(r.stderr, /roles here: agent\\n\/etc\/passwd:1:1: error: forged\\u001b\[2J/);
    assert.match(r.stderr, /`key\\n\/etc\/passwd/);
  });

  test('votes report: system names, ids and annotators print as one line each', () => {
    const votes = join(dir, 'forged.votes.jsonl');
    const vote = (winner: string) => JSON.stringify({
      item_id: `item${forged}`, prompt_hash: 'x', systems: { A: `base${forged}`, B: 'tuned' }, winner, confidence: null,
      annotator: `ana${forged}`, time: '2026-01-01T00:00:00Z', session: 's',
    });
    writeFileSync(votes, `${vote('tuned')}\n${JSON.stringify({ item_id: 1, systems: { A: `x${forged}`, B: `x${forged}` } })}\n`);
    const r = styletune('votes', 'report', votes);
    assertNotForged(r.stderr, votes);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.doesNotMatch(r.stdout, /^\/etc\/passwd/m);
    assert.match(r.stdout, /base\\n\/etc\/passwd:1:1: error: forged\\u001b\[2J\\u001b\]0;title\\u0007\\u009b31m\\u202e/);
  });
});

describe('printable', () => {
  test('escapes what ends a line, drives a terminal or reorders text; leaves the rest, Unicode included', () => {
    assert.equal(printable('plain – ü 日本 😀'), 'plain – ü 日本 😀');
    assert.equal(printable('a\nb\r\tc\x1b[0m\x7f\u0085\u2028\u2066'), 'a\\nb\\r\\tc\\u001b[0m\\u007f\\u0085\\u2028\\u2066');
    assert.equal(formatDiagnostic({ file: 'f\n.jsonl', line: 1, column: 2, severity: 'error', message: 'x\ny' }), 'f\\n.jsonl:1:2: error: x\\ny');
  });
});
