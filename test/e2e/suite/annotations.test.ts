/** Inline per-trait annotations in a real VS Code: what the provider shows, its hover, the setting. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Annotation } from '../../../src/extension/annotations/engine';
import { closeAllEditorsWithoutSaving, openSample, resultsDocument, sample, scoreActiveEditor } from './helpers';

async function activate(): Promise<void> {
  await vscode.extensions.getExtension('styletune.styletune')?.activate();
}

async function current(): Promise<Annotation[]> {
  await activate();
  return (await vscode.commands.executeCommand<Annotation[]>('styletune.currentAnnotations')) ?? [];
}

/** Lines of `doc` starting with `prefix`: where the transcript's turns of that speaker begin. */
function linesStartingWith(doc: vscode.TextDocument, prefix: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.startsWith(prefix)) out.push(i);
  return out;
}

async function setEnabled(on: boolean | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('styletune').update('inlineAnnotations', on, vscode.ConfigurationTarget.Workspace);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

describe('StyleTune: inline annotations', () => {
  afterEach(async () => {
    await setEnabled(undefined);
    await closeAllEditorsWithoutSaving();
  });

  it('annotates every assistant turn of transcript.md with its reward and top traits', async () => {
    const editor = await openSample('transcript.md');
    const annotations = await current();
    const assistantLines = linesStartingWith(editor.document, '**Assistant:**');
    assert.equal(assistantLines.length, 5);
    assert.deepEqual(annotations.map((a) => a.line), assistantLines);
    for (const a of annotations) {
      assert.equal(a.kind, 'turn');
      assert.match(a.text, /^reward [+−]\d+\.\d\d( · [^·]+ [+−]\d+\.\d\d){2,3}$/, a.text);
      assert.equal(a.traits.length, 50);
      const sum = a.traits.reduce((s, t) => s + t.contribution, a.bias);
      assert.ok(Math.abs(sum - a.score) < 1e-6, `score ${a.score} = bias + contributions ${sum}`);
    }
    // The text goes on the blank line below each turn, where a wrapped paragraph leaves it room.
    for (const a of annotations) {
      assert.equal(a.textLine, a.endLine + 1);
      assert.equal(editor.document.lineAt(a.textLine).text, '');
    }
    const byStart = (text: string) => annotations.find((a) => editor.document.lineAt(a.line).text.includes(text))!;
    // The default reward prefers the chatty reply to the "As an AI" one.
    assert.ok(byStart('my bus was').score > byStart('Certainly! I would').score + 1);
    assert.equal(byStart('Certainly! I would').endLine, byStart('Certainly! I would').line + 2, 'a three-line turn');
  });

  it('shows the full per-trait table on hover', async () => {
    const editor = await openSample('transcript.md');
    const [first] = await current();
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(first.line, 3));
    const text = hoverText(hovers);
    assert.match(text, /StyleTune reward of this turn/);
    assert.match(text, /\| Trait \| Value \| Contribution \| Shape \(● this value\) \|/);
    assert.equal(text.split('\n').filter((l) => /^\| .+ `\w+` \|/.test(l)).length, 50, 'one row per trait');
    // Where each value sits on its trait's shape: fᵢ in blocks with ● at the value (the shipped model is a shape model).
    const marked = text.split('\n').filter((l) => /^\| .+ `\w+` \|.*\| [▁▂▃▄▅▆▇█]*●[▁▂▃▄▅▆▇█]* \|$/u.test(l));
    assert.ok(marked.length >= 40, `${marked.length} rows with a shape`);
    const userLine = linesStartingWith(editor.document, '**User:**')[0];
    const none = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(userLine, 3));
    assert.doesNotMatch(hoverText(none), /StyleTune reward/);
  });

  it('turning styletune.inlineAnnotations off removes them, and on brings them back', async () => {
    const editor = await openSample('transcript.md');
    assert.equal((await current()).length, 5);
    await setEnabled(false);
    assert.deepEqual(await current(), []);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(linesStartingWith(editor.document, '**Assistant:**')[0], 3));
    assert.doesNotMatch(hoverText(hovers), /StyleTune reward/);
    await setEnabled(true);
    assert.equal((await current()).length, 5);
  });

  it('follows edits: a new assistant turn gets its annotation and the others move with their text', async () => {
    const editor = await openSample('transcript.md');
    const before = await current();
    await editor.edit((e) => e.insert(new vscode.Position(4, 0), '**User:** quick q\n\n**Assistant:** sure thing, shoot\n\n'));
    const after = await current();
    assert.equal(after.length, before.length + 1);
    assert.equal(editor.document.lineAt(after[0].line).text, '**Assistant:** sure thing, shoot');
    assert.deepEqual(after.slice(1).map((a) => [a.line - 4, a.score]), before.map((a) => [a.line, a.score]));
  });

  it('shows the chosen − rejected margin on each line of pairs.jsonl', async () => {
    await openSample('pairs.jsonl');
    const annotations = await current();
    assert.deepEqual(annotations.map((a) => a.line), [0, 1, 2, 3]);
    for (const a of annotations) {
      assert.equal(a.kind, 'pair');
      assert.match(a.text, /^chosen − rejected [+−]\d+\.\d\d · /);
      assert.ok(a.sides && Math.abs(a.sides.scores[0] - a.sides.scores[1] - a.score) < 1e-9);
    }
  });

  it('shows each candidate’s reward and the spread on the unlabeled lines of demo.pairs.jsonl, as styletune score does', async () => {
    const editor = await openSample('demo.pairs.jsonl');
    const annotations = await current();
    assert.deepEqual(annotations.map((a) => [a.line, a.kind]), [0, 1, 2, 3, 4].map((l) => [l, 'candidates']));
    const three = annotations[2].candidates!;
    assert.equal(three.scores.length, 3, 'three-words has three candidates');
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    assert.deepEqual(
      lenses.filter((l) => l.command?.command === 'styletune.annotations.showDetails').map((l) => [l.range.start.line, l.command!.title]),
      annotations.map((a) => [a.line, `$(arrow-both) ${a.text}`]),
    );
    const hover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(2, 3)));
    assert.match(hover, /StyleTune reward of these candidates\*\*: #1 −?\d+\.\d\d[^,]*, #2 −?\d+\.\d\d[^,]*, #3 −?\d+\.\d\d[^;]*; spread \(best − worst\)/);
    assert.ok(hover.includes(`#${three.best} ${three.scores[three.best - 1] < 0 ? '−' : ''}${Math.abs(three.scores[three.best - 1]).toFixed(2)} (best)`), hover);
    assert.ok(hover.includes(`| Trait | Best #${three.best} | Worst #${three.worst} | Δ contribution |`), hover);
    assert.equal(hover.split('\n').filter((l) => /^\| .+ `\w+` \|/.test(l)).length, 50, 'one row per trait');
    // The same numbers as Score Current File (styletune score) writes for each line.
    const summary = await scoreActiveEditor();
    const scored = (await resultsDocument(summary)).getText().trim().split('\n').map((l) => JSON.parse(l) as { line: number; candidates: { score: number }[]; best: number; worst: number; spread: number });
    for (const [i, a] of annotations.entries()) {
      const cli = scored[i];
      assert.equal(cli.line, a.line + 1);
      assert.ok(a.candidates, `line ${a.line + 1}: candidates`);
      assert.deepEqual(a.candidates.scores.map((s) => s.toFixed(9)), cli.candidates.map((c) => c.score.toFixed(9)));
      assert.deepEqual([a.candidates.best, a.candidates.worst, a.score.toFixed(9)], [cli.best, cli.worst, cli.spread.toFixed(9)]);
      assert.match(a.text, /^best #\d − worst #\d \+\d+\.\d\d \(#1 [+−]\d+\.\d\d, #2 [+−]\d+\.\d\d(, #3 [+−]\d+\.\d\d)?\) · /, a.text);
    }
  });

  it('annotates dialogue lines and leaves the malformed line of broken.jsonl alone', async () => {
    await openSample('broken.jsonl');
    const annotations = await current();
    assert.deepEqual(annotations.map((a) => [a.line, a.kind]), [[0, 'dialogue'], [1, 'dialogue'], [3, 'dialogue']]);
  });

  it('computes only around the visible part of a 5,000-turn transcript', async function () {
    this.timeout(60_000);
    const turns = Array.from({ length: 5_000 }, (_, i) => (i % 2 ? `**Assistant:** reply number ${i}, sure` : `**User:** question ${i}?`));
    const big = sample('big-transcript.md');
    await vscode.workspace.fs.writeFile(big, new TextEncoder().encode(`${turns.join('\n\n')}\n`));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(big));
    const top = await current();
    assert.ok(top.length > 0, 'annotations at the top');
    const lastVisible = editor.visibleRanges[editor.visibleRanges.length - 1].end.line;
    assert.ok(top.every((a) => a.line <= lastVisible + 100), 'nothing far below the screen');
    assert.ok(top.length < 200, `${top.length} annotated: not the whole file`);

    editor.revealRange(new vscode.Range(8_000, 0, 8_000, 0), vscode.TextEditorRevealType.AtTop);
    for (let i = 0; i < 50 && editor.visibleRanges[0].start.line < 7_000; i++) await new Promise((r) => setTimeout(r, 50));
    const middle = await current();
    assert.ok(middle.some((a) => a.line >= 8_000 && a.line <= 8_060), 'annotations where the editor scrolled to');
    assert.ok(middle.every((a) => a.line >= 7_800), 'the top of the file is no longer decorated');
  });

  it('puts a JSONL line’s annotation in a CodeLens above it, which opens the per-trait hover', async () => {
    const editor = await openSample('pairs.jsonl');
    const annotations = await current();
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    const ours = lenses.filter((l) => l.command?.command === 'styletune.annotations.showDetails');
    assert.deepEqual(
      ours.map((l) => [l.range.start.line, l.command!.title]),
      annotations.map((a) => [a.line, `$(${a.score < 0 ? 'arrow-down' : 'arrow-up'}) ${a.text}`]),
    );
    assert.equal(ours.length, 4);
    await vscode.commands.executeCommand(ours[2].command!.command, ...(ours[2].command!.arguments ?? []));
    assert.equal(editor.selection.active.line, 2, 'the click puts the cursor on its line for the hover');
  });

  it('a transcript keeps its text below each turn and gets no CodeLens', async () => {
    const editor = await openSample('transcript.md');
    assert.equal((await current()).length, 5);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    assert.deepEqual(lenses.filter((l) => l.command?.command.startsWith('styletune.annotations.')), []);
  });

  describe('a file whose speakers are not the scored role', () => {
    const roleSetting = () => vscode.workspace.getConfiguration('styletune').inspect<string>('role')?.workspaceValue;
    afterEach(() => vscode.workspace.getConfiguration('styletune').update('role', undefined, vscode.ConfigurationTarget.Workspace));

    it('says on each line whose turns it has, and one click scores them', async () => {
      const dialogue = (i: number) => JSON.stringify({ messages: [{ role: 'agent_1', content: `are you a football fan? (${i})` }, { role: 'agent_2', content: 'yes lol, big time' }] });
      const file = sample('agents.jsonl');
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode([0, 1, 2].map(dialogue).join('\n') + '\n'));
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
      assert.deepEqual(await current(), [], 'nothing by the default model’s role, assistant');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
      const choices = lenses.filter((l) => l.command?.command === 'styletune.annotations.chooseRole');
      assert.deepEqual(choices.map((l) => l.range.start.line), [0, 1, 2]);
      assert.match(choices[0].command!.title, /no turns by "assistant" to score \(speakers: agent_1, agent_2\)/);
      assert.deepEqual(choices[0].command!.arguments?.[1], ['agent_1', 'agent_2']);
      // The hover says the same, with one link per speaker.
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(1, 3));
      assert.match(hoverText(hovers), /no turns by `assistant`[\s\S]*\[agent_1\]\(command:styletune\.annotations\.chooseRole\?/);

      const chosen = await vscode.commands.executeCommand<string>('styletune.annotations.chooseRole', editor.document.uri, ['agent_1']);
      assert.equal(chosen, 'agent_1');
      assert.equal(roleSetting(), 'agent_1', 'workspace settings');
      assert.deepEqual((await current()).map((a) => [a.line, a.kind]), [[0, 'dialogue'], [1, 'dialogue'], [2, 'dialogue']]);
    });

    it('in a transcript, names the speakers once, on the first turn on screen', async () => {
      const file = sample('agents.md');
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode('**Agent 1:** hey\n\n**Agent 2:** hi there lol\n\n**Agent 1:** what u up to\n'));
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
      assert.deepEqual(await current(), []);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(0, 3));
      assert.match(hoverText(hovers), /no turns by `assistant`[\s\S]*\[agent_1\][\s\S]*\[agent_2\]/);
      await vscode.commands.executeCommand('styletune.annotations.chooseRole', editor.document.uri, ['agent_2']);
      assert.deepEqual((await current()).map((a) => a.line), [2]);
    });
  });
});
