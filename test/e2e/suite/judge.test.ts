/** The LLM judge commands in a real VS Code, against the local OpenAI-compatible test server. */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
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
