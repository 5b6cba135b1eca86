/**
 * Tuning jobs in a real VS Code with the real worker and a tiny model on the CPU: started by command,
 * followed into the job view, stopped (adapter saved), resumed to the end; a killed worker shows as
 * failed; *.tune.json gets schema errors, completions and the Start CodeLens.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { until } from '../../support/until';
import { closeAllEditorsWithoutSaving, sample } from './helpers';

interface JobRow { dir: string; state: string; step: number; totalSteps?: number; message?: string; pid?: number }
interface ViewSummary { dir: string; state: string; step: number; totalSteps?: number; renderedStep: number; renderedPoints: number }

const listJobs = async () => (await vscode.commands.executeCommand<JobRow[]>('styletune.listJobs')) ?? [];
const job = async (dir: string) => (await listJobs()).find((j) => j.dir === dir);
const openJob = async (dir: string) => vscode.commands.executeCommand<ViewSummary | undefined>('styletune.openJob', dir);

/** Waits for a job (or its view) to reach `ok`; a job that failed will not, so that ends the wait with its reason. */
function untilJob<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 120_000): Promise<T> {
  return until(get, ok, what, { timeoutMs, intervalMs: 250, hopeless: (v) => (v as { state?: string } | undefined)?.state === 'failed' });
}

function writeJob(name: string, settings: Record<string, unknown>): vscode.Uri {
  const uri = sample(`tuning/${name}.tune.json`);
  writeFileSync(uri.fsPath, JSON.stringify({
    model: 'models/tiny', train_file: 'style-pairs.jsonl', output_dir: `jobs/${name}`, max_length: 64, truncate_prompt_to: 24,
    per_device_train_batch_size: 2, save_steps: 10, device: 'cpu', ...settings,
  }, null, 2) + '\n');
  return uri;
}

describe('StyleTune: Tuning jobs', function () {
  this.timeout(240_000);

  before(async function () {
    this.timeout(120_000);
    const ext = vscode.extensions.all.find((e) => e.packageJSON.name === 'styletune');
    assert.ok(ext, 'the extension is loaded');
    const python = join(ext.extensionPath, '.venv', 'bin', 'python');
    // The tiny model the sample tuning/tiny.tune.json points at, built here as a user would (async: a blocked
    // extension host loses its connection to the workbench).
    await promisify(execFile)(python, ['-m', 'styletune_trainer', 'make-tiny-model', sample('tuning/models/tiny').fsPath], {
      env: { ...process.env, PYTHONPATH: join(ext.extensionPath, 'trainer') },
    });
  });

  after(async () => {
    // Never leave a worker behind, whatever failed.
    for (const j of await listJobs()) if (j.state === 'running' && j.pid) try { process.kill(j.pid, 'SIGKILL'); } catch { /* gone */ }
    await closeAllEditorsWithoutSaving();
  });

  it('starts a job file by command; progress reaches the job view; Stop saves the adapter; Resume finishes it', async () => {
    const uri = writeJob('e2e-stop', { max_steps: 60 });
    const result = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', uri);
    assert.ok(result, 'the command returns the job folder');
    const dir = result.jobDir;
    assert.equal(dir, sample('tuning/jobs/e2e-stop').fsPath);
    assert.ok(existsSync(join(dir, 'launch.json')), 'the launch is recorded in the job folder');

    const view = await untilJob('steps drawn in the job view', () => openJob(dir), (v) => (v?.renderedStep ?? 0) >= 3);
    assert.equal(view!.totalSteps, 60);
    assert.equal((await job(dir))?.state, 'running');

    await vscode.commands.executeCommand('styletune.stopJob', dir);
    const stopped = await untilJob('stopped', () => job(dir), (j) => j?.state === 'stopped' || j?.state === 'failed');
    assert.equal(stopped!.state, 'stopped', stopped!.message);
    assert.ok(stopped!.step >= 3 && stopped!.step < 60, `stopped at step ${stopped!.step}`);
    assert.ok(existsSync(join(dir, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');
    assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).state, 'stopped');

    await vscode.commands.executeCommand('styletune.resumeJob', dir);
    const done = await untilJob('done', () => job(dir), (j) => j?.state === 'done' || j?.state === 'failed');
    assert.equal(done!.state, 'done', done!.message);
    assert.equal(done!.step, 60);
    const final = await untilJob('the last step drawn', () => openJob(dir), (v) => v?.renderedStep === 60);
    assert.equal(final!.renderedPoints, 60, 'one point per step across both runs');
    assert.match(readFileSync(join(dir, 'events.jsonl'), 'utf8'), new RegExp(`"resumed from [^"]*step-0*${stopped!.step}`));
  });

  it('with styletune.tuning.processes 2, runs two data-parallel ranks under accelerate launch, reported once, and Stop stops them', async () => {
    const tuning = vscode.workspace.getConfiguration('styletune.tuning');
    await tuning.update('processes', 2, vscode.ConfigurationTarget.Workspace);
    try {
      const uri = writeJob('e2e-ranks', { max_steps: 400 });
      const result = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', uri);
      assert.ok(result);
      const dir = result.jobDir;
      assert.equal(JSON.parse(readFileSync(join(dir, 'launch.json'), 'utf8')).processes, 2);
      await untilJob('steps', () => job(dir), (j) => (j?.step ?? 0) >= 2, 180_000);
      const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; num_processes?: number });
      assert.deepEqual(events.filter((e) => e.event === 'started').map((e) => e.num_processes), [2], 'one report, from rank 0 of 2');
      await vscode.commands.executeCommand('styletune.stopJob', dir);
      const stopped = await untilJob('stopped', () => job(dir), (j) => j?.state === 'stopped' || j?.state === 'failed');
      assert.equal(stopped!.state, 'stopped', stopped!.message);
      assert.ok(existsSync(join(dir, 'adapter', 'adapter_model.safetensors')), 'the adapter is saved on stop');
    } finally {
      await tuning.update('processes', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('starts from the quick-pick answers: writes job.tune.json with the preset into the job folder and runs it', async () => {
    const dir = sample('tuning/jobs/e2e-quick').fsPath;
    const result = await vscode.commands.executeCommand<{ jobDir: string; configFile: string } | undefined>('styletune.startTuning', {
      model: sample('tuning/models/tiny').fsPath, trainFile: sample('tuning/style-pairs.jsonl').fsPath, jobDir: dir, preset: 'human-like-dpo',
    });
    assert.equal(result?.configFile, join(dir, 'job.tune.json'));
    assert.deepEqual(JSON.parse(readFileSync(result.configFile, 'utf8')), {
      model: sample('tuning/models/tiny').fsPath, train_file: sample('tuning/style-pairs.jsonl').fsPath, output_dir: '.', preset: 'human-like-dpo',
    });
    const done = await untilJob('done', () => job(dir), (j) => j?.state === 'done' || j?.state === 'failed');
    assert.equal(done!.state, 'done', done!.message);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.preset, 'human-like-dpo');
    assert.equal(config.lora_alpha, 4, 'the preset\'s settings were applied');

    // Removed from the list, then watched again from its folder (as for a job run by `styletune tune`).
    await vscode.commands.executeCommand('styletune.forgetJob', dir);
    assert.equal(await job(dir), undefined);
    assert.ok(existsSync(join(dir, 'adapter')), 'the folder stays on disk');
    await vscode.commands.executeCommand('styletune.watchJobFolder', vscode.Uri.file(dir));
    assert.equal((await job(dir))?.state, 'done');
  });

  it('a job file whose output_dir leads out of the workspace does not start without the user\'s word', async () => {
    // Two levels up from tuning/ is the workspace's parent: what a cloned repository's job file could name.
    const outside = join(sample('').fsPath, '..', `outside-${Date.now()}`);
    const uri = writeJob('e2e-outside', { output_dir: `../../${outside.split(/[\\/]/).pop()}`, max_steps: 2 });
    // The confirmation is modal; the smoke-test workbench answers every dialog with "no".
    const result = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', uri);
    assert.equal(result, undefined, 'not started');
    assert.equal(existsSync(outside), false, 'nothing was written outside the workspace');
    assert.ok(!(await listJobs()).some((j) => j.dir === outside));
  });

  it('a worker that dies is shown as failed with its last log lines', async () => {
    const uri = writeJob('e2e-killed', { max_steps: 400 });
    const result = await vscode.commands.executeCommand<{ jobDir: string } | undefined>('styletune.startTuning', uri);
    const dir = result!.jobDir;
    const running = await untilJob('progress', () => job(dir), (j) => (j?.step ?? 0) >= 1);
    assert.ok(running?.pid);
    process.kill(running.pid, 'SIGKILL');
    const failed = await untilJob('failed', () => job(dir), (j) => j?.state !== 'running');
    assert.equal(failed!.state, 'failed');
    assert.match(failed!.message!, /ended without reporting a result/);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    assert.equal(status.state, 'failed', 'the folder records the failure for other windows and the CLI');
    assert.ok(status.last_log.some((l: string) => /step \d+\/400/.test(l)), 'with the last log lines');
  });

  it('*.tune.json: schema problems are Errors at the exact key or value, completions for every setting, and the CodeLens says why it cannot start', async () => {
    const uri = sample('tuning/e2e-schema.tune.json');
    writeFileSync(uri.fsPath, '{\n  "model": "models/tiny",\n  "train_file": "style-pairs.jsonl",\n  "output_dir": "jobs/e2e-schema",\n  "learning_rate": "fast",\n  "num_train_epoch": 2,\n  "max_steps": 5\n}\n');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'StyleTune');
    const errors = await untilJob('StyleTune errors', async () => ours(), (d) => d.length >= 2, 60_000);
    assert.deepEqual(errors.map((d) => [d.severity, doc.getText(d.range)]), [
      [vscode.DiagnosticSeverity.Error, '"fast"'],
      [vscode.DiagnosticSeverity.Error, '"num_train_epoch"'],
    ]);
    assert.match(errors[0]!.message, /"learning_rate" expected number, got string "fast"/);
    assert.match(errors[1]!.message, /did you mean "num_train_epochs"\?/);

    const inside = doc.positionAt(doc.getText().indexOf('"model"'));
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, inside);
    const labels = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const key of ['beta', 'lora_r', 'preset', 'gradient_checkpointing']) assert.ok(labels.some((l) => l.includes(key)), `${key} in ${labels.join(', ')}`);

    const lensTitles = async () => (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).map((l) => l.command?.title ?? '');
    const blocked = await lensTitles();
    assert.equal(blocked.length, 1, blocked.join(' | '));
    assert.match(blocked[0]!, /^\$\(error\) Cannot start: 2 errors\. Line 5: "learning_rate" expected number/);
    assert.ok(!blocked.some((t) => t.includes('Start DPO Tuning')), 'no Start while the file has errors');
    // Starting anyway (palette, a stale lens) is refused with the place of the problem, and starts nothing.
    assert.equal(await vscode.commands.executeCommand('styletune.startTuning', uri), undefined);
    assert.equal(await job(sample('tuning/jobs/e2e-schema').fsPath), undefined);

    // Fixed in the editor: the errors go and Start comes back.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, errors[0]!.range, '0.001');
    edit.replace(uri, errors[1]!.range, '"num_train_epochs"');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await untilJob('no StyleTune errors', async () => ours(), (d) => d.length === 0, 30_000);
    assert.deepEqual(await lensTitles(), ['▶ Start DPO Tuning']);
  });
});
