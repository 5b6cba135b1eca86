/** Pair labeling in a real VS Code: the custom editor's registration and `Create Pair from Selections`. */
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { closeAllEditorsWithoutSaving, openSample, sample } from './helpers';

interface CreatePairResult {
  target: string;
  line: string;
  via: 'edit' | 'append';
}

/** Selects each string (its first occurrence) in the editor, as multi-cursor selections. */
function select(editor: vscode.TextEditor, ...needles: string[]): void {
  const text = editor.document.getText();
  editor.selections = needles.map((n) => {
    const at = text.indexOf(n);
    assert.ok(at >= 0, `${n} is in the document`);
    return new vscode.Selection(editor.document.positionAt(at), editor.document.positionAt(at + n.length));
  });
}

const createPair = (target?: vscode.Uri) =>
  vscode.commands.executeCommand<CreatePairResult | undefined>('styletune.createPairFromSelections', target ? { target } : undefined);

describe('StyleTune: Pair labeling', () => {
  // The web workbench saves after a second by default; these tests look at unsaved documents.
  const files = () => vscode.workspace.getConfiguration('files');
  before(() => files().update('autoSave', 'off', vscode.ConfigurationTarget.Workspace));
  after(() => files().update('autoSave', undefined, vscode.ConfigurationTarget.Workspace));
  afterEach(closeAllEditorsWithoutSaving);

  it('opens *.pairs.jsonl in the pair labeler by default', async () => {
    await vscode.commands.executeCommand('vscode.open', sample('demo.pairs.jsonl'));
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, `a custom editor tab, got ${tab?.label}`);
    assert.equal(tab.input.viewType, 'styletune.pairLabeler');
    // The labeler is a view of the text document: the document is open, unchanged.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === sample('demo.pairs.jsonl').toString());
    assert.ok(doc && !doc.isDirty);
  });

  it('StyleTune: Label Pairs opens any JSONL file in the labeler', async () => {
    await openSample('pairs.jsonl');
    await vscode.commands.executeCommand('styletune.labelPairs');
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, `a custom editor tab, got ${tab?.label}`);
    assert.equal(tab.input.viewType, 'styletune.pairLabeler.anyJsonl');
    assert.equal(tab.input.uri.toString(), sample('pairs.jsonl').toString());
  });

  it('Create Pair from Selections appends an unlabeled pair to a closed file atomically', async () => {
    const editor = await openSample('pairs.jsonl');
    // A JSON string literal selected with its quotes means the string itself; plain text is taken as is.
    select(editor, '"haha take your time, what\'d you land on?"', 'I am ready whenever you are');
    const target = sample('made.pairs.jsonl');
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`{"responses": ["a", "b"]}`)); // no final newline

    const result = await createPair(target);
    assert.ok(result);
    assert.equal(result.via, 'append');
    const line = JSON.stringify({ source: { file: 'pairs.jsonl', lines: [1, 1] }, responses: ["haha take your time, what'd you land on?", 'I am ready whenever you are'] });
    assert.equal(result.line, line);
    assert.equal(await readFile(target.fsPath, 'utf8'), `{"responses": ["a", "b"]}\n${line}\n`);
    assert.equal(editor.document.isDirty, false, 'the source file is not touched');
  });

  it('Create Pair from Selections edits the target document when it is open, keeping its unsaved changes', async () => {
    const target = sample('open.pairs.jsonl');
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode('{"responses": ["a", "b"]}\n'));
    // Open as text with an unsaved change: the pair must join the document, not the file under it.
    const targetEditor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
    await targetEditor.edit((e) => e.insert(new vscode.Position(1, 0), '{"responses": ["c", "d"]}\n'));

    const source = await vscode.workspace.openTextDocument({ language: 'markdown', content: '**User:** hi\n**A:** hello there\n**B:** heyyy\n' });
    const editor = await vscode.window.showTextDocument(source);
    select(editor, 'heyyy', 'hello there');
    const result = await createPair(target);
    assert.ok(result);
    assert.equal(result.via, 'edit');
    const line = JSON.parse(result.line) as { responses: string[]; source: { lines: number[] } };
    assert.deepEqual(line.responses, ['hello there', 'heyyy'], 'candidates in document order');
    assert.deepEqual(line.source.lines, [2, 3]);
    assert.equal(targetEditor.document.getText(), `{"responses": ["a", "b"]}\n{"responses": ["c", "d"]}\n${result.line}\n`);
    assert.ok(targetEditor.document.isDirty);
    assert.equal(await readFile(target.fsPath, 'utf8'), '{"responses": ["a", "b"]}\n', 'the file on disk waits for the save');

    // The append is an ordinary edit of that document: undo takes it back.
    await vscode.window.showTextDocument(targetEditor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(targetEditor.document.getText(), '{"responses": ["a", "b"]}\n{"responses": ["c", "d"]}\n');
  });

  it('Create Pair from Selections needs exactly two selections', async () => {
    const editor = await openSample('pairs.jsonl');
    select(editor, 'haha take your time');
    const target = sample('never.pairs.jsonl');
    assert.equal(await createPair(target), undefined);
    select(editor, 'haha', 'take', 'your');
    assert.equal(await createPair(target), undefined);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(target)), 'no file created');
  });
});
