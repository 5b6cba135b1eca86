/**
 * Inline annotations with a reward model that weighs LLM-judge traits, in a real VS Code against the
 * local OpenAI-compatible test server: turns wait for ratings (nothing is sent on its own), "Rate
 * Visible Items with LLM Judge" rates what is on screen, and the turns are then scored with their
 * judge traits; a JSONL file uses the ratings file "Rate with LLM Judge" wrote beside it.
 */
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Annotation } from '../../../src/extension/annotations/engine';
import type { RateResult } from '../../../src/extension/judge';
import { startJudgeServer, type JudgeServer } from '../../support/judgeServer';
import { closeAllEditorsWithoutSaving, openSample, sample, saveJudgeRewardModel } from './helpers';

const judgeConfig = () => vscode.workspace.getConfiguration('styletune.judge');
const current = async () => (await vscode.commands.executeCommand<Annotation[]>('styletune.currentAnnotations')) ?? [];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('StyleTune: inline annotations with LLM-judge traits', function () {
  this.timeout(120_000);
  let server: JudgeServer;

  before(async function () {
    this.timeout(180_000);
    await vscode.extensions.getExtension('styletune.styletune')?.activate();
    server = await startJudgeServer();
    const model = join(process.env.STYLETUNE_E2E_SANDBOX ?? sample('').fsPath, 'judge-combined.onnx');
    await saveJudgeRewardModel(model);
    await judgeConfig().update('baseUrl', server.url, vscode.ConfigurationTarget.Global);
    await judgeConfig().update('model', 'inline-e2e-judge', vscode.ConfigurationTarget.Global);
    await judgeConfig().update('maxRetries', 0, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('styletune').update('rewardModelPath', model, vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await vscode.workspace.getConfiguration('styletune').update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    for (const key of ['baseUrl', 'model', 'maxRetries']) await judgeConfig().update(key, undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditorsWithoutSaving();
    await server?.close();
  });

  it('transcript turns wait for ratings; Rate Visible Items rates the ones on screen, which are then scored with their judge traits', async () => {
    const editor = await openSample('transcript.md');
    const before = server.requests;
    const waiting = await current();
    assert.equal(waiting.length, 5, 'every assistant turn has an annotation');
    for (const a of waiting) {
      assert.ok(a.unrated, `line ${a.line}: no ratings yet`);
      assert.match(a.text, /needs LLM-judge ratings/);
    }
    assert.equal(server.requests, before, 'nothing is sent to the judge without being asked');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(waiting[0].line, 3));
    const hover = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(hover, /\[Rate the visible items with the LLM judge\]\(command:styletune\.judge\.rateVisible\)/);

    const onScreen = waiting.filter((a) => editor.visibleRanges.some((r) => a.line <= r.end.line && Math.max(a.endLine, a.textLine) >= r.start.line));
    assert.ok(onScreen.length > 0);
    const result = await vscode.commands.executeCommand<{ rated: number; failed: number }>('styletune.judge.rateVisible');
    assert.deepEqual(result && [result.rated, result.failed], [onScreen.length, 0]);
    assert.equal(server.requests - before, onScreen.length, 'one request per turn on screen');

    const scored = (await current()).filter((a) => onScreen.some((o) => o.line === a.line));
    assert.equal(scored.length, onScreen.length);
    for (const a of scored) {
      assert.equal(a.unrated, undefined, `line ${a.line} is scored`);
      assert.match(a.text, /^reward [+−]\d+\.\d\d/);
      assert.equal(a.traits.length, 50 + 16, 'the lexical traits and HAL\'s 16 judge statements');
      assert.ok(a.traits.some((t) => t.id === 'judge.hal01' && (t.value === 1 || t.value === 5)));
      assert.ok(Math.abs(a.bias + sum(a.traits.map((t) => t.contribution)) - a.score) < 1e-6, 'score = bias + Σ contributions');
    }
    const again = await vscode.commands.executeCommand<{ rated: number; alreadyRated: boolean }>('styletune.judge.rateVisible');
    assert.equal(again?.alreadyRated, true);
    assert.equal(server.requests - before, onScreen.length, 'nothing asked twice');
  });

  it("a JSONL file's lines are scored from the ratings file written beside it", async () => {
    const file = sample('judged-pairs.jsonl');
    const pair = (chosen: string, rejected: string) => JSON.stringify({ prompt: 'any plans tonight?', chosen, rejected });
    writeFileSync(file.fsPath, [pair('prob just netflix lol', 'As an AI, I do not have plans.'), pair('tacos maybe', 'Evening plans vary.')].join('\n') + '\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    assert.ok((await current()).every((a) => a.unrated), 'unrated before the file is rated');
    const rated = await vscode.commands.executeCommand<RateResult>('styletune.judge.rateFile', file);
    assert.equal(rated?.rated, 4);
    // The new ratings file is noticed (a file watcher) and the annotations refresh on their own.
    let annotations = await current();
    for (const end = Date.now() + 15_000; annotations.some((a) => a.unrated) && Date.now() < end; annotations = await current()) await new Promise((r) => setTimeout(r, 200));
    assert.equal(annotations.length, 2);
    for (const a of annotations) {
      assert.equal(a.unrated, undefined);
      assert.match(a.text, /^chosen − rejected [+−]\d+\.\d\d/);
      assert.ok(a.traits.some((t) => t.id === 'judge.hal01'));
      assert.ok(Math.abs(sum(a.traits.map((t) => t.contribution)) - a.score) < 1e-6, 'margin = Σ Δ contributions');
    }
  });
});
