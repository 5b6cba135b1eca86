/** Build Pairs from Reward Ranking / by Contrast Prompting in a real VS Code, on files of the sandbox workspace. */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PairsResult } from '../../../src/extension/pairs';
import { closeAllEditorsWithoutSaving, sample, sharedData } from './helpers';

const readJsonl = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

describe('StyleTune: Build Pairs', () => {
  afterEach(closeAllEditorsWithoutSaving);

  it('ranks real roleplay dialogues per persona and writes TRL pairs with scores', async function () {
    this.timeout(120_000);
    await vscode.extensions.getExtension('styletune.styletune')?.activate();
    // Three personas' dialogues from across the corpus (it is ordered by model and epoch).
    const lines = (await readFile(sharedData('roleplay/judge_scored.jsonl'), 'utf8')).split('\n').filter((l) => /"dialogue_id": [012],/.test(l));
    const file = sample('roleplay3.jsonl');
    await writeFile(file.fsPath, lines.join('\n') + '\n');
    const output = sample('roleplay3.ranked.pairs.jsonl').fsPath;
    const result = await vscode.commands.executeCommand<PairsResult>('styletune.buildPairsRanked', { file, output, groupBy: ['dialogue_id'], rule: 'sd', k: 0.5, maxPerGroup: 4 });
    assert.ok(result, 'the command returned its result');
    assert.equal(result.pairs, 12);
    assert.equal(result.problems, 0);
    assert.match(result.summary[0], /^12 pairs from 3 of 3 groups \(\d+ candidates\)/);
    const pairs = await readJsonl(output);
    assert.equal(pairs.length, 12);
    for (const p of pairs) {
      assert.ok(Array.isArray(p.chosen) && Array.isArray(p.rejected), 'dialogues as message lists');
      assert.ok(p.gap > 0 && Math.abs(p.chosen_score - p.rejected_score - p.gap) < 1e-12);
      assert.match(p.group, /^dialogue_id=[012]$/);
      // The lines named are really of that persona.
      for (const n of [p.chosen_line, p.rejected_line]) assert.equal(`dialogue_id=${JSON.parse(lines[n - 1]).dialogue_id}`, p.group);
    }
  });

  it('filters casual/formal pairs by the reward and writes the dropped ones with their reason', async function () {
    this.timeout(60_000);
    const file = sample('pairs.jsonl');
    const output = sample('pairs.contrast.pairs.jsonl').fsPath;
    const dropped = sample('pairs.dropped.jsonl').fsPath;
    const result = await vscode.commands.executeCommand<PairsResult>('styletune.buildPairsContrast', { file, output, margin: 0, dropped });
    assert.ok(result);
    const kept = await readJsonl(output);
    const left = await readJsonl(dropped);
    assert.equal(result.pairs, kept.length);
    assert.equal(kept.length + left.length, 4, 'every pair of the sample file is kept or dropped');
    for (const p of kept) assert.ok(p.gap >= 0);
    for (const d of left) assert.ok(['disagreed', 'below-margin', 'empty', 'unscorable'].includes(d.reason));
    assert.match(result.summary[0], /^kept \d of 4 pairs/);
  });

  it('generates casual and formal answers with a tiny model through the trainer, and counts every prompt', async function () {
    this.timeout(240_000);
    const ext = vscode.extensions.getExtension('styletune.styletune')!;
    const tiny = sample('tiny-model').fsPath;
    // Asynchronously: a blocking call would stall the extension host this test runs in.
    await promisify(execFile)(join(ext.extensionPath, '.venv', 'bin', 'python'), ['-m', 'styletune_trainer', 'make-tiny-model', tiny], {
      env: { ...process.env, PYTHONPATH: join(ext.extensionPath, 'trainer') },
    });
    const prompts = (await readFile(sharedData('human-like-dpo/pairs.dev.jsonl'), 'utf8')).split('\n').slice(0, 3);
    const file = sample('prompts3.jsonl');
    await writeFile(file.fsPath, prompts.map((l) => JSON.stringify({ prompt: JSON.parse(l).prompt })).join('\n') + '\n');
    const output = sample('prompts3.contrast.pairs.jsonl').fsPath;
    const dropped = sample('prompts3.dropped.jsonl').fsPath;
    const result = await vscode.commands.executeCommand<PairsResult>('styletune.buildPairsContrast', {
      file, output, dropped, modelDir: tiny, maxNewTokens: 16, device: 'cpu', allowTruncated: true, margin: 0,
    });
    assert.ok(result, 'the command returned its result');
    const kept = await readJsonl(output);
    const left = await readJsonl(dropped);
    assert.equal(kept.length + left.length, 3);
    for (const p of [...kept, ...left]) {
      assert.equal(typeof p.chosen, 'string');
      assert.ok(p.chosen.length > 0 && p.rejected.length > 0, 'both answers generated');
    }
    assert.match(result.summary[0], /^kept \d of 3 pairs/);
  });

  it('says what is wrong with a file of the wrong shape and writes nothing for the bad lines', async function () {
    this.timeout(60_000);
    const file = sample('contrastive.jsonl');
    const output = sample('contrastive.contrast.pairs.jsonl').fsPath;
    const result = await vscode.commands.executeCommand<PairsResult>('styletune.buildPairsContrast', { file, output });
    assert.ok(result);
    assert.equal(result.pairs, 0);
    assert.ok(result.problems > 0, 'human/ai lines are reported, not skipped silently');
    assert.deepEqual(await readJsonl(output), []);
  });
});
