/**
 * `styletune judge`, `checklist`, and `fit`/`score` with judge ratings: the built bundle (dist/cli.js)
 * as a child process against the local OpenAI-compatible test server.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { venvPython } from '../../src/core/worker';
import { startJudgeServer, type JudgeServer } from '../support/judgeServer';
import { repoRoot, requireShared } from './paths';

const CLI = join(repoRoot, 'dist', 'cli.js');

/** Async (not spawnSync): the test server runs in this process and must keep answering. */
function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('styletune judge / checklist / fit --judge-ratings', () => {
  let server: JudgeServer;
  let dir: string;
  before(async () => {
    server = await startJudgeServer();
    dir = mkdtempSync(join(tmpdir(), 'styletune-judgecli-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('judge: ratings file, per-line diagnostics, key from the environment, cached rerun sends only the failed line', async () => {
    const d = (text: string) => JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: text }] });
    writeFileSync(join(dir, 'd.jsonl'), [d('hey lol'), d('Hello. How may I help?'), d('#wrongcount')].join('\n'));
    const args = ['judge', 'd.jsonl', '--out', 'r.jsonl', '--endpoint', server.url, '--model', 'tj', '--retries', '0'];
    const before = server.requests;
    const r = await cli(args, dir, { STYLETUNE_JUDGE_API_KEY: 'sk-cli' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^d\.jsonl:3:1: error: judge could not rate the dialogue: the judge gave 31 ratings, expected 32$/m);
    assert.equal(server.requests - before, 3);
    assert.equal(server.authorizations.at(-1), 'Bearer sk-cli');
    const lines = readFileSync(join(dir, 'r.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.equal(lines[0].ratings[0], 5);
    assert.equal(lines[1].ratings[0], 1);
    assert.match(lines[2].error, /31 ratings/);
    const again = server.requests;
    await cli(args, dir);
    assert.equal(server.requests - again, 1);

    const usage = await cli(['judge', 'd.jsonl', '--out', 'x.jsonl', '--model', 'tj'], dir, { STYLETUNE_JUDGE_ENDPOINT: '' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /no judge endpoint: pass --endpoint URL/);
  });

  test('fit --judge-ratings with HAL ratings, then score: a judge model needs the ratings, and uses them', async () => {
    const games = requireShared('turing/games.dev.jsonl');
    const ratings = requireShared('turing/judge_ratings.dev.jsonl');
    const fit = await cli(['fit', games, '--judge-ratings', ratings, '--traits', 'judge16', '--folds', '10', '--out', 'j.onnx', '--json'], dir);
    assert.equal(fit.status, 0, fit.stderr);
    const report = JSON.parse(fit.stdout);
    assert.equal(report.weights.length, 16);
    assert.ok(report.weights.every((w: { id: string }) => w.id.startsWith('judge.hal')));
    const noRatings = await cli(['score', games, '--model', 'j.onnx'], dir);
    assert.equal(noRatings.status, 2);
    assert.match(noRatings.stderr, /weighs LLM-judge ratings: rate the file first/);
    const scored = await cli(['score', games, '--model', 'j.onnx', '--judge-ratings', ratings], dir);
    assert.equal(scored.status, 0, scored.stderr);
    const first = JSON.parse(scored.stdout.split('\n')[0]);
    assert.equal(first.human.traits['judge.hal01'], 5);
    assert.ok('judge.hal01' in first.human.contributions);
    const listed = JSON.parse((await cli(['traits', '--json', '--judge'], dir)).stdout) as { id: string; range: number[] }[];
    assert.equal(listed.length, 50 + 32);
    assert.deepEqual(listed.at(-1), { ...listed.at(-1), id: 'judge.hal32', range: [1, 5] });
    const unknown = await cli(['fit', games, '--judge-ratings', ratings, '--traits', 'slang,judge.hal33', '--out', 'x.onnx'], dir);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--traits: unknown trait judge\.hal33/);
    const bad = await cli(['fit', games, '--traits', 'judge', '--out', 'x.onnx'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /judge traits need ratings: pass --judge-ratings/);
  });

  test('judge --local-model: the Python worker rates with a tiny causal LM, and fit reads its ratings', async () => {
    const python = venvPython(repoRoot);
    if (!existsSync(python)) throw new Error(`${python} missing: run \`bash scripts/setup-python.sh\` first`);
    execFileSync(python, ['-m', 'styletune_trainer', 'make-tiny-model', join(dir, 'tiny')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pairs = [
      { prompt: 'whats ur fav food', chosen: 'pizza obv lol', rejected: 'As an AI, I do not eat food.' },
      { prompt: 'weekend plans?', chosen: 'prob just sleep tbh', rejected: 'I do not have personal plans, but I can suggest some activities.' },
    ];
    writeFileSync(join(dir, 'p.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n{"chosen": 1}\n');
    const r = await cli(['judge', 'p.jsonl', '--out', 'local.ratings.jsonl', '--local-model', 'tiny', '--python', python], dir);
    assert.equal(r.status, 1, 'one line could not be read');
    assert.match(r.stderr, /p\.jsonl:3:1: `chosen` must be a string or a list of messages/);
    const lines = readFileSync(join(dir, 'local.ratings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    for (const side of [lines[0].chosen, lines[0].rejected, lines[1].chosen, lines[1].rejected]) {
      assert.equal(side.ratings.length, 32);
      assert.ok(side.ratings.every((x: number) => x >= 1 && x <= 5));
    }
    writeFileSync(join(dir, 'p2.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const fit = await cli(['fit', 'p2.jsonl', '--judge-ratings', 'local.ratings.jsonl', '--folds', '2', '--out', 'local.onnx', '--json'], dir);
    assert.equal(fit.status, 1, 'the unrated third line of the ratings file is reported');
    assert.match(fit.stderr, /local\.ratings\.jsonl:3:1: error: this line was not rated/);
    assert.equal(JSON.parse(fit.stdout).comparisons, 2, 'both pairs joined to their ratings by content hash');
  });

  test('checklist: markdown with a base-vs-tuned column, JSON, and a located checklist mistake', async () => {
    writeFileSync(join(dir, 'c.yaml'), 'name: casual\ngroups:\n  - pattern: texting\n    items:\n      - statement: Says "lol"\n        weight: 2\n      - Says "u"\n');
    const row = (model: string, text: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'sup' }, { role: 'assistant', content: text }] });
    writeFileSync(join(dir, 'runs.jsonl'), [row('base', 'Hello there.'), row('tuned', 'nm lol u?'), row('tuned', 'lol same')].join('\n'));
    const common = ['--endpoint', server.url, '--model', 'tj'];
    const md = await cli(['checklist', 'c.yaml', 'runs.jsonl', '--compare', 'base,tuned', '--out', 'report.md', ...common], dir);
    assert.equal(md.status, 0, md.stderr);
    // tuned: lol 2/2 (weight 2), u 1/2 → (4 + 1) / (4 + 2)
    assert.match(md.stdout, /\| all items \| 0\.0 % \(n=1\) \| 83\.3 % \(n=2\) \| \+83\.3 pt \|/);
    assert.equal(readFileSync(join(dir, 'report.md'), 'utf8'), md.stdout);
    const json = await cli(['checklist', 'c.yaml', 'runs.jsonl', '--json', ...common], dir);
    assert.deepEqual(
      JSON.parse(json.stdout).models.map((m: { model: string; dialogues: number }) => [m.model, m.dialogues]),
      [
        ['base', 1],
        ['tuned', 2],
      ],
    );
    writeFileSync(join(dir, 'bad.yaml'), 'groups:\n  - pattern: x\n    items:\n      - statement: y\n        weight: zero\n');
    const bad = await cli(['checklist', 'bad.yaml', 'runs.jsonl', ...common], dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^bad\.yaml:4:9: error: groups\[0\]\.items\[0\]\.weight must be a positive number, got "zero"$/m);
  });
});
