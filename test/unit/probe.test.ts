/**
 * The style probe's core (src/core/jobs/probe.ts) with the shipped reward model: replies scored as the
 * reward model scores them anywhere else, and the traits that moved since step 0 named (a run drifting to
 * long, slang-filled replies says so).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { movedTraits, probeLine, promptText, scoreProbe, scoreProbes } from '../../src/core/jobs/probe';
import { RewardModel } from '../../src/core/reward/model';
import { measureResponse } from '../../src/core/traits/extract';
import type { ProbeEvent, WorkerEvent } from '../../src/core/worker/events';
import { repoRoot } from './paths';

const PROMPTS = ['How was your weekend?', 'What do you think of pineapple on pizza?', 'Any plans for tonight?'];

function probe(step: number, texts: string[], tokens?: number[]): ProbeEvent {
  return {
    version: 1, event: 'probe', time: 1000 + step, step, total_steps: 10, max_new_tokens: 48, seed: 42,
    replies: texts.map((text, i) => ({
      index: i, prompt: i === 2 ? [{ role: 'user', content: PROMPTS[i] }] : PROMPTS[i], text,
      tokens: tokens?.[i] ?? text.split(/\s+/).length, truncated: (tokens?.[i] ?? 0) >= 48,
    })),
  };
}

const FORMAL = [
  'It was productive. I completed several tasks and reviewed my schedule for the coming week.',
  'Pineapple on pizza is a matter of personal preference. Many people enjoy the contrast of flavors.',
  'I intend to read a book and retire early this evening.',
];
const SLANG = [
  'lol it was sooo chill tbh, just vibin w my friends all weekend ngl, we went to this lit party and it was lowkey amazing haha, u?',
  'omg pineapple on pizza is lowkey fire ngl lol, like fr fr its sooo good haha idc what ppl say tbh, its a vibe',
  'ngl prob just gonna chill lol, maybe hit up the squad idk, kinda tired tbh haha, wbu?? gonna be lit',
];

test('replies get the reward the model gives them anywhere else, and the means are theirs', async () => {
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const step = await scoreProbe(probe(0, FORMAL), model);
  const direct = await model.scoreRows(FORMAL.map((t, i) => measureResponse(t, i === 2 ? [{ role: 'user', content: PROMPTS[i] }] : PROMPTS[i]).values));
  assert.deepEqual(step.replies.map((r) => r.reward), [...direct.score]);
  assert.ok(Math.abs(step.reward! - (direct.score[0] + direct.score[1] + direct.score[2]) / 3) < 1e-12);
  assert.equal(step.empty, 0);
  assert.deepEqual(step.replies.map((r) => r.prompt), PROMPTS, 'a message list shows its last user turn');
  // The contributions of the model's traits add up to the mean reward with the bias, as for any score.
  const sum = Object.values(step.contributions).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(model.bias + sum - step.reward!) < 1e-9);
  await model.dispose();
});

test('an empty reply is not rewarded: it is counted as empty and the reward is of the rest', async () => {
  // A model that stops answering (the tiny test model does) must not look better: the default reward
  // gave "" 4.36, more than most real replies, and the job view showed "(empty reply) reward 4.36 (+1.73)".
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const full = await scoreProbe(probe(0, FORMAL), model);
  const step = await scoreProbe(probe(4, [FORMAL[0], '', ' \n ']), model);
  assert.deepEqual(step.replies.map((r) => r.reward), [full.replies[0].reward, null, null]);
  assert.equal(step.empty, 2);
  assert.equal(step.reward, full.replies[0].reward, 'the mean is of the one reply with text');
  const sum = Object.values(step.contributions).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(model.bias + sum - step.reward!) < 1e-9, 'contributions are of the scored replies too');
  assert.match(probeLine(step, full), /^probe step 4\/10: reward -?\d+\.\d\d \([+−]\d+\.\d\d since step 0\) · 2\/3 empty \(not scored\) · /);
  const silent = await scoreProbe(probe(6, ['', '', '']), model);
  assert.equal(silent.reward, null);
  assert.match(probeLine(silent, full), /^probe step 6\/10: reward – \(every reply empty\) · 1 token \(−\d+\)/);
  await model.dispose();
});

test('a drift to long slang-filled replies names length and slang among the traits that moved, with the reward change', async () => {
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const steps = await scoreProbes([probe(5, SLANG, [30, 30, 48]), probe(0, FORMAL), { version: 1, event: 'log', time: 1, level: 'info', message: 'x' } as WorkerEvent], model);
  assert.deepEqual(steps.map((s) => s.step), [0, 5], 'in step order, log events ignored');
  const moved = movedTraits(steps[0], steps[1], 6);
  const ids = moved.map((m) => m.id);
  assert.ok(ids.includes('slang'), `slang moved: ${ids}`);
  assert.ok(moved.every((m, i) => i === 0 || moved[i - 1].moved >= m.moved), 'ranked by how far they moved');
  const slang = moved.find((m) => m.id === 'slang')!;
  assert.ok(slang.delta > 0 && slang.to > slang.from);
  // Nothing moved between identical probes.
  assert.deepEqual(movedTraits(steps[0], steps[0]), []);
  const line = probeLine(steps[1], steps[0]);
  assert.match(line, /^probe step 5\/10: reward -?\d+\.\d\d \([+−]\d+\.\d\d since step 0\) · \d+ tokens \(\+\d+\) · 1\/3 cut off at 48 · moved: /);
  assert.ok(line.endsWith(moved.slice(0, 3).map((m) => `${m.label} ${m.delta >= 0 ? '+' : '−'}${Math.abs(m.delta).toFixed(2)}`).join(', ')), line);
  assert.match(probeLine(steps[0]), /^probe step 0\/10: reward -?\d+\.\d\d · \d+ tokens$/);
  await model.dispose();
});

test('a repeated step (resumed run) keeps the later probe', async () => {
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const later = { ...probe(2, SLANG), time: 5000 };
  const steps = await scoreProbes([probe(2, FORMAL), later], model);
  assert.equal(steps.length, 1);
  assert.equal(steps[0].replies[0].text, SLANG[0]);
  assert.equal(promptText([{ role: 'system', content: 's' }, { role: 'user', content: 'u' }]), 'u');
  await model.dispose();
});

test('a resumed job folder still compares with step 0: the baseline the resumed run gives again is the first one', async () => {
  // events.jsonl of a job stopped at step 2 and resumed to 4 (trainer/tests/test_watch.py makes the same
  // file): the resumed run's step-0 probe (baseline kept) repeats the first run's, then probes step 4.
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const kept: ProbeEvent = { ...probe(0, FORMAL), time: 3000, baseline: 'kept' };
  const steps = await scoreProbes([probe(0, FORMAL), probe(2, FORMAL), kept, probe(4, SLANG)], model);
  assert.deepEqual(steps.map((s) => s.step), [0, 2, 4]);
  assert.deepEqual(steps[0].replies.map((r) => r.text), FORMAL, 'step 0 is the base model\'s replies');
  assert.ok(movedTraits(steps[0], steps[2], 6).some((m) => m.id === 'slang'));
  // A first run without probe_prompts: the resumed run's recomputed step 0 is the only baseline, and the
  // CLI line of step 4 is measured from it, not from step 4 itself.
  const only = await scoreProbes([{ ...probe(0, FORMAL), baseline: 'recomputed' }, probe(4, SLANG)], model);
  assert.deepEqual(only.map((s) => s.step), [0, 4]);
  assert.match(probeLine(only[1], only[0]), /since step 0\) .* · moved: /);
  await model.dispose();
});
