/**
 * Pair building (src/core/pairs): the selection rules checked against hand-computed cases, the input
 * formats and their diagnostics, contrast filtering, and both recipes on the real shared corpora, where
 * the expected counts are recomputed independently from `scoreJsonlFile` (the path `styletune score` uses).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lineCandidates, readCandidates, PairsInputError, type Candidate } from '../../src/core/pairs/candidates';
import { judgeContrast, summarizeContrast, withSystemPrompt, type ContrastCase } from '../../src/core/pairs/contrast';
import { buildRankedPairs, splitSharedPrompt, trlShape, writeJsonlAtomic } from '../../src/core/pairs/ranked';
import { peekFile } from '../../src/core/pairs/peek';
import { runContrast, runRanked } from '../../src/core/pairs/run';
import { sampleSd, selectGroup } from '../../src/core/pairs/select';
import { RewardModel } from '../../src/core/reward/model';
import { scoreJsonlFile } from '../../src/core/score';
import { readRecords } from '../../src/core/formats';
import { repoRoot, requireShared } from './paths';

const pairsOf = (sel: { pairs: { chosen: number; rejected: number }[] }) => sel.pairs.map((p) => [p.chosen, p.rejected]);

describe('selection rules (hand-computed)', () => {
  test('sample SD uses n − 1, as pandas', () => {
    // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / 3
    assert.ok(Math.abs(sampleSd([1, 2, 3, 4]) - Math.sqrt(5 / 3)) < 1e-12);
    assert.equal(sampleSd([7]), 0);
    assert.equal(sampleSd([]), 0);
  });

  test('k SD within the group: every two candidates whose gap exceeds k·SD, best chosen first', () => {
    const scores = [1, 2, 3, 4]; // SD √(5/3) ≈ 1.291
    // k = 0.5: threshold 0.645, every gap (≥ 1) passes: 6 pairs ordered by chosen score, then by rejected score
    assert.deepEqual(pairsOf(selectGroup(scores, { kind: 'sd', k: 0.5, scope: 'group' })), [[3, 2], [3, 1], [3, 0], [2, 1], [2, 0], [1, 0]]);
    // k = 1: threshold 1.291, gaps of 1 fail
    assert.deepEqual(pairsOf(selectGroup(scores, { kind: 'sd', k: 1, scope: 'group' })), [[3, 1], [3, 0], [2, 0]]);
    // k = 1.6: threshold 2.066, only 4 − 1 = 3
    const one = selectGroup(scores, { kind: 'sd', k: 1.6, scope: 'group' });
    assert.deepEqual(one.pairs, [{ chosen: 3, rejected: 0, gap: 3 }]);
    assert.ok(Math.abs(one.threshold - 1.6 * Math.sqrt(5 / 3)) < 1e-12);
    // indices follow the input: 4 (index 2) over 2 (index 3) and 1 (index 1), then 3 (index 0) over 1
    assert.deepEqual(pairsOf(selectGroup([3, 1, 4, 2], { kind: 'sd', k: 1, scope: 'group' })), [[2, 3], [2, 1], [0, 1]]);
  });

  test('the gap must be strictly greater: two candidates pair at k < √2 only', () => {
    // [0, 1]: SD = 1/√2 ≈ 0.7071, so the gap 1 exceeds k·SD iff k < √2
    assert.equal(selectGroup([0, 1], { kind: 'sd', k: 1.41, scope: 'group' }).pairs.length, 1);
    const none = selectGroup([0, 1], { kind: 'sd', k: 1.5, scope: 'group' });
    assert.equal(none.skipped, 'below-threshold');
    assert.deepEqual(none.pairs, []);
  });

  test('scope all uses the SD given for the whole run (HAL\'s notebook)', () => {
    // threshold 0.5: 1 − 0.4 = 0.6 and 1 − 0 pass, 0.4 − 0 does not
    assert.deepEqual(pairsOf(selectGroup([0, 0.4, 1], { kind: 'sd', k: 0.5, scope: 'all' }, { globalSd: 1 })), [[2, 1], [2, 0]]);
    assert.equal(selectGroup([0, 0.4], { kind: 'sd', k: 0.5, scope: 'all' }, { globalSd: 1 }).skipped, 'below-threshold');
    assert.throws(() => selectGroup([0, 1], { kind: 'sd', k: 0.5, scope: 'all' }), /SD over all candidates/);
  });

  test('best vs worst, single and tied groups, and the per-group cap', () => {
    assert.deepEqual(selectGroup([2, 5, 1], { kind: 'best-worst' }).pairs, [{ chosen: 1, rejected: 2, gap: 4 }]);
    // ties: the earlier candidate counts as better, so the best is index 0 and the worst index 2
    assert.deepEqual(pairsOf(selectGroup([5, 5, 1, 1], { kind: 'best-worst' })), [[0, 3]]);
    assert.equal(selectGroup([3], { kind: 'best-worst' }).skipped, 'single');
    assert.equal(selectGroup([2, 2, 2], { kind: 'sd', k: 0, scope: 'group' }).skipped, 'tied');
    assert.equal(selectGroup([2, 2], { kind: 'best-worst' }).skipped, 'tied');
    // cap 2 of [1,2,3,4] at k 0.5: widest gaps 3 (3,0), then 2 twice: (3,1) comes first in order
    const capped = selectGroup([1, 2, 3, 4], { kind: 'sd', k: 0.5, scope: 'group' }, { maxPerGroup: 2 });
    assert.deepEqual(pairsOf(capped), [[3, 1], [3, 0]]);
    assert.equal(capped.eligible, 6);
  });
});

describe('candidates and pair lines', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'styletune-pairs-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each line format, and the reasons a line is refused', () => {
    const r = lineCandidates({ prompt: 'hi', responses: ['a', 'b'] }, 3);
    assert.ok('candidates' in r);
    assert.deepEqual(r.candidates.map((c) => [c.group, c.index, c.response]), [['line 3', 0, 'a'], ['line 3', 1, 'b']]);
    const g = lineCandidates({ prompt: 'hi', response: 'a', persona: 7 }, 4, ['persona']);
    assert.ok('candidates' in g && g.candidates[0].group === 'persona=7');
    const t = lineCandidates({ prompt: 'hi', text: 'from generate', index: 0 }, 5);
    assert.ok('candidates' in t && t.candidates[0].group === 'prompt "hi"');
    const err = (v: unknown, groupBy?: string[]) => {
      const x = lineCandidates(v, 1, groupBy);
      assert.ok('error' in x, JSON.stringify(v));
      return x;
    };
    assert.match(err({ prompt: 'p', chosen: 'a', rejected: 'b' }).error, /already a pair/);
    assert.match(err({ response: 'a' }).error, /no `prompt` and no --group-by/);
    assert.match(err({ response: 'a', k: 1 }, ['k']).error, /`prompt` is missing: a text answer needs the prompt/);
    assert.match(err({ responses: ['a', 3] }).error, /`responses\[1\]` must be a string or a list of messages, got number/);
    assert.match(err({ messages: [{ role: 'user', content: 'x' }] }, ['dialogue_id']).error, /`dialogue_id` is missing/);
    const fatal = err({ messages: [{ role: 'user', content: 'x' }] });
    assert.ok(fatal.fatal && /--group-by FIELD/.test(fatal.error));
    assert.match(err([1]).error, /got array/);
  });

  test('a file: diagnostics carry file and line, other lines still count; a group keeps one prompt', async () => {
    const file = join(dir, 'cands.jsonl');
    writeFileSync(file, [
      JSON.stringify({ prompt: 'p1', response: 'first', k: 'a' }),
      '{not json',
      JSON.stringify({ prompt: 'p2', response: 'other prompt', k: 'a' }),
      JSON.stringify({ prompt: 'p1', response: 'second', k: 'a' }),
      '',
      JSON.stringify({ prompt: 'p1', responses: ['x', 'y'], k: 'b' }),
    ].join('\n'));
    const r = await readCandidates(file, { groupBy: ['k'] });
    assert.equal(r.lines, 5);
    assert.deepEqual(r.candidates.map((c) => [c.line, c.group]), [[1, 'k=a'], [4, 'k=a'], [6, 'k=b'], [6, 'k=b']]);
    assert.deepEqual(r.diagnostics.map((d) => [d.file, d.line]), [[file, 2], [file, 3]]);
    assert.match(r.diagnostics[1].message, /prompt differs from the one of line 1 in the same group \(k=a\)/);

    writeFileSync(file, JSON.stringify({ messages: [{ role: 'assistant', content: 'hi' }] }) + '\n');
    await assert.rejects(readCandidates(file), (e: unknown) => e instanceof PairsInputError && /cands\.jsonl:1: dialogue lines need --group-by/.test((e as Error).message));
  });

  test('pair lines: text stays text, any message list makes all messages, dialogues share their leading turns', () => {
    assert.deepEqual(trlShape('q', 'a', 'b'), { prompt: 'q', chosen: 'a', rejected: 'b' });
    assert.deepEqual(trlShape([{ role: 'user', content: 'q' }], 'a', 'b'), {
      prompt: [{ role: 'user', content: 'q' }],
      chosen: [{ role: 'assistant', content: 'a' }],
      rejected: [{ role: 'assistant', content: 'b' }],
    });
    const u = { role: 'user', content: 'hello' };
    const a1 = { role: 'assistant', content: 'hey!' };
    const a2 = { role: 'assistant', content: 'Greetings.' };
    assert.deepEqual(splitSharedPrompt([u, a1], [u, a2]), { prompt: [u], chosen: [a1], rejected: [a2] });
    // identical dialogues still keep one turn each side
    assert.deepEqual(splitSharedPrompt([u], [u]), { prompt: [], chosen: [u], rejected: [u] });
  });

  test('buildRankedPairs: scores and gap kept, empty and unscorable candidates left out and counted', () => {
    const c = (line: number, group: string, response: string, index?: number): Candidate => ({ line, group, prompt: 'q', response, kind: 'response', index });
    const cands = [c(1, 'g1', 'a', 0), c(1, 'g1', 'b', 1), c(1, 'g1', '  ', 2), c(2, 'g2', 'solo'), c(3, 'g3', 'x'), c(4, 'g3', 'y')];
    const scores = [2, -1, 5, 0, 1, NaN];
    const r = buildRankedPairs(cands, scores, { rule: { kind: 'best-worst' }, groupField: true });
    assert.deepEqual(r.pairs, [{ prompt: 'q', chosen: 'a', rejected: 'b', chosen_score: 2, rejected_score: -1, gap: 3, group: 'g1', chosen_line: 1, rejected_line: 1, chosen_index: 0, rejected_index: 1 }]);
    assert.deepEqual(r.excluded.map((e) => [e.candidate.line, e.reason]), [[1, 'empty'], [4, 'unscorable']]);
    assert.equal(r.summary.groups, 3);
    assert.equal(r.summary.pairs, 1);
    assert.deepEqual(r.summary.skipped, { single: 2, tied: 0, 'below-threshold': 0 });
    assert.equal(r.summary.empty, 1);
    assert.equal(r.summary.unscorable, 1);
  });
  test('pair files are written in chunks, whole, with no temp file left', async () => {
    const file = join(dir, 'out.pairs.jsonl');
    const records = Array.from({ length: 600 }, (_, i) => ({ prompt: `p${i}`, chosen: 'a', rejected: 'b\nc', gap: i }));
    await writeJsonlAtomic(file, records);
    assert.equal(readFileSync(file, 'utf8'), records.map((r) => JSON.stringify(r) + '\n').join(''));
    await writeJsonlAtomic(file, []);
    assert.equal(readFileSync(file, 'utf8'), '');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });
});

describe('contrast filtering (hand cases)', () => {
  const base: ContrastCase = { line: 1, prompt: 'q', casual: 'lol yeah', formal: 'Certainly.' };
  test('each reason, in order, and the margin boundary', () => {
    assert.deepEqual(judgeContrast(base, 3, 1, 2), { kept: true, gap: 2 }, 'a gap equal to the margin is kept');
    assert.deepEqual(judgeContrast(base, 2.5, 1, 2), { kept: false, reason: 'below-margin', gap: 1.5 });
    assert.deepEqual(judgeContrast(base, 1, 1, 0), { kept: true, gap: 0 });
    assert.deepEqual(judgeContrast(base, 0, 1, 0), { kept: false, reason: 'disagreed', gap: -1 });
    assert.equal(judgeContrast({ ...base, formal: ' ' }, 5, 0, 1).reason, 'empty');
    assert.equal(judgeContrast({ ...base, casualTruncated: true }, 5, 0, 1).reason, 'truncated');
    assert.equal(judgeContrast({ ...base, casualTruncated: true }, 5, 0, 1, true).kept, true);
    assert.equal(judgeContrast(base, NaN, 0, 1).reason, 'unscorable');
    const s = summarizeContrast([judgeContrast(base, 3, 1, 1), judgeContrast(base, 0, 1, 1), judgeContrast(base, 1.5, 1, 1)], 1);
    assert.deepEqual({ kept: s.kept, dropped: s.dropped, mean: s.meanKeptGap }, { kept: 1, dropped: { empty: 0, truncated: 0, unscorable: 0, disagreed: 1, 'below-margin': 1 }, mean: 2 });
  });

  test('the system prompt replaces a leading system turn', () => {
    assert.deepEqual(withSystemPrompt('hi', 'S'), [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }]);
    assert.deepEqual(withSystemPrompt([{ role: 'system', content: 'old' }, { role: 'user', content: 'hi' }], 'S'), [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }]);
  });
});

describe('real data (../shared/data) with the shipped reward', () => {
  let model: RewardModel;
  before(async () => (model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'))));
  after(async () => model?.dispose());

  /** Dialogue scores per dialogue_id, through scoreJsonlFile rather than the pairs code. */
  async function rolePlayScores(file: string): Promise<Map<string, number[]>> {
    const persona = new Map<number, string>();
    for await (const it of readRecords(file)) if ('record' in it) persona.set(it.line, String(it.record.raw.dialogue_id));
    const groups = new Map<string, number[]>();
    for await (const r of scoreJsonlFile(file, model)) {
      assert.equal(r.kind, 'dialogue', `line ${r.line}`);
      if (r.kind !== 'dialogue') continue;
      const g = persona.get(r.line)!;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(r.result.score);
    }
    return groups;
  }

  const countOver = (scores: number[], threshold: number) => {
    let n = 0;
    for (let i = 0; i < scores.length; i++) for (let j = 0; j < scores.length; j++) if (scores[i] - scores[j] > threshold && scores[i] > scores[j]) n++;
    return n;
  };

  test('roleplay: reward-ranked pairs per persona at k = 0.5 SD (group and all), matching an independent count', async () => {
    const file = requireShared('roleplay/judge_scored.jsonl');
    const groups = await rolePlayScores(file);
    assert.equal(groups.size, 100, '100 personas');
    const perGroup = [...groups.values()].reduce((n, s) => n + countOver(s, 0.5 * sampleSd(s)), 0);
    const all = [...groups.values()].flat();
    const threshold = 0.5 * sampleSd(all);
    const overAll = [...groups.values()].reduce((n, s) => n + countOver(s, threshold), 0);

    const r = await runRanked({ file, groupBy: ['dialogue_id'], rule: { kind: 'sd', k: 0.5, scope: 'group' }, model });
    assert.equal(r.diagnostics.length, 0);
    assert.equal(r.summary.candidates, 4460);
    assert.equal(r.summary.groups, 100);
    assert.equal(r.pairs.length, perGroup);
    assert.ok(perGroup > 10_000, `${perGroup} pairs`);
    const first = r.pairs[0] as Record<string, any>;
    assert.ok(Array.isArray(first.chosen) && Array.isArray(first.rejected), 'dialogues stay message lists');
    assert.equal(first.prompt, undefined, 'roleplay dialogues share no leading turn');
    for (const p of r.pairs as Record<string, any>[]) {
      assert.ok(p.gap > 0 && Math.abs(p.gap - (p.chosen_score - p.rejected_score)) < 1e-12);
      assert.ok(p.chosen_line !== p.rejected_line);
    }
    assert.match(String(first.group), /^dialogue_id=\d+$/);

    const hal = await runRanked({ file, groupBy: ['dialogue_id'], rule: { kind: 'sd', k: 0.5, scope: 'all' }, model });
    assert.equal(hal.pairs.length, overAll);
    assert.ok(Math.abs(hal.summary.threshold! - threshold) < 1e-9);

    const bw = await runRanked({ file, groupBy: ['dialogue_id'], rule: { kind: 'best-worst' }, model, maxPerGroup: 1 });
    assert.equal(bw.pairs.length, 100);
    for (const p of bw.pairs as Record<string, any>[]) {
      const s = groups.get(String(p.group).slice('dialogue_id='.length))!;
      assert.ok(Math.abs(p.chosen_score - Math.max(...s)) < 1e-9 && Math.abs(p.rejected_score - Math.min(...s)) < 1e-9);
    }
  });

  test('human-like-dpo: the contrast filter keeps the pairs whose margin reaches the threshold', async () => {
    const file = requireShared('human-like-dpo/pairs.dev.jsonl');
    const margins: number[] = [];
    for await (const r of scoreJsonlFile(file, model)) if (r.kind === 'pair') margins.push(r.result.margin);
    assert.equal(margins.length, 4948);
    for (const margin of [0, 1, 3]) {
      const r = await runContrast({ file, margin, model });
      const expected = margins.filter((m) => m >= margin).length;
      assert.equal(r.summary.kept, expected, `margin ${margin}`);
      assert.equal(r.pairs.length, expected);
      assert.equal(r.summary.dropped.disagreed, margins.filter((m) => m < 0).length);
      assert.equal(r.summary.dropped['below-margin'], margins.filter((m) => m >= 0 && m < margin).length);
      assert.equal(r.summary.kept + r.dropped.length, 4948);
    }
    const kept = (await runContrast({ file, margin: 1, model })).pairs[0] as Record<string, any>;
    assert.deepEqual(Object.keys(kept), ['prompt', 'chosen', 'rejected', 'chosen_score', 'rejected_score', 'gap', 'line']);
  });
});

describe('peekFile: which fields could group lines', () => {
  test('ids and labels that repeat are offered with their group counts, a fractional score never is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'styletune-peek-'));
    try {
      const file = join(dir, 'roleplay.jsonl');
      const messages = [{ role: 'assistant', content: 'hi doc' }];
      const lines = [0, 1, 2, 3, 4, 5].map((i) => JSON.stringify({ model: 'm', epoch: i % 2, dialogue_id: Math.floor(i / 3), hal16_score: i === 5 ? 1.5 : -0.25, messages }));
      writeFileSync(file, `${lines.join('\n')}\n`);
      const peek = await peekFile(file);
      assert.equal(peek.main, 'dialogue');
      // dialogue_id first (persona-like), then epoch; model has one value (no choice), hal16_score is a measurement.
      assert.deepEqual(peek.groupFields, [
        { field: 'dialogue_id', groups: 2, lines: 6, example: '0' },
        { field: 'epoch', groups: 2, lines: 6, example: '0' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
