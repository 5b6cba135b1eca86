/**
 * Whose turns are scored: with `styletune.role` unset, the reward model's own role (its ONNX metadata),
 * exactly as the CLI defaults. A model fitted on `agent_1` turns must score a topical-chat file's
 * `agent_1` turns in the editor, line for line what `styletune score` prints.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { Annotation } from '../../../src/extension/annotations/engine';
import { saveSpec } from '../../../src/core/reward/model';
import { decodeReward } from '../../../src/core/reward/onnx';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../../../src/core/score';
import { closeAllEditorsWithoutSaving, nonBlankLines, resultsDocument, sample, scoreActiveEditor, sharedData } from './helpers';

const LINES = 12;

function extensionPath(): string {
  const ext = vscode.extensions.getExtension('styletune.styletune');
  assert.ok(ext, 'the extension is installed');
  return ext.extensionPath;
}

describe('StyleTune: the role defaults to the reward model’s', () => {
  const config = () => vscode.workspace.getConfiguration('styletune');
  let file: vscode.Uri;
  let model: vscode.Uri;

  before(async () => {
    // The shipped model's weights under a model that says it was fitted on agent_1's turns: the role
    // is metadata of the ONNX file, which is all this test is about.
    const shipped = join(extensionPath(), DEFAULT_MODEL_RELATIVE_PATH);
    const spec = decodeReward(readFileSync(shipped), shipped);
    model = sample('agent1-model.onnx');
    await saveSpec({ ...spec, role: 'agent_1', training: { name: 'agent_1 test model' } }, model.fsPath);
    file = sample('topical-chat.jsonl');
    const lines = readFileSync(sharedData('topical-chat/dialogues.jsonl'), 'utf8').split('\n').slice(0, LINES);
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${lines.join('\n')}\n`));
    await vscode.extensions.getExtension('styletune.styletune')?.activate();
    assert.equal(config().get('role'), '', 'styletune.role is unset by default');
    await config().update('rewardModelPath', 'agent1-model.onnx', vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await config().update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    await closeAllEditorsWithoutSaving();
  });

  it('Score Current File scores agent_1 turns, exactly as `styletune score --model` prints', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const summary = await scoreActiveEditor();
    assert.equal(summary.problems, 0, 'no line lacks turns of the scored role');
    assert.equal(summary.scored, LINES);
    const { stdout } = await promisify(execFile)(process.execPath, [join(extensionPath(), 'dist', 'cli.js'), 'score', file.fsPath, '--model', model.fsPath], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const cli = stdout.split('\n').filter((l) => l.trim());
    const results = await resultsDocument(summary);
    const editorLines = nonBlankLines(editor.document).map((i) => results.lineAt(i).text);
    assert.equal(cli.length, LINES);
    assert.deepEqual(editorLines, cli, 'the editor and the CLI give the same results');
    for (const line of cli) assert.equal(typeof (JSON.parse(line) as { score?: unknown }).score, 'number', line.slice(0, 200));
  });

  it("the inline annotations score each line with the model's role, and an explicit role still wins", async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const shown = (await vscode.commands.executeCommand<Annotation[]>('styletune.currentAnnotations')) ?? [];
    assert.deepEqual(
      shown.map((a) => [a.line, a.kind]),
      Array.from({ length: LINES }, (_, i) => [i, 'dialogue']),
    );
    await config().update('role', 'assistant', vscode.ConfigurationTarget.Workspace);
    try {
      assert.deepEqual(await vscode.commands.executeCommand<Annotation[]>('styletune.currentAnnotations'), [], 'no assistant turns here');
    } finally {
      await config().update('role', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
