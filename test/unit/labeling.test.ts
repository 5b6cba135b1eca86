import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  applyDecision,
  nextUnlabeled,
  parseLine,
  progressOf,
  rankingToPairs,
  replaceLine,
  stepItem,
  unlabeledLine,
  type Decision,
} from '../../src/core/labeling';
import { toRecord } from '../../src/core/formats';
import { isHostMessage, isWebviewMessage } from '../../webview/labeling/protocol';
import { join } from 'node:path';
import { analyze } from '../../src/extension/labeling/analysis';
import type { LabelItem } from '../../src/core/labeling';
import { RewardModel } from '../../src/core/reward/model';
import { repoRoot } from './paths';

const meta = { time: '2026-11-22T03:30:00.000Z', annotator: 'ana' };
const line = (o: unknown) => JSON.stringify(o);

describe('parseLine', () => {
  test('reads responses, TRL pairs and labels; refuses what has no candidates', () => {
    assert.deepEqual(parseLine(line({ prompt: 'hi', responses: ['a', 'b'] })), { item: { prompt: 'hi', candidates: ['a', 'b'] } });
    assert.deepEqual(parseLine(line({ chosen: 'a', rejected: 'b' })), { item: { candidates: ['a', 'b'] } });
    assert.deepEqual(parseLine('   '), { blank: true });
    assert.match((parseLine('{"prompt": 1') as { error: string }).error, /not JSON/);
    assert.match((parseLine(line({ messages: [] })) as { error: string }).error, /no candidates/);
    assert.match((parseLine(line({ responses: ['only one'] })) as { error: string }).error, /at least two/);
    const labeled = parseLine(line({ responses: ['a', 'b', 'c'], label: { choice: 'rank', ranking: [2, 3, 1], time: 't', annotator: 'x' } }));
    assert.deepEqual(labeled, { item: { candidates: ['a', 'b', 'c'], label: { choice: 'rank', ranking: [2, 3, 1], time: 't', annotator: 'x' } } });
    // A ranking that does not cover the candidates is not a label this labeler wrote: the item is unlabeled.
    assert.equal((parseLine(line({ responses: ['a', 'b', 'c'], label: { choice: 'rank', ranking: [2, 2, 1] } })) as { item: { label?: unknown } }).item.label, undefined);
  });
});

describe('applyDecision', () => {
  const unlabeled = line({ id: 7, prompt: 'lunch?', responses: ['tacos obv', 'I am unable to eat.'], meta: { src: 'x' } });

  test('choice 2 puts the second candidate in `chosen` and keeps every other field in place', () => {
    const out = applyDecision(unlabeled, { choice: '2' }, meta);
    assert.equal(
      out,
      line({
        id: 7,
        prompt: 'lunch?',
        responses: ['tacos obv', 'I am unable to eat.'],
        meta: { src: 'x' },
        chosen: 'I am unable to eat.',
        rejected: 'tacos obv',
        label: { choice: '2', time: meta.time, annotator: 'ana' },
      }),
    );
    // The labeled line is a TRL pair the rest of StyleTune reads.
    const record = toRecord(JSON.parse(out), 'f', 1);
    assert.ok('record' in record && record.record.kind === 'pair');
  });

  test('a TRL pair keeps its candidate order in `responses`, so relabeling it keeps the numbers', () => {
    const trl = line({ prompt: 'p', chosen: 'A', rejected: 'B', x: 1 });
    const two = applyDecision(trl, { choice: '2' }, meta);
    assert.equal(two, line({ prompt: 'p', responses: ['A', 'B'], chosen: 'B', rejected: 'A', x: 1, label: { choice: '2', time: meta.time, annotator: 'ana' } }));
    const one = applyDecision(two, { choice: '1' }, meta);
    assert.deepEqual([JSON.parse(one).chosen, JSON.parse(one).rejected], ['A', 'B']);
  });

  test('tie and skip remove `chosen`/`rejected`, so nothing trains on them', () => {
    const chosen = applyDecision(unlabeled, { choice: '1' }, meta);
    for (const choice of ['tie', 'skip'] as const) {
      const o = JSON.parse(applyDecision(chosen, { choice }, meta));
      assert.equal(o.chosen, undefined);
      assert.equal(o.rejected, undefined);
      assert.deepEqual(o.label, { choice, time: meta.time, annotator: 'ana' });
      assert.deepEqual(o.responses, ['tacos obv', 'I am unable to eat.']);
    }
  });

  test('a ranking writes best/worst as the pair, every derived pair, and the ranking', () => {
    const three = line({ prompt: 'p', responses: ['a', 'b', 'c'] });
    const o = JSON.parse(applyDecision(three, { choice: 'rank', ranking: [3, 1, 2] }, meta));
    assert.equal(o.chosen, 'c');
    assert.equal(o.rejected, 'b');
    assert.deepEqual(o.pairs, [
      { chosen: 'c', rejected: 'a' },
      { chosen: 'c', rejected: 'b' },
      { chosen: 'a', rejected: 'b' },
    ]);
    assert.deepEqual(o.label, { choice: 'rank', time: meta.time, annotator: 'ana', ranking: [3, 1, 2] });
    // Back to a tie: the derived pairs go too.
    assert.equal(JSON.parse(applyDecision(line(o), { choice: 'tie' }, meta)).pairs, undefined);
  });

  test('refuses decisions that do not fit the item', () => {
    assert.throws(() => applyDecision(unlabeled, { choice: 'rank', ranking: [1, 2] }, meta), /does not fit/);
    assert.throws(() => applyDecision(line({ responses: ['a', 'b', 'c'] }), { choice: '1' }, meta), /does not fit/);
    assert.throws(() => applyDecision(line({ responses: ['a', 'b', 'c'] }), { choice: 'rank', ranking: [1, 1, 2] }, meta), /does not fit/);
    assert.throws(() => applyDecision('{', { choice: '1' }, meta), /not JSON/);
  });
});

describe('rankings, progress and navigation', () => {
  test('rankingToPairs lists n(n-1)/2 pairs, better first', () => {
    assert.deepEqual(rankingToPairs([2, 1]), [[2, 1]]);
    assert.deepEqual(rankingToPairs([1, 3, 2]), [
      [1, 3],
      [1, 2],
      [3, 2],
    ]);
    assert.equal(rankingToPairs([1, 2, 3, 4, 5]).length, 10);
  });

  test('progress counts decisions and skips; navigation passes over blank and bad lines', () => {
    const items = [
      line({ responses: ['a', 'b'], label: { choice: '1' } }),
      '',
      'oops',
      line({ responses: ['a', 'b'], label: { choice: 'skip' } }),
      line({ responses: ['a', 'b'] }),
    ].map(parseLine);
    assert.deepEqual(progressOf(items), { total: 3, labeled: 1, skipped: 1, invalid: 1 });
    assert.equal(nextUnlabeled(items, 0), 4);
    assert.equal(nextUnlabeled(items, 4), 4);
    assert.equal(stepItem(items, 0, 1), 3);
    assert.equal(stepItem(items, 3, -1), 0);
    assert.equal(stepItem(items, 0, -1), 0);
  });

  test('unlabeledLine is what the labeler reads as a fresh item', () => {
    assert.deepEqual(parseLine(unlabeledLine(['x', 'y'], { source: 'a.md' })), { item: { candidates: ['x', 'y'] } });
    assert.throws(() => unlabeledLine(['x']));
  });
});

describe('replaceLine', () => {
  test('keeps CRLF and the missing last newline', () => {
    assert.deepEqual(replaceLine('a\r\nb\r\nc', 1, 'B'), { text: 'a\r\nB\r\nc', old: 'b' });
    assert.deepEqual(replaceLine('a\nb', 1, 'B'), { text: 'a\nB', old: 'b' });
    assert.throws(() => replaceLine('a', 3, 'x'), RangeError);
  });
});

describe('property: labeling a line then undoing it', () => {
  const text = fc.string({ maxLength: 12 });
  const turns = fc.oneof(text, fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: text }), { minLength: 1, maxLength: 2 }));
  // Extra fields the labeler must not touch; JSON values only (what a JSONL line can hold).
  const extra = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !['chosen', 'rejected', 'pairs', 'label', 'responses', 'prompt', '__proto__'].includes(k)),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  );
  const item = fc.record({ prompt: fc.option(turns, { nil: undefined }), responses: fc.array(turns, { minLength: 2, maxLength: 5 }), extra, trl: fc.boolean() });
  const decisionFor = (n: number): fc.Arbitrary<Decision> =>
    n === 2
      ? fc.constantFrom<Decision>({ choice: '1' }, { choice: '2' }, { choice: 'tie' }, { choice: 'skip' })
      : fc.oneof(
          fc.constantFrom<Decision>({ choice: 'tie' }, { choice: 'skip' }),
          fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: n, maxLength: n }).map((ranking): Decision => ({ choice: 'rank', ranking })),
        );
  const doc = fc
    .record({ items: fc.array(item, { minLength: 1, maxLength: 4 }), crlf: fc.boolean(), finalNewline: fc.boolean() })
    .chain((d) => fc.record({ d: fc.constant(d), at: fc.nat(d.items.length - 1) }))
    .chain(({ d, at }) => {
      const it = d.items[at];
      const n = it.trl ? 2 : it.responses.length;
      return fc.record({ d: fc.constant(d), at: fc.constant(at), decision: decisionFor(n) });
    });

  test('gives back the original text, and the label keeps every other field', () => {
    fc.assert(
      fc.property(doc, ({ d, at, decision }) => {
        const lines = d.items.map((it) => {
          const base: Record<string, unknown> = { ...it.extra };
          if (it.prompt !== undefined) base.prompt = it.prompt;
          if (it.trl) Object.assign(base, { chosen: it.responses[0], rejected: it.responses[1] });
          else base.responses = it.responses;
          return JSON.stringify(base);
        });
        const eol = d.crlf ? '\r\n' : '\n';
        const original = lines.join(eol) + (d.finalNewline ? eol : '');

        const labeled = applyDecision(lines[at], decision, meta);
        const edited = replaceLine(original, at, labeled);
        assert.equal(edited.old, lines[at]);
        const undone = replaceLine(edited.text, at, edited.old);
        assert.equal(undone.text, original);

        const before = JSON.parse(lines[at]) as Record<string, unknown>;
        const after = JSON.parse(edited.text.split(eol)[at]) as Record<string, unknown>;
        for (const [k, v] of Object.entries(before)) {
          if (k === 'chosen' || k === 'rejected') continue;
          assert.deepEqual(after[k], v, `field ${k} kept`);
        }
        const it = d.items[at];
        assert.deepEqual(after.responses, JSON.parse(JSON.stringify(it.trl ? it.responses.slice(0, 2) : it.responses)));
        assert.equal((after.label as { choice: string }).choice, decision.choice);
        // Every other line is untouched.
        edited.text.split(eol).forEach((l, i) => i !== at && assert.equal(l, original.split(eol)[i]));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the labeler protocol refuses malformed messages', () => {
  test('webview → host', () => {
    assert.ok(isWebviewMessage({ type: 'ready' }));
    assert.ok(isWebviewMessage({ type: 'focus', focused: true }) && !isWebviewMessage({ type: 'focus' }) && !isWebviewMessage({ type: 'focus', focused: 'no' }));
    for (const key of ['1', '9', 't', 's', 'u', 'r', 'j', 'k', 'n', 'ArrowLeft', 'ArrowRight', 'Escape', 'Backspace']) assert.ok(isWebviewMessage({ type: 'key', key }), key);
    for (const bad of [null, 'undo', { type: 'key' }, { type: 'key', key: '0' }, { type: 'key', key: 'x' }, { type: 'key', key: 1 }, { type: 'key', key: 'Enter' }, { type: 'decide', line: 0, decision: { choice: '1' } }, { type: 'eval' }]) {
      assert.equal(isWebviewMessage(bad), false, JSON.stringify(bad));
    }
  });

  test('host → webview', () => {
    const item = { line: 0, position: 1, prompt: [{ role: 'user', content: 'hi' }], candidates: ['a', 'b'], traits: [{ id: 'x', label: 'X', description: 'd', values: [1, 2], contributions: [0.5, -0.5] }] };
    const state = { file: 'f', version: 3, progress: { total: 1, labeled: 0, skipped: 0, invalid: 0 }, ranking: [], item };
    assert.ok(isHostMessage({ type: 'state', state }));
    assert.ok(isHostMessage({ type: 'state', state: { ...state, item: undefined } }));
    assert.equal(isHostMessage({ type: 'state', state: { ...state, item: { ...item, candidates: ['a'] } } }), false);
    assert.equal(isHostMessage({ type: 'state', state: { ...state, item: { ...item, traits: [{ id: 'x', values: [NaN] }] } } }), false);
    assert.equal(isHostMessage({ type: 'state', state: { ...state, progress: { total: -1 } } }), false);
    assert.equal(isHostMessage({ type: 'state', state: { ...state, version: undefined } }), false);
    assert.ok(isHostMessage({ type: 'state', state: { ...state, ranking: [2], reading: { lines: 10, of: 4948 } } }));
    assert.equal(isHostMessage({ type: 'state', state: { ...state, ranking: undefined } }), false);
    assert.equal(isHostMessage({ type: 'state', state: { ...state, reading: { lines: -1, of: 3 } } }), false);
    assert.equal(isHostMessage({ type: 'decisionIgnored' }), false);
  });
});

describe('the labeler hint', () => {
  test('prefers a candidate by its reward, and gives no hint when a candidate is empty (never "prefers" nothing)', async () => {
    const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
    try {
      const prompt = 'How was your weekend?';
      const real = await analyze({ line: 0, prompt, candidates: ['pretty chill, went hiking. you?', 'It was productive. I completed several tasks.'] } as LabelItem, 'assistant', model);
      assert.equal(real.hint?.preferred, 1);
      // The default reward scored "" 4.36, above both of these: before, the hint preferred the empty one.
      const withEmpty = await analyze({ line: 0, prompt, candidates: ['pretty chill, went hiking. you?', '  '] } as LabelItem, 'assistant', model);
      assert.equal(withEmpty.hint, undefined);
      assert.equal(withEmpty.hintError, 'candidate 2 is empty: the reward model does not score it');
    } finally {
      await model.dispose();
    }
  });
});
