/** Choose / fit reward model and the status bar item in a real VS Code. */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { RewardModel, saveSpec } from '../../../src/core/reward/model';
import type { ChooseResult } from '../../../src/extension/modelCommands/choose';
import type { FitResult } from '../../../src/extension/modelCommands/fit';
import type { ModelStatusInfo } from '../../../src/extension/modelCommands/status';
import { closeAllEditorsWithoutSaving, openSample, sample } from './helpers';

const DEFAULT_NAME = 'StyleTune default human-likeness reward';

async function status(): Promise<ModelStatusInfo> {
  await vscode.extensions.getExtension('styletune.styletune')?.activate();
  return vscode.commands.executeCommand<ModelStatusInfo>('styletune.modelStatus');
}

const setting = () => vscode.workspace.getConfiguration('styletune').inspect<string>('rewardModelPath')?.workspaceValue;

describe('StyleTune: reward model commands and status', () => {
  afterEach(async () => {
    await vscode.workspace.getConfiguration('styletune').update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    await closeAllEditorsWithoutSaving();
  });

  it('the status bar names the shipped model by default', async () => {
    const s = await status();
    assert.equal(s.text, `$(pulse) ${DEFAULT_NAME}`);
    assert.equal(s.error, undefined);
  });

  it('Fit Reward Model from This File writes a loadable model from pairs.jsonl', async function () {
    this.timeout(60_000);
    await openSample('pairs.jsonl');
    const output = sample('fitted.reward.onnx').fsPath;
    const result = await vscode.commands.executeCommand<FitResult>('styletune.fitRewardModel', { output });
    assert.ok(result, 'the command returned its result');
    assert.equal(result.file, sample('pairs.jsonl').fsPath);
    assert.equal(result.comparisons, 4);
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1, `accuracy ${result.accuracy}`);
    assert.ok(existsSync(output));
    const model = await RewardModel.load(output);
    try {
      assert.equal(model.traitIds.length, 50);
      assert.equal((model.spec.training as { name: string }).name, 'Fitted on pairs.jsonl');
      const scored = await model.scoreRows([new Float64Array(50)]);
      assert.ok(Number.isFinite(scored.score[0]), 'onnxruntime runs it');
    } finally {
      await model.dispose();
    }
    assert.equal(setting(), undefined, 'not switched to without asking');
    assert.equal((await status()).text, `$(pulse) ${DEFAULT_NAME}`);
  });

  it('Choose Reward Model with an argument switches the model and the status bar follows', async function () {
    this.timeout(60_000);
    const output = sample('chosen.reward.onnx').fsPath;
    await vscode.commands.executeCommand<FitResult>('styletune.fitRewardModel', { file: sample('pairs.jsonl'), output });
    const chosen = await vscode.commands.executeCommand<ChooseResult>('styletune.chooseRewardModel', vscode.Uri.file(output));
    assert.deepEqual(chosen, { file: output, name: 'Fitted on pairs.jsonl', setting: 'chosen.reward.onnx', target: 'workspace' });
    assert.equal(setting(), 'chosen.reward.onnx', 'relative to the workspace folder');
    assert.equal((await status()).text, '$(pulse) Fitted on pairs.jsonl');

    const back = await vscode.commands.executeCommand<ChooseResult>('styletune.chooseRewardModel', 'default');
    assert.equal(back?.name, DEFAULT_NAME);
    assert.equal(setting(), '');
    assert.equal((await status()).text, `$(pulse) ${DEFAULT_NAME}`);
  });

  it('fitting with use: true switches to the new model at once', async function () {
    this.timeout(60_000);
    const output = sample('used.reward.onnx').fsPath;
    await vscode.commands.executeCommand('styletune.fitRewardModel', { file: sample('pairs.jsonl'), output, use: true });
    assert.equal(setting(), 'used.reward.onnx');
    assert.equal((await status()).file, output);
  });

  it('refuses a model with a trait this version does not know, and keeps the current one', async () => {
    const file = sample('unknown-trait.onnx').fsPath;
    const one = Float64Array.from([1]);
    await saveSpec({ traitIds: ['no_such_trait'], mean: one, std: one, weights: one, bias: 0, zClip: 6, role: 'assistant', training: { name: 'from the future' } }, file);
    const result = await vscode.commands.executeCommand('styletune.chooseRewardModel', file);
    assert.equal(result, undefined);
    assert.equal(setting(), undefined);
    assert.equal((await status()).text, `$(pulse) ${DEFAULT_NAME}`);
  });
});
