/**
 * `styletune votes report|merge` end to end: the built bundle (dist/cli.js) on the sample items and two
 * annotators' votes files, with the figures worked out by hand.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadItems } from '../../src/core/votes/items';
import type { VoteRecord } from '../../src/core/votes/records';
import type { VoteReport } from '../../src/core/votes/report';
import { generateVotes } from '../support/votesFile';
import { repoRoot } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');
const ITEMS = join(repoRoot, 'samples', 'workspace', 'votes', 'items.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'styletune-votes-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function styletune(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function votesFiles(): Promise<{ ana: string; bo: string }> {
  const { items } = await loadItems([ITEMS]);
  const hash = Object.fromEntries(items.map((i) => [i.id, i.promptHash]));
  let t = Date.parse('2026-03-01T10:00:00Z');
  const v = (annotator: string, item: string, A: string, winner: string, confidence: VoteRecord['confidence'] = null): VoteRecord => ({
    item_id: item,
    prompt_hash: hash[item],
    systems: { A, B: A === 'base' ? 'tuned' : 'base' },
    winner,
    confidence,
    annotator,
    time: new Date((t += 60_000)).toISOString(),
    session: `${annotator}-1`,
    seed: 5,
  });
  // ana: tuned wins coffee and rain; base wins movie and plans; tired a tie. She changed her mind on rain (tie → tuned).
  const ana = [v('ana', 'coffee', 'base', 'tuned', 'certainly'), v('ana', 'rain', 'tuned', 'tie'), v('ana', 'movie', 'tuned', 'base', 'likely'), v('ana', 'tired', 'base', 'tie'), v('ana', 'plans', 'base', 'base'), v('ana', 'rain', 'base', 'tuned', 'likely')];
  // bo: tuned wins coffee and plans, base wins movie.
  const bo = [v('bo', 'coffee', 'tuned', 'tuned', 'certainly'), v('bo', 'movie', 'base', 'base'), v('bo', 'plans', 'tuned', 'tuned')];
  const write = (name: string, vs: VoteRecord[]) => {
    const f = join(dir, name);
    writeFileSync(f, vs.map((x) => JSON.stringify(x) + '\n').join(''));
    return f;
  };
  return { ana: write('ana.votes.jsonl', ana), bo: write('bo.votes.jsonl', bo) };
}

describe('styletune votes', () => {
  test('report over two annotators with the shipped model: rates, intervals, agreement', async () => {
    const { ana, bo } = await votesFiles();
    const r = styletune('votes', 'report', ana, bo, '--items', ITEMS, '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as VoteReport;
    // 8 votes count (ana's first rain vote is replaced): tuned wins coffee×2, rain, plans (bo) = 4; 1 tie (tired);
    // loses movie×2, plans (ana) = 3. Rate (4 + 0.5) / 8 = 0.5625.
    assert.equal(report.votes, 8);
    assert.equal(report.duplicates, 1);
    const tuned = report.systems.find((s) => s.system === 'tuned')!;
    assert.deepEqual([tuned.wins, tuned.ties, tuned.losses], [4, 1, 3]);
    assert.equal(tuned.rate, 0.5625);
    // Wilson 95 % for 0.5625 of 8: centre (0.5625 + z²/16) / (1 + z²/8) = 0.80260 / 1.48018 = 0.54223,
    // half z/1.48018 · sqrt(0.5625·0.4375/8 + z²/256) = 1.32414 · 0.21393 = 0.28328 → [0.25895, 0.82550].
    assert.ok(Math.abs(tuned.interval.low - 0.25895) < 5e-5 && Math.abs(tuned.interval.high - 0.82550) < 5e-5);
    // The shipped model prefers tuned on every sample prompt but movie (it also likes the planned-activities
    // reply to "plans"; models/README.md says what it gets wrong). Decisive votes 7; it agrees with
    // coffee×2, rain, movie×2 and bo's plans = 6, not with ana's plans.
    assert.equal(report.agreement?.votes, 7);
    assert.equal(report.agreement?.agreed, 6);

    const text = styletune('votes', 'report', ana, bo, '--items', ITEMS);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^8 votes \(1 tie\) by 2 annotators: ana 5, bo 3$/m);
    assert.ok(text.stdout.includes('\n  tuned     56.3 %  [25.9 %, 82.6 %]  4-1-3 (won-tied-lost of 8)  mean reward '), text.stdout);
    assert.match(text.stdout, /^Reward model agreement \(.*\): 85\.7 % \[.*\] of 7 decisive votes$/m);
    assert.match(text.stdout, /^ {2}coffee: 2 votes, leader tuned \(base 0, tuned 2\) {2}"how do you take your coffee\?"$/m);
  });

  test('merge writes one vote per annotator and comparison, by time; bad lines are named with file and line', async () => {
    const { ana, bo } = await votesFiles();
    writeFileSync(bo, readFileSync(bo, 'utf8') + '{"item_id": 1}\n');
    const out = join(dir, 'merged.votes.jsonl');
    const r = styletune('votes', 'merge', ana, bo, '--out', out);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `${bo}:4:1: error: not a vote record: \`item_id\` must be a string, got number\n`);
    assert.match(r.stdout, /^Wrote 8 votes to .* \(1 older duplicate dropped\)$/m);
    const merged = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as VoteRecord);
    assert.equal(merged.length, 8);
    const times = merged.map((v) => Date.parse(v.time));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.equal(merged.filter((v) => v.item_id === 'rain' && v.annotator === 'ana')[0].winner, 'tuned');
    // The merged file reports the same as the two files.
    const again = JSON.parse(styletune('votes', 'report', out, '--json').stdout) as VoteReport;
    assert.equal(again.systems.find((s) => s.system === 'tuned')!.rate, 0.5625);
  });

  test('300,000 votes are reported within a 96 MB heap: they stream through the tally instead of being held as a list', async () => {
    // Held as a list of records, these votes needed a heap of 128-192 MB; the tally needs under 48 MB.
    const big = join(dir, 'big');
    mkdirSync(big);
    const { votesFile } = await generateVotes(big, 300_000);
    const r = spawnSync(process.execPath, ['--max-old-space-size=96', CLI, 'votes', 'report', votesFile, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const report = JSON.parse(r.stdout) as VoteReport;
    assert.equal(report.votes + report.duplicates, 300_000);
    assert.equal(report.systems.length, 4);
    rmSync(big, { recursive: true, force: true });
  });

  test('usage errors exit 2 with the help', () => {
    const r = styletune('votes', 'report');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs at least one votes file/);
    assert.equal(styletune('votes', 'merge', 'x.jsonl').code, 2);
    assert.equal(styletune('votes', 'tally', 'x.jsonl').code, 2);
    assert.match(styletune('votes', '--help').stdout, /^Usage: styletune votes report/);
  });
});
