/**
 * Out-of-domain notices: a file whose responses are far from what the reward model was fitted on says
 * so once, in plain words, with what the model was fitted on; files like the fitting data say nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DomainCheck, FAR_TRAITS, type DomainSummary } from '../../src/core/reward/domain';
import { RewardModel } from '../../src/core/reward/model';
import { scoreJsonlFile } from '../../src/core/score';
import { fixtures, repoRoot, requireShared } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');
const longForm = join(fixtures, 'domain', 'long-answers.pairs.jsonl');
let model: RewardModel;
before(async () => (model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'))));
after(() => model.dispose());

async function verdict(file: string) {
  const check = new DomainCheck(model.traitIds, model.spec.domain);
  for await (const r of scoreJsonlFile(file, model, { candidates: true })) check.addLine(r);
  return check.verdict();
}

describe('the default model knows what it was fitted on', () => {
  test('its file carries the fitting data in plain words and in numbers', () => {
    const d = model.spec.domain!;
    assert.match(d.fittedOn, /Turing-test games/);
    assert.equal(d.traitRange.length, model.traitIds.length);
    const [lo, median, hi] = d.wordsPerTurn;
    assert.ok(lo < median && median < d.wordsPerTurn90! && d.wordsPerTurn90! <= hi, JSON.stringify(d));
  });

  test('long-form answers (Reddit-style, human and LLM) get a notice naming their length and the fitting data', async () => {
    const v = (await verdict(longForm))!;
    assert.equal(v.responses, 8);
    assert.ok(v.medianWords > model.spec.domain!.wordsPerTurn90!, `${v.medianWords}`);
    assert.match(v.notice!, /^These responses are far from what the reward model was fitted on: their median is \d+ words per turn, longer than 90 % of the responses it was fitted on \(\d+ words per turn or less\)\. It was fitted on chat: Turing-test games/);
    assert.match(v.notice!, /Its scores here may mislead/);
  });

  test('chat like the fitting data gets none: the samples, the Turing games, the casual-vs-formal pairs', async () => {
    for (const file of [join(repoRoot, 'samples', 'workspace', 'pairs.jsonl'), join(repoRoot, 'samples', 'workspace', 'dialogues.jsonl'), join(repoRoot, 'samples', 'workspace', 'contrastive.jsonl'), requireShared('turing/games.dev.jsonl'), requireShared('human-like-dpo/pairs.dev.jsonl')]) {
      const v = await verdict(file);
      assert.ok(v && v.responses > 0, file);
      assert.equal(v.notice, undefined, `${file}: ${v.notice}`);
    }
  });
});

describe('the trait criterion', () => {
  const domain: DomainSummary = { fittedOn: 'test chat', responses: 100, wordsPerTurn: [2, 10, 40], wordsPerTurn90: 30, traitRange: [[0, 1], [0, 1], [0, 1], [0, 1], [0, 1]] };
  const ids = ['a', 'b', 'c', 'd', 'e'];
  // log2(1 + 10): a response of 10 words per turn, well inside the length range.
  const response = (v: number, n: number) => ({ traits: { length: Math.log2(11), ...Object.fromEntries(ids.map((id, j) => [id, j < n ? v : 0.5])) } });

  test(`most responses with ${FAR_TRAITS} or more traits beyond the fitting range are a notice naming those traits`, () => {
    const check = new DomainCheck(ids, domain);
    for (let i = 0; i < 6; i++) check.add(response(5, FAR_TRAITS));
    for (let i = 0; i < 4; i++) check.add(response(0.5, 0));
    const v = check.verdict()!;
    assert.equal(v.medianWords, 10);
    assert.equal(v.farShare, 0.6);
    assert.match(v.notice!, /60 % of them have 4 or more traits beyond anything seen in fitting \(most often a, b, c\)/);
    assert.match(v.notice!, /It was fitted on test chat\./);
  });

  test('a few far responses, or fewer far traits each, or values at the edge of the range are no notice', () => {
    const check = new DomainCheck(ids, domain);
    for (let i = 0; i < 4; i++) check.add(response(5, FAR_TRAITS));
    for (let i = 0; i < 4; i++) check.add(response(5, FAR_TRAITS - 1));
    for (let i = 0; i < 2; i++) check.add(response(1.04, 5));
    assert.equal(check.verdict()!.notice, undefined);
  });

  test('a model without a fitting summary (format 1) cannot say, and says nothing', () => {
    const check = new DomainCheck(ids, undefined);
    check.add(response(5, 5));
    assert.equal(check.available, false);
    assert.equal(check.verdict(), undefined);
  });
});

describe('styletune score', () => {
  test('prints the notice once on stderr after the lines, stdout stays one JSON line per input line', () => {
    const r = spawnSync(process.execPath, [CLI, 'score', longForm], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 4);
    const notes = r.stderr.split('\n').filter((l) => l.includes('note:'));
    assert.equal(notes.length, 1, r.stderr);
    assert.match(notes[0], /long-answers\.pairs\.jsonl: note: These responses are far from what the reward model was fitted on: their median is \d+ words per turn/);
  });

  test('says nothing for a file like its fitting data', () => {
    const r = spawnSync(process.execPath, [CLI, 'score', join(repoRoot, 'samples', 'workspace', 'pairs.jsonl')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});
