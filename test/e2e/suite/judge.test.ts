/** The LLM judge commands in a real VS Code, against the local OpenAI-compatible test server. */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { renderTranscript, sha256 } from '../../../src/core/judge/prompt';
import type { ChecklistResult, RateResult } from '../../../src/extension/judge';
import { startJudgeServer, type JudgeServer } from '../../support/judgeServer';
import { closeAllEditorsWithoutSaving, sample, styleTuneDiagnostics } from './helpers';

const judgeConfig = () => vscode.workspace.getConfiguration('styletune.judge');

describe('StyleTune: LLM judge', () => {
  let server: JudgeServer;
  before(async () => {
    await vscode.extensions.getExtension('styletune.styletune')?.activate();
    server = await startJudgeServer();
    // User settings: a workspace-named endpoint in an untrusted window would (rightly) ask first.
    await judgeConfig().update('baseUrl', server.url, vscode.ConfigurationTarget.Global);
    await judgeConfig().update('model', 'e2e-judge', vscode.ConfigurationTarget.Global);
    await judgeConfig().update('maxRetries', 0, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('styletune.judge.setApiKey', 'sk-e2e');
  });
  after(async () => {
    for (const key of ['baseUrl', 'model', 'maxRetries']) await judgeConfig().update(key, undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('styletune.judge.setApiKey', '');
    await closeAllEditorsWithoutSaving();
    await server.close();
  });

  const line = (text: string, extra: object = {}) => JSON.stringify({ ...extra, messages: [{ role: 'user', content: 'hey whats up' }, { role: 'assistant', content: text }] });

  it('Rate with LLM Judge writes ratings beside the file, lists failed lines in Problems, and reuses cached answers', async function () {
    this.timeout(60_000);
    const file = sample('judge-me.jsonl');
    writeFileSync(file.fsPath, [line('nm lol, u?'), line('Hello! How can I assist you today?'), line('#malformed')].join('\n') + '\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const before = server.requests;
    const first = await vscode.commands.executeCommand<RateResult>('styletune.judge.rateFile');
    assert.ok(first, 'the command returned its result');
    assert.deepEqual([first.lines, first.rated, first.failed, first.fromCache], [3, 2, 1, 0]);
    assert.equal(server.requests - before, 3);
    assert.equal(server.authorizations.at(-1), 'Bearer sk-e2e', 'the key from secret storage');
    assert.equal(first.output, sample('judge-me.ratings.jsonl').fsPath);
    const ratings = readFileSync(first.output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(ratings[0].ratings[0], 5);
    assert.equal(ratings[1].ratings[0], 1);
    assert.match(ratings[2].error, /not JSON/);
    const problems = styleTuneDiagnostics(file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].range.start.line, 2);
    assert.match(problems[0].message, /judge could not rate the dialogue: the judge's answer is not JSON/);

    const again = server.requests;
    const second = await vscode.commands.executeCommand<RateResult>('styletune.judge.rateFile', file);
    assert.equal(second?.fromCache, 2);
    assert.equal(server.requests - again, 1, 'only the failed line is asked again');
  });

  it('with styletune.judge.localModel set, rates through the worker with a local model: same file layout and hashes, nothing sent to the endpoint', async function () {
    this.timeout(240_000);
    const ext = vscode.extensions.getExtension('styletune.styletune')!;
    const model = join(process.env.STYLETUNE_E2E_SANDBOX ?? sample('').fsPath, 'tiny-judge');
    await promisify(execFile)(join(ext.extensionPath, '.venv', 'bin', 'python'), ['-m', 'styletune_trainer', 'make-tiny-model', model], {
      env: { ...process.env, PYTHONPATH: join(ext.extensionPath, 'trainer') },
    });
    const file = sample('judge-local.jsonl');
    writeFileSync(file.fsPath, [line('nm lol, u?'), line('Hello! How can I assist you today?'), '{"messages": 5'].join('\n') + '\n');
    await judgeConfig().update('localModel', model, vscode.ConfigurationTarget.Workspace);
    const before = server.requests;
    try {
      const result = await vscode.commands.executeCommand<RateResult>('styletune.judge.rateFile', file);
      assert.ok(result, 'the command returned its result');
      assert.deepEqual([result.lines, result.rated, result.failed], [3, 2, 1]);
      assert.equal(server.requests, before, 'nothing was sent to the endpoint');
      const rated = readFileSync(sample('judge-local.ratings.jsonl').fsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { judge?: string; sha256?: string; ratings?: number[] });
      assert.equal(rated[0].judge, 'local:tiny-judge');
      const messages = (JSON.parse(line('nm lol, u?')) as { messages: { role: string; content: string }[] }).messages;
      assert.equal(rated[0].sha256, sha256(renderTranscript(messages, 'assistant')), 'the same transcript hash as the HTTP judge, so ratings join to the data');
      assert.equal(rated[0].ratings?.length, 32);
      assert.ok(rated[0].ratings!.every((r) => r >= 1 && r <= 5));
      const problems = styleTuneDiagnostics(file);
      assert.equal(problems.length, 1);
      assert.equal(problems[0].range.start.line, 2);
      assert.match(problems[0].message, /judge could not rate this line: not valid JSON/);
    } finally {
      await judgeConfig().update('localModel', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Run Checklist Evaluation compares two models in a markdown report', async function () {
    this.timeout(60_000);
    const checklist = sample('casual.checklist.yaml');
    writeFileSync(checklist.fsPath, 'name: casual\ngroups:\n  - pattern: texting\n    items:\n      - statement: Says "lol"\n        weight: 2\n      - Says "u"\n');
    const base = sample('base.jsonl');
    const tuned = sample('tuned.jsonl');
    writeFileSync(base.fsPath, [line('I am fine, thank you.'), line('Nothing much. And you?')].join('\n'));
    writeFileSync(tuned.fsPath, [line('nm lol u?'), line('lol same')].join('\n'));
    const output = sample('checklist.report.md');
    const result = await vscode.commands.executeCommand<ChecklistResult>('styletune.judge.runChecklist', { checklist, files: [base, tuned], output });
    assert.ok(result, 'the command returned its result');
    assert.deepEqual(
      result.report.models.map((m) => [m.model, m.dialogues, m.passRate]),
      [
        ['base.jsonl', 2, 0],
        ['tuned.jsonl', 2, 5 / 6],
      ],
    );
    assert.match(result.markdown, /\| all items \| 0\.0 % \(n=2\) \| 83\.3 % \(n=2\) \| \+83\.3 pt \|/);
    assert.ok(existsSync(output.fsPath));
    assert.ok(
      vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === output.fsPath),
      'the report is opened',
    );
  });

  it('with styletune.judge.localModel set, Run Checklist Evaluation answers through the worker: nothing sent, the same report as the CLI', async function () {
    this.timeout(240_000);
    const ext = vscode.extensions.getExtension('styletune.styletune')!;
    const model = join(process.env.STYLETUNE_E2E_SANDBOX ?? sample('').fsPath, 'tiny-checklist-judge');
    const python = join(ext.extensionPath, '.venv', 'bin', 'python');
    await promisify(execFile)(python, ['-m', 'styletune_trainer', 'make-tiny-model', model], { env: { ...process.env, PYTHONPATH: join(ext.extensionPath, 'trainer') } });
    const checklist = sample('local.checklist.yaml');
    writeFileSync(checklist.fsPath, 'name: casual\ngroups:\n  - pattern: texting\n    items:\n      - statement: Says "lol"\n        weight: 2\n      - Says "u"\n');
    const base = sample('local-base.jsonl');
    const tuned = sample('local-tuned.jsonl');
    writeFileSync(base.fsPath, [line('I am fine, thank you.'), line('Nothing much. And you?'), '{"messages": 5'].join('\n') + '\n');
    writeFileSync(tuned.fsPath, [line('nm lol u?'), line('lol same')].join('\n') + '\n');
    await judgeConfig().update('localModel', model, vscode.ConfigurationTarget.Workspace);
    const before = server.requests;
    try {
      const result = await vscode.commands.executeCommand<ChecklistResult>('styletune.judge.runChecklist', { checklist, files: [base, tuned] });
      assert.ok(result, 'the command returned its result');
      assert.equal(server.requests, before, 'nothing was sent to the endpoint');
      assert.deepEqual(
        result.report.models.map((m) => [m.model, m.dialogues, m.failed]),
        [
          ['local-base.jsonl', 2, 0],
          ['local-tuned.jsonl', 2, 0],
        ],
      );
      for (const m of result.report.models) assert.ok(m.passRate >= 0 && m.passRate <= 1, `${m.model}: a pass rate`);
      assert.equal(result.problems, 1, 'the malformed line');
      assert.match(styleTuneDiagnostics(base)[0]?.message ?? '', /invalid JSON/);
      // The CLI with the same model gives the same report: one checker, two front ends.
      const cli = await promisify(execFile)(process.execPath, [join(ext.extensionPath, 'dist', 'cli.js'), 'checklist', checklist.fsPath, base.fsPath, tuned.fsPath, '--local-model', model, '--python', python, '--compare', 'local-base.jsonl,local-tuned.jsonl'], {
        cwd: sample('').fsPath,
      }).catch((e: { stdout: string; stderr: string; code: number }) => e);
      assert.equal((cli as { code?: number }).code, 1, 'exit code 1: one line could not be checked');
      assert.equal(cli.stdout, result.markdown);
    } finally {
      await judgeConfig().update('localModel', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a checklist with a mistake is shown with the mistake in Problems', async () => {
    const bad = sample('bad.checklist.yaml');
    writeFileSync(bad.fsPath, 'groups:\n  - pattern: x\n    items: []\n');
    const result = await vscode.commands.executeCommand('styletune.judge.runChecklist', { checklist: bad, files: [sample('judge-me.jsonl')] });
    assert.equal(result, undefined);
    const problems = styleTuneDiagnostics(bad);
    assert.equal(problems.length, 1);
    assert.equal(problems[0].range.start.line, 2);
    assert.match(problems[0].message, /items must be a non-empty list/);
  });
});
