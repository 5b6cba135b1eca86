/**
 * Which file a command means (src/extension/targets.ts): a JSONL file open in the pair labeler has no
 * text editor, only a custom-editor tab; every command that takes a file must still find it there,
 * as Build Pairs always did.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { InspectorSummary } from '../../../src/extension/inspector/panel';
import type { RateResult } from '../../../src/extension/judge';
import type { FitResult } from '../../../src/extension/modelCommands/fit';
import { startJudgeServer } from '../../support/judgeServer';
import { closeAllEditorsWithoutSaving, sample, type ScoreSummary } from './helpers';

/** Opens `name` in the labeler (the "any JSONL" view type) and waits until its tab is the active one. */
async function openInLabeler(name: string): Promise<vscode.Uri> {
  const uri = sample(name);
  await vscode.commands.executeCommand('vscode.openWith', uri, 'styletune.pairLabeler.anyJsonl');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && input.uri.toString() === uri.toString()) break;
    assert.ok(Date.now() < deadline, 'the labeler tab became active');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(vscode.window.activeTextEditor, undefined, 'the labeler has no text editor');
  return uri;
}

describe('StyleTune: commands find the file open in the pair labeler', () => {
  before(async () => {
    await vscode.extensions.getExtension('styletune.styletune')?.activate();
    await closeAllEditorsWithoutSaving();
  });
  afterEach(closeAllEditorsWithoutSaving);

  it('Fit Reward Model fits the pairs of the file in the labeler', async function () {
    this.timeout(60_000);
    const uri = await openInLabeler('pairs.jsonl');
    const output = sample('from-labeler.reward.onnx').fsPath;
    const result = await vscode.commands.executeCommand<FitResult>('styletune.fitRewardModel', { output });
    assert.ok(result, 'the command found the file');
    assert.equal(result.file, uri.fsPath);
    assert.equal(result.comparisons, 4);
    assert.ok(existsSync(output));
  });

  it('Score Current File and the inspector take the file in the labeler', async () => {
    const uri = await openInLabeler('pairs.jsonl');
    const summary = await vscode.commands.executeCommand<ScoreSummary>('styletune.scoreCurrentFile');
    assert.ok(summary, 'Score Current File found the file');
    assert.equal(summary.file, uri.fsPath);
    assert.equal(summary.kinds.pair, 4);
    await openInLabeler('pairs.jsonl');
    const inspected = await vscode.commands.executeCommand<InspectorSummary>('styletune.openInspector');
    assert.ok(inspected, 'the inspector found the file');
    assert.equal(inspected.rows, 4);
  });

  it('Rate with LLM Judge rates the file in the labeler', async function () {
    this.timeout(60_000);
    const server = await startJudgeServer();
    const judge = vscode.workspace.getConfiguration('styletune.judge');
    try {
      await judge.update('baseUrl', server.url, vscode.ConfigurationTarget.Global);
      await judge.update('model', 'e2e-judge-targets', vscode.ConfigurationTarget.Global);
      const uri = await openInLabeler('pairs.jsonl');
      const output = sample('from-labeler.ratings.jsonl').fsPath;
      const rated = await vscode.commands.executeCommand<RateResult>('styletune.judge.rateFile', { output });
      assert.ok(rated, 'the judge found the file');
      assert.equal(rated.file, uri.fsPath);
      assert.equal(rated.lines, 4);
      assert.ok(existsSync(output));
    } finally {
      for (const key of ['baseUrl', 'model']) await judge.update(key, undefined, vscode.ConfigurationTarget.Global);
      await server.close();
    }
  });
});
