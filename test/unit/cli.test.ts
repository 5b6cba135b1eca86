/**
 * The `styletune` CLI end to end: the built bundle (dist/cli.js) run as a child process on the first lines
 * of the real shared corpora. A model is fitted into a temp folder first, so these tests do not depend
 * on the shipped default model (one test checks that one separately).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RewardModel } from '../../src/core/reward/model';
import { TRAIT_IDS } from '../../src/core/traits/catalog';
import { measureDialogue, measureResponse, valuesById } from '../../src/core/traits/extract';
import { repoRoot, requireShared } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');
const DEFAULT_MODEL = join(repoRoot, 'models', 'default.onnx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function styletune(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout as JSON lines. */
function jsonLines(r: Run): Record<string, any>[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

/** The first `n` lines of a shared corpus, written to the temp folder. */
function head(rel: string, n: number, name: string): { file: string; lines: string[] } {
  const lines = readFileSync(requireShared(rel), 'utf8').split('\n').slice(0, n);
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, lines };
}

/** A scored side: score = bias + Σ contributions, every trait reported, the model's traits contributing. */
function assertScored(side: Record<string, any>, modelTraits: readonly string[], where: string): void {
  assert.equal(typeof side.score, 'number', `${where}: score`);
  assert.equal(typeof side.bias, 'number', `${where}: bias`);
  assert.deepEqual(Object.keys(side.traits), [...TRAIT_IDS], `${where}: every trait, in catalog order`);
  assert.deepEqual(Object.keys(side.contributions), [...modelTraits], `${where}: the model's traits`);
  const sum = Object.values(side.contributions as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(side.score - (side.bias + sum)) < 1e-9, `${where}: score ${side.score} ≠ bias ${side.bias} + Σ ${sum}`);
}

let dir: string;
let pairs: { file: string; lines: string[] };
let games: { file: string; lines: string[] };
let topical: { file: string; lines: string[] };
let model: string;
let fitRun: Run;
let gamesScored: Run | undefined;
/** `score` on the games subset, run once and shared by the score and eval tests. */
const scoreGames = () => (gamesScored ??= styletune('score', games.file, '--model', model));

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: build it first (node scripts/build.mjs)`);
  dir = mkdtempSync(join(tmpdir(), 'styletune-cli-'));
  pairs = head('human-like-dpo/pairs.dev.jsonl', 40, 'pairs40.jsonl');
  games = head('turing/games.dev.jsonl', 40, 'games40.jsonl');
  topical = head('topical-chat/dialogues.jsonl', 20, 'topical20.jsonl');
  model = join(dir, 'model.onnx');
  fitRun = styletune('fit', pairs.file, games.file, '--out', model, '--by', 'ai_model', '--json');
  assert.equal(fitRun.code, 0, `fit failed: ${fitRun.stderr}`);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('styletune fit', () => {
  test('--json: cross-validated accuracy per file and ai_model, every weight, a loadable model', async () => {
    assert.equal(fitRun.stderr, '');
    const report = JSON.parse(fitRun.stdout);
    assert.equal(report.model, model);
    assert.equal(report.comparisons, 80);
    assert.equal(report.folds, 5);
    const groups = [...new Set(games.lines.map((l) => JSON.parse(l).ai_model as string))];
    const keys = report.crossValidated.map((r: { key: string }) => r.key);
    assert.deepEqual(keys.sort(), ['all', 'games40.jsonl', 'pairs40.jsonl', ...groups.map((g) => `games40.jsonl:${g}`)].sort());
    const byKey = new Map<string, { n: number; accuracy: number }>(report.crossValidated.map((r: { key: string; n: number; accuracy: number }) => [r.key, r]));
    assert.equal(byKey.get('all')!.n, 80);
    assert.equal(byKey.get('pairs40.jsonl')!.n, 40);
    assert.equal(groups.reduce((s, g) => s + byKey.get(`games40.jsonl:${g}`)!.n, 0), 40);
    for (const r of byKey.values()) assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
    assert.ok(byKey.get('pairs40.jsonl')!.accuracy >= 0.8, 'casual vs assistant replies are easy to rank');
    assert.deepEqual(report.weights.map((w: { id: string }) => w.id), [...TRAIT_IDS]);
    assert.ok(report.weights.every((w: { weight: number; label: string }) => Number.isFinite(w.weight) && w.label.length > 0));
    assert.ok(report.weights.some((w: { weight: number }) => w.weight !== 0));

    const m = await RewardModel.load(model);
    try {
      assert.deepEqual(m.traitIds, [...TRAIT_IDS]);
      assert.deepEqual([...m.spec.weights], report.weights.map((w: { weight: number }) => w.weight));
      assert.equal(m.spec.role, 'assistant');
    } finally {
      await m.dispose();
    }
  });

  test('text report of shapes: each trait with its weight of evidence and its curve, largest first', () => {
    const out = join(dir, 'shapes.onnx');
    const r = styletune('fit', pairs.file, '--out', out, '--folds', '3', '--smoothing', '0.01');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Fitted on 40 comparisons; 3-fold cross-validated pairwise accuracy:\n/);
    assert.match(r.stdout, /Shapes \(weight of evidence/);
    const rows = [...r.stdout.matchAll(/^ {2}([a-z_]+) +([+-]\d+\.\d{3}) {2}([▁▂▃▄▅▆▇█]+) +(.+)$/gm)];
    assert.deepEqual(rows.map((m) => m[1]).sort(), [...TRAIT_IDS].sort());
    const evidence = rows.map((m) => Math.abs(Number(m[2])));
    assert.deepEqual(evidence, [...evidence].sort((a, b) => b - a), 'largest first');
    assert.equal(styletune('fit', pairs.file, '--out', out, '--l1', '0.1').code, 2, '--l1 is for --linear');
    assert.equal(styletune('fit', pairs.file, '--out', out, '--linear', '--smoothing', '1').code, 2, '--smoothing is for shapes');
  });

  test('text report: accuracy table, weights sorted by size, the file written', () => {
    const out = join(dir, 'named.onnx');
    const r = styletune('fit', pairs.file, '--out', out, '--linear', '--folds', '3', '--l1', '0.01', '--name', 'cli test');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Fitted on 40 comparisons; 3-fold cross-validated pairwise accuracy:\n {2}all +\d+\.\d % {2}\(n=40\)\n {2}pairs40\.jsonl +\d+\.\d % {2}\(n=40\)\n/);
    assert.match(r.stdout, /Weights \(per standard deviation/);
    for (const id of TRAIT_IDS) assert.match(r.stdout, new RegExp(`^  ${id} +[+-]\\d+\\.\\d{3}  `, 'm'), id);
    const weights = [...r.stdout.matchAll(/^ {2}[a-z_]+ +([+-]\d+\.\d{3}) {2}/gm)].map((m) => Math.abs(Number(m[1])));
    assert.equal(weights.length, TRAIT_IDS.length);
    assert.deepEqual(weights, [...weights].sort((a, b) => b - a), 'largest weights first');
    assert.ok(r.stdout.trimEnd().endsWith(`Wrote ${out}`));
    assert.ok(existsSync(out));
  });

  test('dialogue lines carry no preference: reported, and with nothing to compare the fit fails plainly', () => {
    const r = styletune('fit', topical.file, '--out', join(dir, 'none.onnx'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /20 dialogue lines carry no preference and were not used for fitting/);
    assert.match(r.stderr, /styletune: need at least 2 comparisons to fit, got 0/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(existsSync(join(dir, 'none.onnx')), false);
  });
});

describe('styletune score', () => {
  test('a topical-chat dialogue file with --role agent_1: one result per line, in order', () => {
    const r = styletune('score', topical.file, '--model', model, '--role', 'agent_1');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = jsonLines(r);
    assert.deepEqual(out.map((o) => o.line), topical.lines.map((_, i) => i + 1));
    out.forEach((o, i) => assertScored(o, TRAIT_IDS, `line ${i + 1}`));
    // The traits are the engine's values for agent_1's turns.
    for (const i of [0, 7, 19]) {
      const messages = JSON.parse(topical.lines[i]).messages;
      assert.deepEqual(out[i].traits, valuesById(measureDialogue(messages, { role: 'agent_1' }).values), `line ${i + 1}`);
    }
  });

  test('a dialogue file without --role: every line gets an error naming its roles; stderr lists the first 10, counts the rest and names the roles; exit code 1', () => {
    const r = styletune('score', topical.file, '--model', model);
    assert.equal(r.code, 1);
    const out = jsonLines(r);
    assert.equal(out.length, 20);
    out.forEach((o, i) => {
      assert.equal(o.line, i + 1);
      assert.equal(o.column, 1);
      assert.match(o.error, /no turns by `assistant` to score \(roles here: agent_1, agent_2\); choose the role to score \(--role/);
      assert.equal(o.score, undefined);
    });
    const diags = r.stderr.split('\n').filter((l) => l.startsWith(`${topical.file}:`) && /^\d/.test(l.slice(topical.file.length + 1)));
    assert.equal(diags.length, 10);
    diags.forEach((d, i) => assert.ok(d.startsWith(`${topical.file}:${i + 1}:1: error: dialogue has no turns`), d));
    assert.ok(r.stderr.endsWith([
      `${topical.file}: … and 10 more lines without turns by \`assistant\` (the output has an error line for each)`,
      '20 lines have no turns by `assistant`; roles found instead: agent_1, agent_2. Choose one with --role agent_1',
      '20 lines could not be scored\n',
    ].join('\n')), r.stderr);
  });

  test('past the first 10 lines without the role, other problems are still listed; a role with a space is quoted for the shell; a system prompt is not offered', () => {
    const both = JSON.stringify({ messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hi' }, { role: 'the bot', content: 'hey there' }] });
    const lines = [...Array<string>(11).fill(both), '{oops', JSON.stringify({ messages: [{ role: 'the bot', content: 'hello?' }] })];
    const file = join(dir, 'the-bot.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = styletune('score', file, '--model', model);
    assert.equal(r.code, 1);
    assert.equal(jsonLines(r).length, 13, 'an error line on stdout for every line');
    const diags = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`) && /^\d/.test(l.slice(file.length + 1)));
    assert.deepEqual(diags.map((d) => Number(d.split(':')[1])), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12], 'misses 1-10, then the malformed line 12');
    assert.ok(r.stderr.endsWith([
      `${file}: … and 2 more lines without turns by \`assistant\` (the output has an error line for each)`,
      "12 lines have no turns by `assistant`; roles found instead: the bot, user. Choose one with --role 'the bot'",
      '13 lines could not be scored\n',
    ].join('\n')), r.stderr);
  });

  test('a pairs file: chosen and rejected scored, margin = chosen − rejected', () => {
    const r = styletune('score', pairs.file, '--model', model);
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r);
    assert.deepEqual(out.map((o) => o.line), pairs.lines.map((_, i) => i + 1));
    out.forEach((o, i) => {
      assertScored(o.chosen, TRAIT_IDS, `line ${i + 1} chosen`);
      assertScored(o.rejected, TRAIT_IDS, `line ${i + 1} rejected`);
      assert.ok(Math.abs(o.margin - (o.chosen.score - o.rejected.score)) < 1e-9, `line ${i + 1} margin`);
    });
    const first = JSON.parse(pairs.lines[0]);
    assert.deepEqual(out[0].chosen.traits, valuesById(measureResponse(first.chosen, first.prompt).values));
    // The model was fitted on these lines: chosen (casual) wins nearly always.
    assert.ok(out.filter((o) => o.margin > 0).length >= 36);
  });

  test("the labeler's unlabeled candidates: every candidate scored, with best, worst and spread", () => {
    const file = join(repoRoot, 'samples', 'workspace', 'demo.pairs.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const r = styletune('score', file, '--model', model);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = jsonLines(r);
    assert.deepEqual(out.map((o) => o.line), lines.map((_, i) => i + 1));
    out.forEach((o, i) => {
      const item = JSON.parse(lines[i]) as { prompt: string; responses: string[] };
      assert.equal(o.candidates.length, item.responses.length, `line ${i + 1}`);
      o.candidates.forEach((c: Record<string, any>, j: number) => {
        assertScored(c, TRAIT_IDS, `line ${i + 1} candidate ${j + 1}`);
        assert.deepEqual(c.traits, valuesById(measureResponse(item.responses[j], item.prompt).values));
      });
      const scores = o.candidates.map((c: { score: number }) => c.score);
      assert.equal(o.best, scores.indexOf(Math.max(...scores)) + 1);
      assert.equal(o.worst, scores.indexOf(Math.min(...scores)) + 1);
      assert.ok(Math.abs(o.spread - (Math.max(...scores) - Math.min(...scores))) < 1e-12);
    });
    // With the shipped model, the casual reply of the first item ("thinking tacos tbh…", candidate 2) is the best.
    const shipped = jsonLines(styletune('score', file, '--model', DEFAULT_MODEL));
    assert.equal(shipped[0].best, 2);
    assert.equal(shipped[0].worst, 1);
  });

  test('a contrastive (Turing games) file: human and ai scored, margin = human − ai', () => {
    const r = scoreGames();
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r);
    assert.equal(out.length, 40);
    out.forEach((o, i) => {
      assert.equal(o.line, i + 1);
      assertScored(o.human, TRAIT_IDS, `line ${i + 1} human`);
      assertScored(o.ai, TRAIT_IDS, `line ${i + 1} ai`);
      assert.ok(Math.abs(o.margin - (o.human.score - o.ai.score)) < 1e-9, `line ${i + 1} margin`);
    });
  });

  test('bad lines get an error on stdout and a file:line:col diagnostic on stderr; valid lines are still scored', () => {
    const lines = [
      pairs.lines[0],
      '{"prompt": "hi", "chosen": "hey',
      '',
      '{"prompt": "hi", "chosen": 5, "rejected": "Hello."}',
      pairs.lines[1],
      '[1, 2]',
      '{"messages": [{"role": "assistant"}]}',
      pairs.lines[2],
    ];
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = styletune('score', file, '--model', model);
    assert.equal(r.code, 1);
    const out = jsonLines(r);
    assert.deepEqual(out.map((o) => o.line), [1, 2, 4, 5, 6, 7, 8], 'one result per non-blank line, numbered as in the file');
    const errors = out.filter((o) => 'error' in o);
    assert.deepEqual(errors.map((o) => o.line), [2, 4, 6, 7]);
    assert.equal(errors[0].error, 'invalid JSON: Unterminated string');
    assert.ok(errors[0].column >= 28 && errors[0].column <= 32, `column ${errors[0].column} points into the broken string`);
    assert.match(errors[1].error, /`chosen` must be a string or a list of messages, got number/);
    assert.match(errors[2].error, /line is a JSON array/);
    assert.match(errors[3].error, /`messages\[0\]\.content` is missing/);
    for (const o of out.filter((x) => !('error' in x))) {
      assertScored(o.chosen, TRAIT_IDS, `line ${o.line}`);
      assert.ok(Math.abs(o.margin - (o.chosen.score - o.rejected.score)) < 1e-9);
    }
    const diags = r.stderr.split('\n').filter((l) => l.startsWith(file));
    assert.deepEqual(diags.map((d) => d.slice(file.length).split(': ')[0]), [`:2:${errors[0].column}`, ':4:1', ':6:1', ':7:1']);
    for (const [i, d] of diags.entries()) assert.ok(d.endsWith(`error: ${errors[i].error}`), d);
    assert.match(r.stderr, /4 lines could not be scored/);
  });

  test('a missing input file or model fails with a plain message, exit code 1', () => {
    const noInput = styletune('score', join(dir, 'missing.jsonl'), '--model', model);
    assert.equal(noInput.code, 1);
    assert.match(noInput.stderr, /^styletune: cannot open .*missing\.jsonl/);
    const noModel = styletune('score', pairs.file, '--model', join(dir, 'missing.onnx'));
    assert.equal(noModel.code, 1);
    assert.equal(noModel.stderr, `styletune: reward model not found: ${join(dir, 'missing.onnx')}\n`);
    assert.equal(noModel.stdout, '');
    const notOnnx = join(dir, 'notes.onnx');
    writeFileSync(notOnnx, 'not a model at all\n');
    const bad = styletune('score', pairs.file, '--model', notOnnx);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^styletune: .*notes\.onnx is not (an ONNX model|a StyleTune reward model)/);
    assert.doesNotMatch(bad.stderr, /^\s+at /m, 'no stack trace');
  });
});

describe('styletune eval', () => {
  test('--by ai_model on games: per-group accuracy matching the scores', () => {
    const json = styletune('eval', games.file, '--model', model, '--by', 'ai_model', '--json');
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.model, model);
    // Recompute from `score` margins: the share of games where the human outscores the AI, per ai_model.
    const scored = jsonLines(scoreGames());
    const want = new Map<string, { n: number; right: number }>();
    const add = (key: string, margin: number) => {
      const a = want.get(key) ?? { n: 0, right: 0 };
      a.n++;
      a.right += margin > 0 ? 1 : margin === 0 ? 0.5 : 0;
      want.set(key, a);
    };
    scored.forEach((o, i) => {
      add('all', o.margin);
      add(games.file, o.margin);
      add(`${games.file} ai_model=${JSON.parse(games.lines[i]).ai_model}`, o.margin);
    });
    assert.deepEqual(
      report.accuracy.map((r: { key: string; n: number; accuracy: number }) => [r.key, r.n, r.accuracy]).sort(),
      [...want].map(([key, a]) => [key, a.n, a.right / a.n]).sort(),
    );

    const text = styletune('eval', games.file, '--model', model, '--by', 'ai_model');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Pairwise accuracy of custom reward \\(${TRAIT_IDS.length} traits\\):\n`));
    for (const key of want.keys()) {
      const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(text.stdout, new RegExp(`^  ${esc} +\\d+\\.\\d %  \\(n=${want.get(key)!.n}\\)$`, 'm'), key);
    }
  });

  test('dialogue-only files have no pairs to evaluate: said once, with or without turns by the role', () => {
    for (const role of [['--role', 'agent_1'], []]) {
      const r = styletune('eval', topical.file, '--model', model, ...role);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /no pair or human\/ai lines found/);
      assert.equal(r.stderr, '20 dialogue lines carry no preference and were not counted\n', `role ${role[1] ?? 'assistant'}`);
    }
  });

  test('pairs whose sides have no turns by the role: the first 10 listed, the rest counted, the roles named; dialogue lines counted apart', () => {
    const pair = (i: number) => JSON.stringify({ prompt: [{ role: 'human', content: `hi ${i}` }], chosen: [{ role: 'bot', content: 'hey lol' }], rejected: [{ role: 'bot', content: 'Hello. How may I assist you?' }] });
    const file = join(dir, 'bot-pairs.jsonl');
    writeFileSync(file, [...Array.from({ length: 12 }, (_, i) => pair(i)), topical.lines[0]].join('\n') + '\n');
    const r = styletune('eval', file, '--model', model);
    assert.equal(r.code, 1);
    const diags = r.stderr.split('\n').filter((l) => l.startsWith(`${file}:`) && /^\d/.test(l.slice(file.length + 1)));
    assert.deepEqual(diags.map((d) => Number(d.split(':')[1])), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(r.stderr.endsWith([
      `${file}: … and 2 more lines without turns by \`assistant\``,
      '12 lines have no turns by `assistant`; roles found instead: bot. Choose one with --role bot',
      '1 dialogue line carries no preference and was not counted\n',
    ].join('\n')), r.stderr);
    const fixed = styletune('eval', file, '--model', model, '--role', 'bot');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /\(n=12\)/);
  });
});

describe('the default model', () => {
  test('models/default.onnx loads and scores without --model', () => {
    assert.ok(
      existsSync(DEFAULT_MODEL),
      `the shipped default model ${DEFAULT_MODEL} does not exist; fit it first (styletune fit ... --out models/default.onnx)`,
    );
    const small = join(dir, 'pairs5.jsonl');
    writeFileSync(small, pairs.lines.slice(0, 5).join('\n') + '\n');
    const r = styletune('score', small);
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r);
    assert.deepEqual(out.map((o) => o.line), [1, 2, 3, 4, 5]);
    const modelTraits = Object.keys(out[0].chosen.contributions);
    assert.ok(modelTraits.length > 0 && modelTraits.every((id) => TRAIT_IDS.includes(id)), 'the default model only uses known traits');
    for (const o of out) {
      assertScored(o.chosen, modelTraits, `line ${o.line} chosen`);
      assertScored(o.rejected, modelTraits, `line ${o.line} rejected`);
    }
  });
});

describe('usage', () => {
  test('--help of the CLI and of every command exits 0 and prints usage', () => {
    for (const args of [[], ['--help'], ['score', '--help'], ['fit', '-h'], ['eval', '--help'], ['traits', '--help']]) {
      const r = styletune(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', args.join(' '));
      assert.match(r.stdout, args.length <= 1 ? /^styletune — .*\n\nUsage: styletune <command>/ : new RegExp(`^Usage: styletune ${args[0]} `), args.join(' '));
    }
  });

  test('an unknown command exits 2 with a plain message', () => {
    const r = styletune('frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^styletune: unknown command 'frobnicate'\n/);
    assert.match(r.stderr, /Usage: styletune <command>/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(r.stdout, '');
  });

  test('bad options and missing arguments exit 2 with a plain message', () => {
    const cases: [string[], RegExp][] = [
      [['score', pairs.file, '--bogus'], /^styletune: Unknown option '--bogus'/],
      [['score'], /^styletune: score takes one file/],
      [['fit', 'a.jsonl'], /^styletune: fit needs --out M\.onnx/],
      [['fit', '--out', 'm.onnx'], /^styletune: fit needs at least one file/],
      [['fit', pairs.file, '--out', 'm.onnx', '--folds=-1'], /^styletune: --folds must be a non-negative number, got -1/],
      [['fit', 'a.jsonl', '--out', 'm.onnx', '--balance', 'weird'], /^styletune: --balance must be sources or none/],
      [['eval'], /^styletune: eval needs at least one file/],
      [['traits', '--verbose'], /^styletune: Unknown option '--verbose'/],
    ];
    for (const [args, message] of cases) {
      const r = styletune(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${args.join(' ')}: no stack trace`);
    }
  });
});

describe('option checks come before the work', () => {
  test(
    'a bad --folds is a usage error even when the data cannot be read',
    () => {
      const r = styletune('fit', join(dir, 'missing.jsonl'), '--out', join(dir, 'm.onnx'), '--folds=-1');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--folds must be a non-negative number/);
    },
  );
});

describe('styletune traits', () => {
  test('--json lists every trait id with its label, range and HAL statements', () => {
    const r = styletune('traits', '--json');
    assert.equal(r.code, 0, r.stderr);
    const traits = JSON.parse(r.stdout) as { id: string; label: string; description: string; hal: number[]; range: [number, number]; direction?: { sign: number; why: string } }[];
    assert.deepEqual(traits.map((t) => t.id), [...TRAIT_IDS]);
    for (const t of traits) {
      assert.deepEqual(Object.keys(t).filter((key) => key !== 'direction').sort(), ['description', 'hal', 'id', 'label', 'range']);
      if (t.direction) assert.ok(Math.abs(t.direction.sign) === 1 && t.direction.why.length > 20, t.id);
      assert.ok(t.label.length > 0 && t.description.length > 0, t.id);
      assert.ok(t.hal.length > 0 && t.hal.every((h) => Number.isInteger(h) && h >= 1 && h <= 32), t.id);
      assert.ok(t.range[0] < t.range[1], t.id);
    }
  });

  test('the text listing names every trait', () => {
    const r = styletune('traits');
    assert.equal(r.code, 0);
    for (const id of TRAIT_IDS) assert.match(r.stdout, new RegExp(`^${id} `, 'm'), id);
  });
});
