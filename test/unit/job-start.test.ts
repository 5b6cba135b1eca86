/**
 * What the tuning wizard and the job file editor check before a job starts: every problem of a
 * *.tune.json against schemas/tune.schema.json at its exact place, the pairs a file gives the trainer
 * (by the trainer's rule), and the plan (settings, steps, rough time) the confirmation shows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { jobFileProblems, parseJobFile, tuneSchema } from '../../src/core/jobs/jobFile';
import { durationText, effectiveSettings, planJob, roughSeconds, tokensPerPair } from '../../src/core/jobs/plan';
import { countTrainingPairs } from '../../src/core/jobs/trainingPairs';
import { SchemaValidator } from '../../src/core/jsonSchema';
import { venvPython, workerEnv } from '../../src/core/worker';
import { repoRoot, requireShared } from './paths';

const dir = mkdtempSync(join(tmpdir(), 'styletune-jobstart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const job = (extra: string) => `{\n  "model": "models/tiny",\n  "train_file": "pairs.jsonl",\n  "output_dir": "jobs/a",\n${extra}\n}\n`;
/** The text each problem points at. */
const marked = (text: string) => jobFileProblems(text).map((p) => ({ at: text.slice(p.start, p.end), message: p.message }));

describe('job file problems', () => {
  test('a wrong type is an error on the value, saying what was expected and what was found', () => {
    const text = job('  "learning_rate": "fast"');
    const problems = marked(text);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.at, '"fast"');
    assert.match(problems[0]!.message, /"learning_rate" expected number, got string "fast"/);
  });

  test('a misspelt key is an error on the key, with the setting it most likely meant', () => {
    const problems = marked(job('  "learing_rate": 0.001,\n  "num_train_epoch": 2,\n  "zzz": 1'));
    assert.deepEqual(problems.map((p) => p.at), ['"learing_rate"', '"num_train_epoch"', '"zzz"']);
    assert.match(problems[0]!.message, /unknown setting "learing_rate"; did you mean "learning_rate"\?/);
    assert.match(problems[1]!.message, /did you mean "num_train_epochs"\?/);
    assert.doesNotMatch(problems[2]!.message, /did you mean/, 'no far-fetched guess');
  });

  test('ranges, enums, nulls and item types from the schema', () => {
    const problems = marked(job('  "beta": 0,\n  "loss_type": "dpo",\n  "preset": null,\n  "lora_r": 2.5,\n  "lora_target_modules": [1]'));
    assert.deepEqual(problems.map((p) => p.at), ['0', '"dpo"', '2.5', '1']);
    assert.match(problems[0]!.message, /"beta" must be > 0/);
    assert.match(problems[1]!.message, /"loss_type" must be one of "sigmoid", "ipo", "hinge"/);
    assert.match(problems[2]!.message, /"lora_r" expected integer, got number 2\.5/);
    assert.match(problems[3]!.message, /"lora_target_modules\.0"/);
  });

  test('settings fine alone but not together, as the trainer checks them (issue 16): all at once, each at its key', () => {
    const problems = marked(job('  "max_length": 64,\n  "truncate_prompt_to": 64,\n  "label_smoothing": 0.1,\n  "max_steps": 0,\n  "learning_rate": true,\n  "max_prompt_length": 32'));
    assert.deepEqual(problems.map((p) => p.at.split(':')[0]), ['"truncate_prompt_to"', '"label_smoothing"', '"max_steps"', 'true', '"max_prompt_length"']);
    assert.match(problems[0]!.message, /"truncate_prompt_to" \(64\) must be smaller than max_length \(64\)/);
    assert.match(problems[1]!.message, /"label_smoothing" 0\.1 has no effect on loss_type sigmoid .*"conservative"/);
    assert.match(problems[2]!.message, /"max_steps" must be -1 .* or a positive number of steps, got 0/);
    assert.match(problems[3]!.message, /"learning_rate" expected number, got boolean true/);
    assert.match(problems[4]!.message, /unknown setting "max_prompt_length"/);
    // A loss that uses label_smoothing, and a preset's max_length, are taken into account.
    assert.deepEqual(marked(job('  "loss_type": "robust",\n  "label_smoothing": 0.1,\n  "truncate_prompt_to": 512')), []);
  });

  test('missing required keys point at the object; JSON syntax errors at the character', () => {
    const missing = jobFileProblems('{"model": "m"}');
    assert.deepEqual(missing.map((p) => [p.start, p.end]), [[0, 1], [0, 1]]);
    assert.match(missing.map((p) => p.message).join(' '), /missing required field "train_file".*missing required field "output_dir"/);
    const trailing = '{\n  "model": "m",\n}\n';
    const [syntax] = jobFileProblems(trailing);
    assert.equal(trailing.slice(syntax!.start, syntax!.end), '}');
    assert.match(syntax!.message, /not valid JSON: .*trailing comma.*no comments or trailing commas/);
    assert.match(jobFileProblems('{ // c\n}')[0]!.message, /comments are not allowed/);
  });

  test('starting refuses the first problem with its line and column, and counts the rest', () => {
    const text = job('  "learning_rate": "fast",\n  "betta": 0.2');
    assert.throws(() => parseJobFile('/w/x.tune.json', text), /x\.tune\.json:5:20: "learning_rate" expected number, got string "fast"\. \(and 1 more problem\)/);
    assert.equal(parseJobFile('/w/x.tune.json', job('  "learning_rate": 0.001')).jobDir, '/w/jobs/a');
  });

  test('the sample job and the schema\'s own keywords are understood', () => {
    const sample = readFileSync(join(repoRoot, 'samples', 'workspace', 'tuning', 'tiny.tune.json'), 'utf8');
    assert.deepEqual(jobFileProblems(sample), []);
    // Loading the schema throws on any keyword the interpreter would ignore.
    assert.ok(tuneSchema().propertyNames().includes('learning_rate'));
    assert.throws(() => new SchemaValidator({ properties: { a: { format: 'uri' } } }, 'test schema'), /test schema #\/properties\/a: keyword "format" is not supported/);
  });
});

describe('pairs the trainer would use', () => {
  test("counts TRL pairs, a ranking's derived pairs, and leaves out unlabeled, tie and skip lines as the trainer does", async () => {
    const file = join(dir, 'mixed.pairs.jsonl');
    const lines = [
      { prompt: 'hi', chosen: 'hey!', rejected: 'Greetings.' },
      { prompt: 'hi', responses: ['a', 'b'] },
      { prompt: 'hi', responses: ['a', 'b'], label: { choice: 'tie' } },
      { prompt: 'hi', responses: ['a', 'b'], label: { choice: 'skip' } },
      { prompt: 'p', responses: ['x', 'y', 'z'], chosen: 'x', rejected: 'z', label: { choice: 'rank', ranking: [1, 2, 3] },
        pairs: [{ chosen: 'x', rejected: 'y' }, { chosen: 'x', rejected: 'z' }, { chosen: 'y', rejected: 'z' }] },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n{"chosen": 3, "rejected": "r"}\nnot json\n');
    const c = await countTrainingPairs(file);
    assert.deepEqual({ pairs: c.pairs, unlabeled: c.unlabeled, noPreference: c.noPreference, invalid: c.invalid, first: c.firstInvalidLine }, { pairs: 4, unlabeled: 1, noPreference: 2, invalid: 2, first: 7 });
    // The prompt counts once per side: (2·2 + 4 + 10) and three ranking pairs of (2·1 + 1 + 1).
    assert.equal(c.meanChars, (18 + 3 * 4) / 4);
  });

  test('a dialogue file and a Turing file give no pairs', async () => {
    const dialogues = await countTrainingPairs(join(repoRoot, 'samples', 'workspace', 'dialogues.jsonl'));
    assert.equal(dialogues.pairs, 0);
    const turing = await countTrainingPairs(requireShared('turing/games.dev.jsonl'));
    assert.equal(turing.pairs, 0);
    assert.ok(turing.invalid > 0);
  });

  test('the human-like-dpo development pairs: every line one pair', async () => {
    const file = requireShared('human-like-dpo/pairs.dev.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length;
    const c = await countTrainingPairs(file);
    assert.equal(c.pairs, lines);
    assert.equal(c.invalid, 0);
  });
});

describe('the plan the confirmation shows', () => {
  test('settings: schema defaults, then the preset, then the file', () => {
    const s = effectiveSettings({ model: 'm', train_file: 'p', output_dir: '.', preset: 'hal', learning_rate: 1e-4 });
    assert.equal(s.num_train_epochs, 10, "HAL's epochs");
    assert.equal(s.learning_rate, 1e-4, 'the file wins');
    assert.equal(s.per_device_train_batch_size, 4, "the trainer's default");
  });

  test('steps follow the trainer: ceil(pairs / global batch) × epochs, or max_steps', () => {
    const hal = planJob(effectiveSettings({ preset: 'hal' }), 100_000);
    assert.deepEqual([hal.stepsPerEpoch, hal.steps, hal.fromMaxSteps], [25_000, 250_000, false]);
    const two = planJob(effectiveSettings({ per_device_train_batch_size: 2, gradient_accumulation_steps: 3 }), 13, 2);
    assert.deepEqual([two.globalBatch, two.stepsPerEpoch, two.steps], [12, 2, 2]);
    assert.equal(planJob(effectiveSettings({ max_steps: 60, max_train_samples: 5 }), 1000).steps, 60);
    assert.equal(planJob(effectiveSettings({ max_train_samples: 5 }), 1000).pairs, 5);
  });

  test('eval_split: the plan trains on the pairs the worker keeps after holding some out (its own split, compared)', () => {
    const cases: [number, number][] = [[8, 0.25], [10, 0.05], [40, 0.2], [25, 0.1], [30, 0.05], [5, 0.5], [100, 0.125]];
    const code = 'import json, sys, types; from styletune_trainer.watch import split_eval;'
      + 'print(json.dumps([len(split_eval(types.SimpleNamespace(eval_file=None, eval_split=s, seed=42), [{}] * n)[0]) for n, s in json.loads(sys.argv[1])]))';
    const kept = JSON.parse(execFileSync(venvPython(repoRoot), ['-c', code, JSON.stringify(cases)], {
      env: workerEnv({ repoRoot }), encoding: 'utf8',
    })) as number[];
    assert.deepEqual(cases.map(([n, split]) => planJob(effectiveSettings({ eval_split: split }), n).pairs), kept);
    assert.equal(planJob(effectiveSettings({ eval_split: 0.25, max_train_samples: 8 }), 1000).pairs, 6, 'max_train_samples first, then the split');
    assert.equal(planJob(effectiveSettings({ eval_file: 'held.jsonl' }), 8).pairs, 8, 'an eval file takes nothing from train_file');
  });

  test('a rough time: tiny models cost the per-step overhead, large ones their compute; the GPU is far faster', () => {
    const settings = effectiveSettings({ preset: 'hal' });
    const plan = planJob(settings, 100_000);
    const tokens = tokensPerPair(4000, settings);
    assert.equal(tokens, 1000, '4,000 characters ≈ 1,000 tokens over both sides');
    assert.equal(tokensPerPair(100_000, settings), 2048, 'cut at max_length per side');
    const tinyCpu = roughSeconds({ params: 1e5, tokensPerPair: tokens, plan: planJob(settings, 12), device: 'cpu' });
    assert.ok(tinyCpu < 60, `a tiny job takes seconds: ${tinyCpu}`);
    const sevenB = roughSeconds({ params: 7e9, tokensPerPair: tokens, plan, device: 'cuda' });
    const sevenBCpu = roughSeconds({ params: 7e9, tokensPerPair: tokens, plan, device: 'cpu' });
    assert.ok(sevenB > 3600 && sevenBCpu / sevenB > 100, `${durationText(sevenB)} on a GPU, ${durationText(sevenBCpu)} on the CPU`);
    assert.deepEqual([durationText(40), durationText(600), durationText(5 * 3600), durationText(5 * 86400)], ['40 s', '10 min', '5.0 h', '5 days']);
  });
});
