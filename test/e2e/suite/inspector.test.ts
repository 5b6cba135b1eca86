/** `StyleTune: Open Dataset Inspector` in a real VS Code: rows, Problems, a big file, following the file. */
import * as assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { InspectorSummary } from '../../../src/extension/inspector/panel';
import { toRecord } from '../../../src/core/formats';
import { JudgeCache } from '../../../src/core/judge/cache';
import { RATING_PROMPT_VERSION, renderTranscript } from '../../../src/core/judge/prompt';
import { RatingsTable, ratingsFileFor, recordSides, sideHash } from '../../../src/core/judge/ratings';
import { HAL16, judgeTraitId } from '../../../src/core/judge/traits';
import { saveSpec } from '../../../src/core/reward/model';
import { collectComparisons, fitReward } from '../../../src/core/reward/train';
import { TRAIT_IDS } from '../../../src/core/traits/catalog';
import { until } from '../../support/until';
import { closeAllEditorsWithoutSaving, copyFixture, nonBlankLines, sample, styleTuneDiagnostics } from './helpers';

async function inspect(uri: vscode.Uri): Promise<InspectorSummary> {
  const summary = await vscode.commands.executeCommand<InspectorSummary | undefined>('styletune.openInspector', uri);
  assert.ok(summary, 'the inspector returned no summary');
  return summary;
}

const inspectorTabs = () =>
  vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('styletune.inspector'));

const tabList = () =>
  vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .map((t) => `${t.label} (${(t.input as { viewType?: string } | undefined)?.viewType ?? '-'})`)
    .join(', ');

const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));

describe('StyleTune: Open Dataset Inspector', () => {
  afterEach(closeAllEditorsWithoutSaving);

  for (const [name, kind] of [
    ['dialogues.jsonl', 'dialogue'],
    ['pairs.jsonl', 'pair'],
    ['contrastive.jsonl', 'contrastive'],
  ] as const) {
    it(`shows every line of ${name} as a row`, async () => {
      const doc = await vscode.workspace.openTextDocument(sample(name));
      const summary = await inspect(sample(name));
      assert.equal(summary.kind, kind);
      assert.equal(summary.rows, nonBlankLines(doc).length);
      assert.equal(summary.problems, 0);
      assert.deepEqual(summary.order, Array.from({ length: summary.rows }, (_, i) => i + 1), 'file order by default');
      assert.equal(summary.outOfDomain, undefined, 'chat like the fitting data: no out-of-domain notice');
      // The workbench reports tabs asynchronously.
      await until(() => inspectorTabs().length, (n) => n === 1, `one inspector tab (tabs: ${tabList()})`, { timeoutMs: 5000 });
    });
  }

  it('says once above the table when the file is far from what the model was fitted on (long-form answers)', async () => {
    const uri = await copyFixture('domain/long-answers.pairs.jsonl', 'long-answers.pairs.jsonl');
    const summary = await inspect(uri);
    assert.equal(summary.rows, 4);
    assert.match(summary.outOfDomain ?? '', /^These responses are far from what the reward model was fitted on: their median is \d+ words per turn/);
  });

  it('lists the malformed line of broken.jsonl in Problems and loses no other line', async () => {
    const summary = await inspect(sample('broken.jsonl'));
    assert.deepEqual([summary.rows, summary.problems, summary.lines], [3, 1, 4]);
    assert.deepEqual(summary.order, [1, 2, 4]);
    const [problem, ...more] = styleTuneDiagnostics(sample('broken.jsonl'));
    assert.ok(problem, 'a StyleTune diagnostic for broken.jsonl');
    assert.deepEqual(more, []);
    assert.equal(problem.range.start.line, 2, 'on the third line');
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
  });

  it('opens from the active editor, and a second call reveals the same panel', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(sample('pairs.jsonl')));
    const first = await vscode.commands.executeCommand<InspectorSummary>('styletune.openInspector');
    assert.equal(first?.file, sample('pairs.jsonl').fsPath);
    await inspect(sample('pairs.jsonl'));
    await until(() => inspectorTabs().length, (n) => n === 1, `one inspector tab (tabs: ${tabList()})`, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(inspectorTabs().length, 1, 'still one');
  });

  it('follows the file when it changes on disk and when its document is edited', async () => {
    const uri = sample('follow.jsonl');
    const lines = (await vscode.workspace.openTextDocument(sample('dialogues.jsonl'))).getText().trim().split('\n');
    await write(uri, lines.slice(0, 2).join('\n') + '\n');
    assert.equal((await inspect(uri)).rows, 2);

    await write(uri, lines.join('\n') + '\n{"broken": \n');
    await until(() => inspect(uri), (v) => v.rows === lines.length, 'the rows to follow the file on disk');
    assert.equal((await inspect(uri)).problems, 1);
    assert.equal(styleTuneDiagnostics(uri).length, 1);

    // An unsaved edit counts too: the view shows what the editor shows.
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), vscode.ViewColumn.Beside);
    await editor.edit((e) => e.delete(editor.document.lineAt(editor.document.lineCount - 2).rangeIncludingLineBreak));
    await until(() => inspect(uri), (v) => v.problems === 0, 'the malformed line deleted in the editor to count');
    assert.equal((await inspect(uri)).rows, lines.length);
  });

  it('shows the first rows of a 100,000-line file within a second and keeps scoring in the background', async function () {
    this.timeout(240_000);
    const lines = (await vscode.workspace.openTextDocument(sample('pairs.jsonl'))).getText().trim().split('\n');
    const uri = sample('big-inspect.jsonl');
    await write(uri, Array.from({ length: 100_000 }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
    // The extension host must stay responsive while the file is scored: timers keep firing.
    let ticks = 0;
    let worstGap = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 20);
    const summary = await inspect(uri).finally(() => clearInterval(timer));
    assert.equal(summary.rows, 100_000);
    assert.ok(summary.firstRowsMs < 1000, `first rows after ${Math.round(summary.firstRowsMs)} ms`);
    assert.ok(ticks > 10, `timers ran ${ticks} times during ${Math.round(summary.ms)} ms of scoring`);
    assert.ok(worstGap < 1500, `the extension host was blocked for ${worstGap} ms`);
    console.log(`      100,000 pairs: first rows ${Math.round(summary.firstRowsMs)} ms, all ${Math.round(summary.ms)} ms, longest block ${worstGap} ms`);
  });

  it('abandons a run when the reward model changes mid-way and rescores every row with the new model', async function () {
    this.timeout(240_000);
    const lines = (await vscode.workspace.openTextDocument(sample('pairs.jsonl'))).getText().trim().split('\n');
    const uri = sample('big-switch.jsonl');
    await write(uri, Array.from({ length: 150_000 }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
    const other = sample('switch.reward.onnx').fsPath;
    await vscode.commands.executeCommand('styletune.fitRewardModel', { file: sample('pairs.jsonl').fsPath, output: other });
    const config = vscode.workspace.getConfiguration('styletune');
    try {
      const first = vscode.commands.executeCommand<InspectorSummary | undefined>('styletune.openInspector', uri);
      // Let the first run get going (rows arriving), then switch the model under it.
      await new Promise((r) => setTimeout(r, 300));
      await config.update('rewardModelPath', other, vscode.ConfigurationTarget.Workspace);
      await first;
      const summary = await inspect(uri);
      assert.equal(summary.model, other, 'the settled run used the new model');
      assert.equal(summary.rows, 150_000, 'every row scored by the new model');
      assert.ok(summary.abortedRuns >= 1, `the run with the old model was abandoned (aborted runs: ${summary.abortedRuns})`);
    } finally {
      await config.update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('scores with a model that weighs LLM-judge traits from the ratings beside the file or the judge cache, and says when there are none', async function () {
    this.timeout(120_000);
    const data = sample('contrastive.jsonl');
    // Ratings as "Rate with LLM Judge" writes them: one line per data line, each side by transcript hash.
    const role = 'assistant';
    const lines = (await vscode.workspace.openTextDocument(data)).getText().trim().split('\n');
    const ratingsLines = lines.map((text, i) => {
      const parsed = toRecord(JSON.parse(text), data.fsPath, i + 1);
      assert.ok('record' in parsed);
      const sides = Object.fromEntries(recordSides(parsed.record, role).map((side, k) => [side.name, { sha256: sideHash(side, role), ratings: Array.from({ length: 32 }, (_, j) => 1 + ((i + k + j) % 5)) }]));
      return JSON.stringify({ line: i + 1, judge: 'test', ...sides });
    });
    const ratingsFile = vscode.Uri.file(ratingsFileFor(data.fsPath));
    await write(ratingsFile, ratingsLines.join('\n') + '\n');
    const table = await RatingsTable.load([ratingsFile.fsPath]);
    assert.deepEqual(table.diagnostics, []);
    const fitted = fitReward(await collectComparisons([data.fsPath], { judgeRatings: table }), { traits: [...TRAIT_IDS, ...HAL16.map(judgeTraitId)], folds: 2 });
    const modelFile = sample('judge.reward.onnx').fsPath;
    await saveSpec(fitted.spec, modelFile);
    const config = vscode.workspace.getConfiguration('styletune');
    await config.update('rewardModelPath', modelFile, vscode.ConfigurationTarget.Workspace);
    try {
      const summary = await inspect(data);
      assert.equal(summary.model, modelFile);
      assert.equal(summary.rows, lines.length);
      assert.equal(summary.problems, 0);
      await closeAllEditorsWithoutSaving();
      await vscode.workspace.fs.delete(ratingsFile);
      const without = await vscode.commands.executeCommand<InspectorSummary | undefined>('styletune.openInspector', data);
      assert.equal(without, undefined, 'no rows are made up without the ratings');
      // The panel stays open; the ratings file coming back scores it again, untouched.
      await write(ratingsFile, ratingsLines.join('\n') + '\n');
      await until(() => vscode.commands.executeCommand<InspectorSummary | undefined>('styletune.openInspector', data), (v) => v?.rows === lines.length, 'the open inspector to score the file once its ratings file appeared');
      await vscode.workspace.fs.delete(ratingsFile);

      // No ratings file, but the judge in settings rated these conversations before: its cache answers,
      // as it does for the inline annotations. Nothing is sent (no endpoint is set at all).
      const judgeName = 'inspector-cache-judge';
      const cache = new JudgeCache(join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.styletune', 'judge-cache'));
      const keys: string[] = [];
      for (const [i, text] of lines.entries()) {
        const parsed = toRecord(JSON.parse(text), data.fsPath, i + 1);
        assert.ok('record' in parsed);
        for (const side of recordSides(parsed.record, role)) {
          const key = JudgeCache.key(judgeName, RATING_PROMPT_VERSION, renderTranscript(side.messages, role));
          await cache.put(key, judgeName, RATING_PROMPT_VERSION, table.lookup(parsed.record, side, role));
          keys.push(key);
        }
      }
      await vscode.workspace.getConfiguration('styletune.judge').update('model', judgeName, vscode.ConfigurationTarget.Workspace);
      try {
        const cached = await inspect(data);
        assert.equal(cached.rows, lines.length, 'every line scored from the judge cache');
        assert.equal(cached.problems, 0);
      } finally {
        await vscode.workspace.getConfiguration('styletune.judge').update('model', undefined, vscode.ConfigurationTarget.Workspace);
        for (const key of keys) await rm(join(cache.dir, key.slice(0, 2), `${key}.json`), { force: true });
      }
    } finally {
      await config.update('rewardModelPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});

