/** Shared steps of the integration tests, which run inside the extension host against the real API. */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { ScoreSummary } from '../../../src/extension/summary';
import { saveJudgeRewardModel as saveModel } from '../../support/judgeModel';

export type { ScoreSummary };

/** A file of the sample workspace; the harness opens a throwaway copy of samples/workspace. */
export function sample(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the e2e run must open the sample workspace');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openSample(name: string): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(sample(name)));
}

/** Runs the command the way the palette does: on the active editor. */
export async function scoreActiveEditor(): Promise<ScoreSummary> {
  const summary = await vscode.commands.executeCommand<ScoreSummary | undefined>('styletune.scoreCurrentFile');
  assert.ok(summary, 'the command returned no summary');
  return summary;
}

/** Closes every editor without a save prompt: a dialog would stall the run (smoke-test mode refuses them). */
export async function closeAllEditorsWithoutSaving(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty)) {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export async function resultsDocument(summary: ScoreSummary): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(vscode.Uri.parse(summary.resultsUri));
}

export function styleTuneDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'StyleTune');
}

/**
 * Checks every trait score inside one result line (a dialogue has one, a pair two): the score must be
 * the bias plus the trait contributions, the interpretability promise of the reward. Returns how many it saw.
 */
export function checkTraitScores(value: unknown, where: string): number {
  if (typeof value !== 'object' || value === null) return 0;
  const o = value as Record<string, unknown>;
  let seen = 0;
  if (typeof o.score === 'number' && typeof o.bias === 'number' && typeof o.contributions === 'object' && o.contributions) {
    const parts = Object.values(o.contributions as Record<string, number>);
    const sum = parts.reduce((a, b) => a + b, o.bias);
    assert.ok(Math.abs(o.score - sum) < 1e-6, `${where}: score ${o.score} != bias + contributions ${sum}`);
    seen++;
  }
  for (const v of Object.values(o)) seen += checkTraitScores(v, where);
  return seen;
}

/** Lines of `doc` without the empty last line a trailing newline leaves. */
export function nonBlankLines(doc: vscode.TextDocument): number[] {
  const lines: number[] = [];
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.trim()) lines.push(i);
  return lines;
}

/**
 * Copies a repository fixture (test/fixtures/REL) into the sample workspace as `name` and returns its URI.
 * The sandbox workspace holds only the samples; this brings in files made for one test.
 */
export async function copyFixture(rel: string, name: string): Promise<vscode.Uri> {
  const ext = vscode.extensions.getExtension('styletune.styletune');
  assert.ok(ext, 'the extension is installed');
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(join(ext.extensionPath, 'test', 'fixtures', rel)));
  await vscode.workspace.fs.writeFile(sample(name), bytes);
  return sample(name);
}

/** ../shared/data beside the checkout the extension runs from (or $STYLETUNE_SHARED_DATA). */
export function sharedData(rel: string): string {
  const ext = vscode.extensions.getExtension('styletune.styletune');
  assert.ok(ext, 'the extension is installed');
  const p = join(process.env.STYLETUNE_SHARED_DATA ?? resolve(ext.extensionPath, '..', 'shared', 'data'), rel);
  assert.ok(existsSync(p), `shared data file missing: ${p}`);
  return p;
}

/** A reward model that weighs LLM-judge traits, saved as `file` (test/support/judgeModel.ts). */
export async function saveJudgeRewardModel(file: string): Promise<void> {
  await saveModel(file, sharedData(''));
}
