/**
 * Blind votes in a real VS Code: the session command (resume by annotator, the seed kept), the report
 * command on votes files of two annotators (figures worked out by hand), and item problems in the
 * Problems panel. Voting itself by keyboard is in test/e2e/ui/votes.ui.ts.
 */
import * as assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { loadItems } from '../../../src/core/votes/items';
import type { VoteSessionInfo } from '../../../src/extension/votes/session';
import type { ReportView } from '../../../webview/votes/protocol';
import { closeAllEditorsWithoutSaving, sample, styleTuneDiagnostics } from './helpers';

const ITEMS = 'votes/items.jsonl';
const blindVote = (...args: unknown[]) => vscode.commands.executeCommand<VoteSessionInfo | undefined>('styletune.blindVote', ...args);
const voteReport = (...args: unknown[]) => vscode.commands.executeCommand<ReportView | undefined>('styletune.voteReport', ...args);

interface Line {
  item_id: string;
  prompt_hash: string;
  systems: { A: string; B: string };
  winner: string;
  confidence: string | null;
  annotator: string;
  time: string;
  session: string;
  seed?: number;
}

/** The prompt hashes votes carry (the core is plain Node and runs in the extension host too). */
async function promptHashes(): Promise<Record<string, string>> {
  const { items } = await loadItems([sample(ITEMS).fsPath]);
  return Object.fromEntries(items.map((i) => [i.id, i.promptHash]));
}

function line(hashes: Record<string, string>, annotator: string, item: string, A: string, winner: string, minute: number, seed = 77): Line {
  return {
    item_id: item,
    prompt_hash: hashes[item],
    systems: { A, B: A === 'base' ? 'tuned' : 'base' },
    winner,
    confidence: winner === 'tie' ? null : 'likely',
    annotator,
    time: `2026-02-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
    session: `${annotator}-s`,
    seed,
  };
}

/** The webview tab of a view type; tabs reach the extension host a moment after the panel is made. */
async function webviewTab(viewType: string): Promise<vscode.Tab> {
  for (let i = 0; i < 50; i++) {
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
    if (tab) return tab;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${viewType} webview tab`);
}

const jsonl = (lines: Line[]) => lines.map((l) => JSON.stringify(l) + '\n').join('');

describe('StyleTune: Blind votes', () => {
  const config = () => vscode.workspace.getConfiguration('styletune');
  before(() => config().update('annotator', 'tester', vscode.ConfigurationTarget.Workspace));
  after(() => config().update('annotator', undefined, vscode.ConfigurationTarget.Workspace));
  afterEach(closeAllEditorsWithoutSaving);

  it('opens a session on the items file in a webview, names the votes file beside it, and resumes where the annotator left off', async () => {
    const votesFile = sample('votes/items.votes.jsonl');
    await vscode.workspace.fs.delete(votesFile).then(undefined, () => undefined);
    const first = await blindVote(sample(ITEMS));
    assert.ok(first, 'the command returned the session');
    assert.equal(first.votesFile, votesFile.fsPath);
    assert.equal(first.annotator, 'tester');
    assert.deepEqual([first.total, first.done], [5, 0]);
    const tab = await webviewTab('styletune.blindVote');
    assert.equal(tab.label, 'Blind vote: items.jsonl');
    assert.ok(tab.isActive);
    await closeAllEditorsWithoutSaving();

    // Two votes of this annotator (one written with the sides the other way round) and one of someone else.
    const h = await promptHashes();
    await writeFile(votesFile.fsPath, jsonl([line(h, 'tester', 'coffee', 'base', 'tuned', 1), line(h, 'tester', 'rain', 'tuned', 'tie', 2), line(h, 'other', 'movie', 'base', 'base', 3, 5)]));
    const resumed = await blindVote(sample(ITEMS));
    assert.ok(resumed);
    assert.deepEqual([resumed.total, resumed.done], [5, 2], 'the two comparisons voted by tester are skipped');
    assert.equal(resumed.seed, 77, 'the seed of the annotator’s last vote comes back');
    assert.notEqual(resumed.session, first.session);
    assert.equal(await readFile(votesFile.fsPath, 'utf8'), jsonl([line(h, 'tester', 'coffee', 'base', 'tuned', 1), line(h, 'tester', 'rain', 'tuned', 'tie', 2), line(h, 'other', 'movie', 'base', 'base', 3, 5)]), 'opening a session writes nothing');
  });

  it('reports two annotators’ votes files with the reward model’s agreement', async () => {
    const h = await promptHashes();
    const ana = sample('votes/ana.votes.jsonl');
    const bo = sample('votes/bo.votes.jsonl');
    // ana: tuned wins coffee and rain, base wins movie, tired a tie; bo: tuned wins coffee, base wins movie and plans.
    await writeFile(ana.fsPath, jsonl([line(h, 'ana', 'coffee', 'base', 'tuned', 1), line(h, 'ana', 'rain', 'base', 'tuned', 2), line(h, 'ana', 'movie', 'tuned', 'base', 3), line(h, 'ana', 'tired', 'base', 'tie', 4)]));
    await writeFile(bo.fsPath, jsonl([line(h, 'bo', 'coffee', 'tuned', 'tuned', 5), line(h, 'bo', 'movie', 'base', 'base', 6), line(h, 'bo', 'plans', 'tuned', 'base', 7)]) + '{"annotator": "bo", "winner": \n');
    // As the Explorer passes a multi-selection: the clicked file, then all selected ones. No items file is
    // beside ana.votes.jsonl, so the items are selected too.
    const report = await voteReport(ana, [ana, bo, sample(ITEMS)]);
    assert.ok(report, 'the command returned the report');
    assert.equal(report.votes, 7);
    assert.deepEqual(report.annotators, { ana: 4, bo: 3 });
    // tuned: won coffee×2 and rain, tied tired, lost movie×2 and plans: (3 + 0.5) / 7 = 0.5.
    const tuned = report.systems.find((s) => s.system === 'tuned')!;
    assert.deepEqual([tuned.wins, tuned.ties, tuned.losses, tuned.votes], [3, 1, 3, 7]);
    assert.equal(tuned.rate, 0.5);
    // Wilson for 0.5 of 7: centre 0.5, half z/(1 + z²/7) · sqrt(0.25/7 + z²/196) = 1.26549 · 0.23519 = 0.29763.
    assert.ok(Math.abs(tuned.interval.low - 0.20237) < 1e-4 && Math.abs(tuned.interval.high - 0.79763) < 1e-4, JSON.stringify(tuned.interval));
    // The shipped model prefers tuned on every sample prompt but movie: of the 6 decisive votes it agrees
    // with coffee×2, rain and movie×2, not with bo's plans → 5 of 6.
    assert.equal(report.agreement?.votes, 6);
    assert.equal(report.agreement?.agreed, 5);
    assert.equal(report.ratings, undefined);
    // bo's cut-off last line counts nowhere, and the report and the Problems panel both say so.
    assert.equal(report.notes[0], '1 line of the votes file(s) is not a vote (see the Problems panel).');
    assert.deepEqual(vscode.languages.getDiagnostics(bo).map((d) => d.range.start.line), [3]);
    const tab = await webviewTab('styletune.voteReport');
    assert.equal(tab.label, 'Vote report: ana.votes.jsonl');
  });

  it('votes on the trainer’s generate output: two files selected in the Explorer are one session, systems named by file', async () => {
    const sampleLine = (source: string, prompt: string, text: string) => JSON.stringify({ index: 0, source, sample: 0, prompt, text, tokens: 4, seed: 0 });
    const a = sample('votes/gen-a.jsonl');
    const b = sample('votes/gen-b.jsonl');
    await writeFile(a.fsPath, [sampleLine('base', 'hi there', 'Hello! How can I help?'), sampleLine('adapter', 'hi there', 'heyy whats up'), sampleLine('base', 'any plans?', 'I do not have plans.'), sampleLine('adapter', 'any plans?', 'nah just chilling')].join('\n') + '\n');
    await writeFile(b.fsPath, [sampleLine('adapter', 'hi there', 'yo'), sampleLine('adapter', 'any plans?', 'gym later prob')].join('\n') + '\n');
    const info = await blindVote(a, [a, b]);
    assert.ok(info);
    // Two prompts, three systems each (gen-a/base, gen-a/adapter, gen-b/adapter): three comparisons per prompt.
    assert.deepEqual([info.total, info.done], [6, 0]);
    assert.deepEqual(info.itemFiles, [a.fsPath, b.fsPath]);
    assert.equal(info.votesFile, sample('votes/gen-a.votes.jsonl').fsPath);

    // Three systems: the report adds Bradley-Terry ratings. gen-b/adapter beats both others twice, and
    // gen-a/adapter beats gen-a/base twice: a strict order, so the ratings are regularized (nobody beat
    // gen-b/adapter) and come out in that order.
    const { items } = await loadItems([a.fsPath, b.fsPath]);
    const v = (item: string, A: string, B: string, winner: string, minute: number): Line => ({
      item_id: item,
      prompt_hash: items.find((i) => i.id === item)!.promptHash,
      systems: { A, B },
      winner,
      confidence: null,
      annotator: 'tester',
      time: `2026-02-01T11:${String(minute).padStart(2, '0')}:00.000Z`,
      session: 's',
    });
    const [p1, p2] = items.map((i) => i.id);
    await writeFile(
      info.votesFile,
      jsonl([
        v(p1, 'gen-a/base', 'gen-b/adapter', 'gen-b/adapter', 1),
        v(p2, 'gen-b/adapter', 'gen-a/base', 'gen-b/adapter', 2),
        v(p1, 'gen-a/adapter', 'gen-b/adapter', 'gen-b/adapter', 3),
        v(p2, 'gen-b/adapter', 'gen-a/adapter', 'gen-b/adapter', 4),
        v(p1, 'gen-a/adapter', 'gen-a/base', 'gen-a/adapter', 5),
        v(p2, 'gen-a/base', 'gen-a/adapter', 'gen-a/adapter', 6),
      ]),
    );
    const report = await voteReport(a, [a, b]);
    assert.ok(report?.ratings, 'ratings for three systems');
    assert.equal(report.ratings.regularized, true);
    assert.deepEqual(report.ratings.rows.map((r) => r.system), ['gen-b/adapter', 'gen-a/adapter', 'gen-a/base']);
    assert.ok(report.ratings.rows[0].elo > 1000 && report.ratings.rows[2].elo < 1000);
    assert.equal(report.agreement?.votes, 6, 'every reply was scored');
  });

  it('lists bad item lines in the Problems panel and refuses a file with nothing to vote on', async () => {
    const bad = sample('votes/bad.jsonl');
    await writeFile(bad.fsPath, ['{"prompt": "hi", "responses": ["a", "b"]}', '{"prompt": "yo", "responses": {"base": "x"}}', 'not json'].join('\n') + '\n');
    assert.equal(await blindVote(bad), undefined);
    const problems = styleTuneDiagnostics(bad).map((d) => `${d.range.start.line + 1}: ${d.message}`).sort();
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^1: `responses` is a list/);
    assert.match(problems[1], /^2: item ".*" has a response from only "base"/);
    assert.match(problems[2], /^3: invalid JSON/);
  });
});
