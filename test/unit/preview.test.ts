/** Previews (src/core/preview): prompts from transcripts and JSONL, gen.json, the trait diff, the pair line. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { toRecord } from '../../src/core/formats';
import { parseLine } from '../../src/core/labeling';
import { isTinyTestModel, TINY_MARKER } from '../../src/core/preview/tinyModel';
import {
  baseModelFor,
  buildGenConfig,
  jobPreviewTarget,
  pairsFileForm,
  previewPairLine,
  promptFromJsonLine,
  promptFromTranscript,
  SampleCollector,
  scorePreview,
  topDeltas,
  traitDeltas,
  type PreviewPairInput,
} from '../../src/core/preview';
import { RewardModel } from '../../src/core/reward/model';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../../src/core/score';
import type { SampleEvent } from '../../src/core/worker/events';
import { isHostMessage, isViewMessage } from '../../webview/preview/protocol';
import { repoRoot } from './paths';

const transcript = readFileSync(join(repoRoot, 'samples', 'workspace', 'transcript.md'), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('promptFromTranscript', () => {
  test('on a user turn: the conversation up to and including it, speakers mapped to chat roles', () => {
    const line = lineOf(transcript, 'ugh mondays');
    const r = promptFromTranscript(transcript, line, 'assistant');
    assert.ok('prompt' in r, JSON.stringify(r));
    const msgs = r.prompt as { role: string; content: string }[];
    assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user']);
    assert.equal(msgs[0].content, 'hey, how was the weekend?');
    assert.equal(msgs.at(-1)!.content, 'ugh mondays');
    assert.deepEqual(r.anchor, { line, endLine: line });
  });

  test('on an assistant turn (any of its lines): the prompt ends at the user turn before it', () => {
    const onUser = promptFromTranscript(transcript, lineOf(transcript, 'did you watch anything good'), 'assistant');
    const onReply = promptFromTranscript(transcript, lineOf(transcript, 'however, many viewers'), 'assistant');
    assert.deepEqual(onReply, onUser);
  });

  test('other speaker names: the scored role answers, everyone else is the user', () => {
    const text = '**Agent 1:** hi there\n**Agent 2:** hello!\n**Agent 1:** what do you do?\n';
    const r = promptFromTranscript(text, 2, 'agent_2');
    assert.ok('prompt' in r);
    assert.deepEqual(r.prompt, [
      { role: 'user', content: 'hi there' },
      { role: 'assistant', content: 'hello!' },
      { role: 'user', content: 'what do you do?' },
    ]);
  });

  test('says why there is no prompt', () => {
    assert.match((promptFromTranscript(transcript, 0, 'assistant') as { error: string }).error, /before the first turn/);
    assert.match((promptFromTranscript('no turns here', 0, 'assistant') as { error: string }).error, /no speaker turns/);
    assert.match((promptFromTranscript('**Assistant:** hi\n', 0, 'assistant') as { error: string }).error, /no user turn before line 1/);
  });
});

describe('promptFromJsonLine', () => {
  const role = 'assistant';
  test('a text pair, an unlabeled item and a dialogue', () => {
    assert.deepEqual(promptFromJsonLine(JSON.stringify({ prompt: 'Any plans?', chosen: 'a', rejected: 'b' }), 4, role), { prompt: 'Any plans?', anchor: { line: 4, endLine: 4 } });
    assert.deepEqual(promptFromJsonLine(JSON.stringify({ prompt: 'yo', responses: ['a', 'b'] }), 0, role), { prompt: 'yo', anchor: { line: 0, endLine: 0 } });
    const dialogue = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hey' }, { role: 'user', content: 'sup' }, { role: 'assistant', content: 'nm' }] };
    assert.deepEqual(promptFromJsonLine(JSON.stringify(dialogue), 2, role), {
      prompt: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hey' }, { role: 'user', content: 'sup' }],
      anchor: { line: 2, endLine: 2 },
    });
  });

  test('plain reasons for lines without a prompt', () => {
    assert.match((promptFromJsonLine('{"prompt": ', 6, role) as { error: string }).error, /^line 7 is not valid JSON/);
    assert.match((promptFromJsonLine('{"chosen": "a", "rejected": "b"}', 0, role) as { error: string }).error, /without a `prompt`/);
    assert.match((promptFromJsonLine('{"messages": [{"role": "assistant", "content": "hi"}]}', 0, role) as { error: string }).error, /no user turn/);
    assert.match((promptFromJsonLine('{"foo": 1}', 0, role) as { error: string }).error, /^line 1: expected/);
  });
});

describe('buildGenConfig', () => {
  test('one prompt, one sample per source, sampling settings from the temperature', () => {
    const cfg = buildGenConfig({ model: '/m', adapter: '/j/adapter', prompt: 'hi', maxNewTokens: 8, seed: 3 });
    assert.deepEqual(cfg, { model: '/m', adapter: '/j/adapter', prompts: ['hi'], num_samples: 1, max_new_tokens: 8, do_sample: true, seed: 3, temperature: 0.8, top_p: 0.95 });
    const greedy = buildGenConfig({ model: '/m', adapter: '/a', prompt: [{ role: 'user', content: 'x' }], temperature: 0, systemPrompt: 'be brief' });
    assert.equal(greedy.do_sample, false);
    assert.equal(greedy.temperature, undefined);
    assert.equal(greedy.system_prompt, 'be brief');
  });

  test('refuses values the worker would refuse, in plain words', () => {
    assert.throws(() => buildGenConfig({ model: '/m', adapter: '/a', prompt: 'hi', maxNewTokens: 0 }), /max new tokens must be a whole number/);
    assert.throws(() => buildGenConfig({ model: '/m', adapter: '/a', prompt: '  ' }), /the prompt is empty/);
    assert.throws(() => buildGenConfig({ model: '/m', adapter: '/a', prompt: 'x', temperature: -1 }), /temperature/);
    assert.throws(() => buildGenConfig({ model: '', adapter: '/a', prompt: 'x' }), /no base model/);
  });

  test('SampleCollector takes the first sample of each source', () => {
    const ev = (source: 'base' | 'adapter', sample = 0): SampleEvent => ({ version: 1, event: 'sample', time: 0, index: 0, source, sample, prompt: 'p', text: source });
    const c = new SampleCollector();
    assert.equal(c.add(ev('base')), 'base');
    assert.equal(c.complete, false);
    assert.equal(c.add(ev('adapter', 1)), undefined);
    assert.equal(c.add(ev('adapter')), 'tuned');
    assert.ok(c.complete);
    assert.equal(c.tuned?.text, 'adapter');
  });
});

describe('scorePreview and traitDeltas (the shipped reward model)', () => {
  let model: RewardModel;
  before(async () => {
    model = await RewardModel.load(join(repoRoot, DEFAULT_MODEL_RELATIVE_PATH));
  });
  after(() => model.dispose());

  test('the deltas sum to the reward difference; the largest change comes first; scores match the model', async () => {
    const prompt = [{ role: 'user', content: 'Any plans for lunch?' }];
    const formal = 'I do not have plans, as I am an AI language model. However, I would be happy to suggest some options.';
    const casual = 'thinking tacos tbh lol, you?';
    const p = await scorePreview(model, prompt, formal, casual);
    assert.equal(p.rewardDelta, p.tuned.score - p.base.score);
    const sum = p.traits.reduce((s, t) => s + t.delta, 0);
    assert.ok(Math.abs(sum - p.rewardDelta) < 1e-9, `Σ delta ${sum} vs ${p.rewardDelta}`);
    assert.ok(Math.abs(p.rewardDelta) > 0.1, 'replies this different get different rewards');
    for (let i = 1; i < p.traits.length; i++) assert.ok(Math.abs(p.traits[i - 1].delta) >= Math.abs(p.traits[i].delta));
    assert.equal(p.traits.length, model.traitIds.length);
    for (const s of [p.base, p.tuned]) {
      const total = s.contributions.reduce((a, b) => a + b, model.bias);
      assert.ok(Math.abs(total - s.score) < 1e-9, 'score = bias + Σ contributions');
    }
    const top = topDeltas(p.traits, 3);
    assert.ok(top.length > 0 && top.length <= 3);
    assert.ok(top.every((t) => t.label && Math.abs(t.delta) >= 0.005));
  });

  test('identical responses differ in nothing', async () => {
    const p = await scorePreview(model, 'hi', 'hey there', 'hey there');
    assert.equal(p.rewardDelta, 0);
    assert.deepEqual(topDeltas(p.traits, 5), []);
    // Equal deltas keep the model's order.
    assert.deepEqual(p.traits.map((t) => t.id), [...model.traitIds]);
  });

  test('traitDeltas pairs values and contributions by model column', () => {
    const ids = model.traitIds.slice(0, 2);
    const d = traitDeltas(ids, { text: 'a', score: 0, values: [1, 2], contributions: [0.1, 0.5] }, { text: 'b', score: 0, values: [3, 4], contributions: [0.4, -0.5] });
    assert.deepEqual(d.map((t) => [t.id, t.base, t.tuned, +t.delta.toFixed(6)]), [
      [ids[1], 2, 4, -1],
      [ids[0], 1, 3, 0.3],
    ]);
  });
});

describe('previewPairLine', () => {
  const input = (prompt: PreviewPairInput['prompt']): PreviewPairInput => ({
    prompt,
    base: 'I am an AI.',
    tuned: 'lol same',
    meta: { model: '/m', adapter: '/j/adapter', seed: 0, rewards: [-1, 0.5], rewardModel: 'default', source: { file: 'transcript.md', line: 17 } },
  });
  const label = { time: '2026-11-22T05:00:00.000Z', annotator: 'ana' };

  test('unlabeled: a labeler item (base first) that no trainer reads as a pair', () => {
    const line = previewPairLine(input('ugh mondays'), { choice: 'unlabeled' });
    const o = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(o.responses, ['I am an AI.', 'lol same']);
    assert.equal(o.prompt, 'ugh mondays');
    assert.deepEqual(o.preview, { model: '/m', adapter: '/j/adapter', seed: 0, rewards: [-1, 0.5], rewardModel: 'default', sources: ['base', 'adapter'] });
    assert.deepEqual(o.source, { file: 'transcript.md', line: 17 });
    const parsed = parseLine(line);
    assert.ok('item' in parsed && !parsed.item.label && parsed.item.candidates.length === 2);
    assert.match((toRecord(o, 'x.jsonl', 1) as { diagnostic: { message: string } }).diagnostic.message, /unlabeled `responses` item/);
  });

  test('decided: written the way the labeler writes a decision, a TRL pair', () => {
    const tuned = JSON.parse(previewPairLine(input('ugh mondays'), { choice: 'tuned', label })) as Record<string, unknown>;
    assert.equal(tuned.chosen, 'lol same');
    assert.equal(tuned.rejected, 'I am an AI.');
    assert.deepEqual(tuned.label, { choice: '2', ...label });
    const base = JSON.parse(previewPairLine(input('ugh mondays'), { choice: 'base', label })) as Record<string, unknown>;
    assert.equal(base.chosen, 'I am an AI.');
    const rec = toRecord(tuned, 'x.jsonl', 1);
    assert.ok('record' in rec && rec.record.kind === 'pair');
    const parsed = parseLine(JSON.stringify(tuned));
    assert.ok('item' in parsed && parsed.item.label?.choice === '2');
    assert.throws(() => previewPairLine(input('x'), { choice: 'tuned' }), /needs the label/);
  });

  test('a conversation gives message-list responses; the file form wins when it can', () => {
    const conv = [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hey' }, { role: 'user', content: 'sup' }];
    const o = JSON.parse(previewPairLine(input(conv), { choice: 'unlabeled' })) as { prompt: unknown; responses: unknown };
    assert.deepEqual(o.prompt, conv);
    assert.deepEqual(o.responses, [[{ role: 'assistant', content: 'I am an AI.' }], [{ role: 'assistant', content: 'lol same' }]]);
    const single = [{ role: 'user', content: 'ugh mondays' }];
    assert.equal((JSON.parse(previewPairLine(input(single), { choice: 'unlabeled' })) as { prompt: unknown }).prompt, 'ugh mondays');
    const asConv = JSON.parse(previewPairLine(input('yo'), { choice: 'unlabeled', form: 'conversational' })) as { prompt: unknown };
    assert.deepEqual(asConv.prompt, [{ role: 'user', content: 'yo' }]);
    assert.throws(() => previewPairLine(input(conv), { choice: 'unlabeled', form: 'text' }), /only be written as a conversational pair/);
  });

  test('pairsFileForm reads the first pair of a file', () => {
    assert.equal(pairsFileForm('\n{"prompt": "a", "chosen": "b", "rejected": "c"}\n'), 'text');
    assert.equal(pairsFileForm('not json\n{"responses": [[{"role": "assistant", "content": "x"}], "y"]}'), 'conversational');
    assert.equal(pairsFileForm(''), undefined);
  });
});

describe('baseModelFor and jobPreviewTarget', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'styletune-preview-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const model = () => {
    const m = join(dir, 'model');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'config.json'), '{}');
    return m;
  };
  const adapterIn = (job: string, base?: string) => {
    const a = join(dir, job, 'adapter');
    mkdirSync(a, { recursive: true });
    writeFileSync(join(a, 'adapter_config.json'), JSON.stringify(base === undefined ? {} : { base_model_name_or_path: base }));
    return a;
  };

  test('a job folder: its config.json model (relative to the job) and its adapter', () => {
    const m = model();
    const a = adapterIn('job1', '/nowhere');
    writeFileSync(join(dir, 'job1', 'config.json'), JSON.stringify({ model: '../model' }));
    assert.deepEqual(jobPreviewTarget(join(dir, 'job1')), { model: m, adapter: a });
    assert.deepEqual(baseModelFor(a), { model: m, from: 'job' });
  });

  test('no job config: adapter_config.json base_model_name_or_path when it is a folder here', () => {
    const m = model();
    assert.deepEqual(baseModelFor(adapterIn('loose', m)), { model: m, from: 'adapter' });
    const hub = baseModelFor(adapterIn('hub', 'Qwen/Qwen2.5-0.5B'));
    assert.match((hub as { problem: string }).problem, /names the base model Qwen\/Qwen2.5-0.5B, which is not a model folder/);
    assert.match((baseModelFor(adapterIn('none')) as { problem: string }).problem, /names no base model/);
  });

  test('jobs without an adapter or config say so', () => {
    mkdirSync(join(dir, 'running'), { recursive: true });
    writeFileSync(join(dir, 'running', 'config.json'), JSON.stringify({ model: join(dir, 'model') }));
    assert.match((jobPreviewTarget(join(dir, 'running')) as { problem: string }).problem, /has no adapter yet/);
    assert.match((jobPreviewTarget(join(dir, 'empty')) as { problem: string }).problem, /not a StyleTune job folder/);
    const bad = adapterIn('badcfg');
    writeFileSync(join(dir, 'badcfg', 'config.json'), '{"model": ');
    assert.match((jobPreviewTarget(join(dir, 'badcfg')) as { problem: string }).problem, /not valid JSON/);
    assert.match((baseModelFor(bad) as { problem: string }).problem, /not valid JSON.*names no base model/);
  });
});

describe('webview/preview/protocol guards', () => {
  const state = {
    id: 3,
    status: 'done',
    prompt: [{ role: 'user', content: 'hi' }],
    model: 'tiny',
    adapter: 'run1/adapter',
    rewardModel: 'default',
    seed: 0,
    base: { text: 'a', score: -1, tokens: 4 },
    tuned: { text: 'b', score: 0.5 },
    rewardDelta: 1.5,
    traits: [{ id: 'slang', label: 'Slang', description: 'd', base: 0, tuned: 1, delta: 0.4 }],
    appended: { file: 'x.pairs.jsonl', line: 2, choice: 'unlabeled' },
  };

  test('the host accepts only the messages the webview sends', () => {
    for (const m of [{ type: 'ready' }, { type: 'append' }, { type: 'openLabeler' }, { type: 'regenerate' }, { type: 'rendered', id: 1, status: 'done', base: 'a', tuned: 'b', scores: [1, 2], traits: 3 }]) {
      assert.ok(isViewMessage(m), JSON.stringify(m));
    }
    for (const m of [null, 'append', { type: 'delete' }, { type: 'rendered', id: -1, status: 'done', scores: [], traits: 0 }, { type: 'rendered', id: 1, status: 'done', scores: [1, 2, 3], traits: 0 }, { type: 'rendered', id: 1, status: 'weird', scores: [], traits: 0 }]) {
      assert.ok(!isViewMessage(m), JSON.stringify(m));
    }
  });

  test('the webview accepts a well-formed state and refuses a malformed one', () => {
    assert.ok(isHostMessage({ type: 'state', state }));
    assert.ok(isHostMessage({ type: 'state', state: { ...state, base: undefined, tuned: undefined, rewardDelta: undefined, appended: undefined, traits: [] } }));
    assert.ok(!isHostMessage({ type: 'state', state: { ...state, traits: [{ id: 'x' }] } }));
    assert.ok(!isHostMessage({ type: 'state', state: { ...state, base: { text: 1 } } }));
    assert.ok(!isHostMessage({ type: 'state', state: { ...state, appended: { file: 'x', line: 1, choice: 'maybe' } } }));
    assert.ok(!isHostMessage({ type: 'state', state: { ...state, rewardDelta: Number.NaN } }));
    assert.ok(!isHostMessage({ type: 'other', state }));
  });
});

test('the tiny test model is recognised by the marker make-tiny-model writes into config.json, and nothing else is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'styletune-tiny-'));
  try {
    const model = (name: string, config?: string) => {
      const d = join(dir, name);
      mkdirSync(d);
      if (config !== undefined) writeFileSync(join(d, 'config.json'), config);
      return d;
    };
    assert.equal(isTinyTestModel(model('marked', JSON.stringify({ model_type: 'llama', [TINY_MARKER]: true }))), true);
    assert.equal(isTinyTestModel(model('real', JSON.stringify({ model_type: 'llama', hidden_size: 64 }))), false);
    assert.equal(isTinyTestModel(model('string', JSON.stringify({ [TINY_MARKER]: 'true' }))), false);
    assert.equal(isTinyTestModel(model('broken', '{"styletune_tiny_test_model": tru')), false);
    assert.equal(isTinyTestModel(model('empty')), false);
    assert.equal(isTinyTestModel('meta-llama/Llama-3.2-1B-Instruct'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
