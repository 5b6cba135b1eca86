/** `StyleTune: Score Current File` in a real VS Code: its summary, results document and diagnostics. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  checkTraitScores,
  closeAllEditorsWithoutSaving,
  copyFixture,
  nonBlankLines,
  openSample,
  resultsDocument,
  sample,
  scoreActiveEditor,
  styleTuneDiagnostics,
  type ScoreSummary,
} from './helpers';

/** Every input line has a result on the same line of the results document, and every score adds up. */
async function assertResultsMatch(editor: vscode.TextEditor, summary: ScoreSummary): Promise<void> {
  const input = editor.document;
  const results = await resultsDocument(summary);
  assert.equal(results.uri.scheme, 'styletune-scores');
  assert.equal(results.languageId, 'jsonl');
  assert.equal(results.lineCount, input.lineCount, 'one results line per input line');
  for (let i = 0; i < input.lineCount; i++) {
    const text = results.lineAt(i).text;
    assert.equal(text.trim() === '', input.lineAt(i).text.trim() === '', `line ${i + 1}: a result exactly where the input has a line`);
    if (text) JSON.parse(text);
  }
}

describe('StyleTune: Score Current File', () => {
  afterEach(closeAllEditorsWithoutSaving);

  const files = [
    { name: 'dialogues.jsonl', kind: 'dialogue', perLine: 1 },
    { name: 'pairs.jsonl', kind: 'pair', perLine: 2 },
    { name: 'contrastive.jsonl', kind: 'contrastive', perLine: 2 },
  ] as const;

  for (const { name, kind, perLine } of files) {
    it(`scores every line of ${name} and shows the results beside it`, async () => {
      const editor = await openSample(name);
      const lines = nonBlankLines(editor.document);
      const summary = await scoreActiveEditor();

      assert.equal(summary.file, editor.document.uri.fsPath);
      assert.equal(summary.scored, lines.length);
      assert.equal(summary.problems, 0);
      assert.equal(summary.kinds[kind], lines.length);
      assert.equal(summary.cancelled, false);
      assert.ok(Number.isFinite(summary.meanScore), `mean score ${summary.meanScore}`);
      assert.equal(summary.outOfDomain, undefined, 'chat like the fitting data: no out-of-domain notice');
      assert.deepEqual(styleTuneDiagnostics(editor.document.uri), []);

      await assertResultsMatch(editor, summary);
      const results = await resultsDocument(summary);
      for (const i of lines) {
        const seen = checkTraitScores(JSON.parse(results.lineAt(i).text), `${name}:${i + 1}`);
        assert.equal(seen, perLine, `${name}:${i + 1}: trait scores in the result`);
      }
      const visible = vscode.window.visibleTextEditors.map((e) => e.document.uri.toString());
      assert.ok(visible.includes(summary.resultsUri), 'the results are shown beside the file');
    });
  }

  it('reports the malformed line of broken.jsonl as a problem and still scores the others', async () => {
    const editor = await openSample('broken.jsonl');
    const summary = await scoreActiveEditor();
    assert.equal(summary.scored, 3);
    assert.equal(summary.problems, 1);

    const [problem, ...more] = styleTuneDiagnostics(editor.document.uri);
    assert.ok(problem, 'a StyleTune diagnostic for broken.jsonl');
    assert.deepEqual(more, []);
    assert.equal(problem.range.start.line, 2, 'on the third line');
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(problem.message.length > 0);

    await assertResultsMatch(editor, summary);
    const results = await resultsDocument(summary);
    const scoresOn = (i: number) => checkTraitScores(JSON.parse(results.lineAt(i).text), `broken.jsonl:${i + 1}`);
    assert.deepEqual([0, 1, 2, 3].map(scoresOn), [1, 1, 0, 1], 'lines 1, 2 and 4 scored, line 3 a diagnostic');
  });

  it('scores the text in the editor, including unsaved edits', async () => {
    const editor = await openSample('dialogues.jsonl');
    const before = nonBlankLines(editor.document).length;
    const extra = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'heyy' }] });
    await editor.edit((e) => e.insert(new vscode.Position(editor.document.lineCount - 1, 0), `${extra}\n`));
    assert.ok(editor.document.isDirty);
    const summary = await scoreActiveEditor();
    assert.equal(summary.scored, before + 1);
    await assertResultsMatch(editor, summary);
  });

  it('says once, in plain words, when the file is far from what the model was fitted on (long-form answers)', async () => {
    const uri = await copyFixture('domain/long-answers.pairs.jsonl', 'long-answers.pairs.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const summary = await scoreActiveEditor();
    assert.equal(summary.scored, 4);
    assert.match(summary.outOfDomain ?? '', /^These responses are far from what the reward model was fitted on: their median is \d+ words per turn, longer than 90 % of the responses it was fitted on .* It was fitted on chat: Turing-test games/);
  });

  it('scores an untitled document', async () => {
    const content = [
      JSON.stringify({ prompt: 'lunch?', chosen: 'tacos obv', rejected: 'I am unable to eat lunch.' }),
      '{"prompt": ',
    ].join('\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'jsonl', content });
    const editor = await vscode.window.showTextDocument(doc);
    const summary = await scoreActiveEditor();
    assert.equal(summary.file, doc.uri.toString());
    assert.deepEqual([summary.scored, summary.problems, summary.kinds.pair], [1, 1, 1]);
    assert.equal(styleTuneDiagnostics(doc.uri)[0]?.range.start.line, 1);
    await assertResultsMatch(editor, summary);
  });

  it('refuses a reward model path that does not exist, without touching earlier results', async () => {
    const editor = await openSample('broken.jsonl');
    await scoreActiveEditor();
    // Workspace settings (in the run's copy of the samples), resolved against the workspace folder.
    const config = vscode.workspace.getConfiguration('styletune', editor.document.uri);
    await config.update('rewardModelPath', 'models/does-not-exist.onnx', vscode.ConfigurationTarget.Workspace);
    try {
      const summary = await vscode.commands.executeCommand('styletune.scoreCurrentFile');
      assert.equal(summary, undefined);
      assert.equal(styleTuneDiagnostics(editor.document.uri).length, 1, 'the earlier problem is still listed');
    } finally {
      await config.update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('shows results too big for the extension host (over 50 MB) in the workbench', async function () {
    this.timeout(60_000);
    // 20,000 dialogues give some 50 MB of results; written into the run's copy of the samples.
    const lines = (await vscode.workspace.openTextDocument(sample('dialogues.jsonl'))).getText().trim().split('\n');
    const huge = sample('huge.jsonl');
    const content = Array.from({ length: 20_000 }, (_, i) => lines[i % lines.length]).join('\n');
    await vscode.workspace.fs.writeFile(huge, new TextEncoder().encode(content));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(huge));

    const summary = await scoreActiveEditor();
    assert.equal(summary.scored, 20_000);
    const synced = vscode.workspace.textDocuments.some((d) => d.uri.toString() === summary.resultsUri);
    assert.ok(!synced, 'the results reached the extension host: make the file bigger to test the other path');
    const shown = () =>
      vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === summary.resultsUri));
    for (let i = 0; i < 50 && !shown(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(shown(), 'a tab with the results');
  });

  it("scores every candidate of a pairs file open in the pair labeler, with best, worst and spread (no decision needed)", async () => {
    // demo.pairs.jsonl opens in the labeler: the active tab is a custom editor's, and its lines are undecided.
    await vscode.commands.executeCommand('vscode.open', sample('demo.pairs.jsonl'));
    assert.ok(vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputCustom);
    const summary = await scoreActiveEditor();
    assert.equal(summary.file, sample('demo.pairs.jsonl').fsPath);
    assert.deepEqual([summary.scored, summary.problems, summary.kinds.candidates], [5, 0, 5]);
    assert.deepEqual(styleTuneDiagnostics(sample('demo.pairs.jsonl')), []);
    const results = await resultsDocument(summary);
    const doc = await vscode.workspace.openTextDocument(sample('demo.pairs.jsonl'));
    for (let i = 0; i < doc.lineCount; i++) {
      if (!doc.lineAt(i).text.trim()) continue;
      const r = JSON.parse(results.lineAt(i).text) as { candidates: { score: number }[]; best: number; worst: number; spread: number };
      const item = JSON.parse(doc.lineAt(i).text) as { responses: unknown[] };
      assert.equal(r.candidates.length, item.responses.length, `line ${i + 1}`);
      const scores = r.candidates.map((c) => c.score);
      assert.equal(r.best, scores.indexOf(Math.max(...scores)) + 1);
      assert.ok(Math.abs(r.spread - (Math.max(...scores) - Math.min(...scores))) < 1e-12);
    }
  });

  it('scores the file the context menu passes, even when another editor is active', async () => {
    await openSample('dialogues.jsonl');
    const summary = await vscode.commands.executeCommand<ScoreSummary>('styletune.scoreCurrentFile', sample('pairs.jsonl'));
    assert.equal(summary?.file, sample('pairs.jsonl').fsPath);
    assert.equal(summary?.kinds.pair, 4);
  });
});
