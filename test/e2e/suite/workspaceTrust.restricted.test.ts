/**
 * Restricted Mode: the same extension in a window whose folder is not trusted (run.ts starts it with
 * workspace trust on). An interpreter named by the workspace's settings is never run, and dialogue
 * text is never sent to a judge endpoint named there; scoring still works.
 */
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RateResult } from '../../../src/extension/judge';
import { startJudgeServer } from '../../support/judgeServer';
import { closeAllEditorsWithoutSaving, openSample, sample, scoreActiveEditor } from './helpers';

const ext = () => vscode.extensions.getExtension('styletune.styletune')!;

/**
 * Writes the workspace's .vscode/settings.json as a cloned repository would carry it. VS Code hides
 * restricted values from the API here, so a harmless setting in the same file shows it was read.
 */
async function writeWorkspaceSettings(values: Record<string, unknown>): Promise<void> {
  const sentinel = `restricted-${Date.now()}`;
  writeFileSync(sample('.vscode/settings.json').fsPath, JSON.stringify({ ...values, 'styletune.annotator': sentinel }, null, 2));
  for (const end = Date.now() + 15_000; vscode.workspace.getConfiguration('styletune').get('annotator') !== sentinel; ) {
    if (Date.now() > end) throw new Error('VS Code did not read the workspace settings');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('StyleTune in Restricted Mode (untrusted workspace)', function () {
  this.timeout(120_000);
  before(async () => {
    await ext().activate();
  });
  after(async () => {
    await writeWorkspaceSettings({});
    await vscode.workspace.getConfiguration('styletune.judge').update('model', undefined, vscode.ConfigurationTarget.Global);
    await closeAllEditorsWithoutSaving();
  });

  it('the window really is in Restricted Mode, and scoring works there', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await openSample('dialogues.jsonl');
    const summary = await scoreActiveEditor();
    assert.ok(summary.scored > 0);
  });

  it("never runs the interpreter the workspace's settings name: a job starts with the project .venv", async () => {
    const sandbox = process.env.STYLETUNE_E2E_SANDBOX!;
    const marker = join(sandbox, 'workspace-python-ran');
    const venvPython = join(ext().extensionPath, '.venv', 'bin', 'python');
    // Would leave a mark, then behave like the real interpreter, so nothing else could tell it was used.
    const script = join(sandbox, 'workspace-python');
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\nexec '${venvPython}' "$@"\n`);
    chmodSync(script, 0o755);
    mkdirSync(sample('.vscode').fsPath, { recursive: true });
    await writeWorkspaceSettings({ 'styletune.pythonPath': script });

    // The sample job's tiny model is not built here: the job fails fast, after the launch is recorded.
    const started = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', sample('tuning/tiny.tune.json'));
    assert.ok(started, 'the job was started');
    const launch = JSON.parse(readFileSync(join(started.jobDir, 'launch.json'), 'utf8')) as { python: string };
    assert.equal(launch.python, venvPython);
    assert.equal(existsSync(marker), false, 'the workspace-named interpreter never ran');
  });

  it('a job file that points out of the workspace, even only to read, is not started without the user\'s word', async () => {
    const sandbox = process.env.STYLETUNE_E2E_SANDBOX!;
    const name = `outside-${Date.now()}`;
    const uri = sample(`tuning/${name}.tune.json`);
    // Reads the model from outside; writes inside. In a trusted workspace that would start; here it asks.
    writeFileSync(uri.fsPath, JSON.stringify({ model: join(sandbox, 'some-model'), train_file: 'style-pairs.jsonl', output_dir: `jobs/${name}`, max_steps: 1, device: 'cpu' }));
    const started = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', uri);
    assert.equal(started, undefined, 'declined (the smoke-test workbench answers every dialog with "no")');
    assert.equal(existsSync(sample(`tuning/jobs/${name}`).fsPath), false, 'no job folder');
  });

  it("never sends dialogues to a judge endpoint the workspace's settings name", async () => {
    const server = await startJudgeServer();
    try {
      await vscode.workspace.getConfiguration('styletune.judge').update('model', 'restricted-judge', vscode.ConfigurationTarget.Global);
      await writeWorkspaceSettings({ 'styletune.judge.baseUrl': server.url });
      const result = await vscode.commands.executeCommand<RateResult | undefined>('styletune.judge.rateFile', sample('dialogues.jsonl'));
      assert.equal(result, undefined, 'nothing rated');
      assert.equal(server.requests, 0, 'no request reached the endpoint');
    } finally {
      await server.close();
    }
  });
});
