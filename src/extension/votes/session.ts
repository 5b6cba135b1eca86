/**
 * One blind vote session in a webview panel: the comparisons this annotator has not voted on yet, one at
 * a time, sides hidden; each vote appended atomically to the votes file; undo takes the last one back;
 * at the end the identities are revealed. Reopening the same items resumes (voted comparisons are skipped,
 * the order and sides come back with the session's seed).
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { turnsText } from '../../core/votes/items';
import { appendVote, dedupeVotes, pairKey, readVotesIfAny, removeVote, type VoteRecord } from '../../core/votes/records';
import { buildTasks, newSeed, remainingTasks, resumeSeed, type VoteTask } from '../../core/votes/session';
import { isWebviewMessage, type HostMessage, type RevealRow, type VoteState, type WebviewMessage } from '../../../webview/votes/protocol';
import { WebviewHost } from '../webviewHost';
import { votesPage } from './html';
import { annotator } from '../settings';
import { loadItemsWithProblems, type VotesServices } from './shared';
import { welcomeDone } from '../welcome';
import { counted } from '../../core/counted';

export const VOTE_VIEW_TYPE = 'styletune.blindVote';

/** What the command returns (tests read it through executeCommand). */
export interface VoteSessionInfo {
  votesFile: string;
  itemFiles: string[];
  annotator: string;
  session: string;
  seed: number;
  total: number;
  done: number;
}

export class VoteSession {
  private static readonly open = new Map<string, VoteSession>();

  private remaining: VoteTask[] = [];
  /** Every comparison of the items, by key (for the reveal). */
  private tasks = new Map<string, VoteTask>();
  private total = 0;
  /** This session's votes, newest last: what `u` takes back. */
  private readonly cast: Array<{ task: VoteTask; vote: VoteRecord }> = [];
  private reveal: RevealRow[] | undefined;
  private problems = 0;
  /** Votes-file operations run one after another: an undo must not race the append before it. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly host: WebviewHost<WebviewMessage, HostMessage>;
  private readonly session = randomBytes(6).toString('hex');
  private seed = 0;
  private annotator = '';
  private ready: Promise<void>;

  static async show(s: VotesServices, itemFiles: vscode.Uri[], openReport: (votes: vscode.Uri[], items: vscode.Uri[]) => Promise<unknown>): Promise<VoteSessionInfo> {
    const key = itemFiles.map((u) => u.toString()).join('\n');
    let session = VoteSession.open.get(key);
    if (session) session.host.panel.reveal();
    else {
      session = new VoteSession(s, itemFiles, key, openReport);
      VoteSession.open.set(key, session);
    }
    try {
      await session.ready;
    } catch (err) {
      // Nothing to vote on: the notification says why, an empty panel would not help.
      session.host.dispose();
      throw err;
    }
    return session.info();
  }

  /** The serializer's path: a panel VS Code kept across a window reload. */
  static revive(s: VotesServices, panel: vscode.WebviewPanel, itemFiles: vscode.Uri[], openReport: (votes: vscode.Uri[], items: vscode.Uri[]) => Promise<unknown>): void {
    const key = itemFiles.map((u) => u.toString()).join('\n');
    VoteSession.open.set(key, new VoteSession(s, itemFiles, key, openReport, panel));
  }

  private constructor(
    private readonly s: VotesServices,
    private readonly itemFiles: vscode.Uri[],
    private readonly key: string,
    private readonly openReport: (votes: vscode.Uri[], items: vscode.Uri[]) => Promise<unknown>,
    restored?: vscode.WebviewPanel,
  ) {
    const options = {
      name: 'Blind vote',
      extensionUri: vscode.Uri.file(s.extensionPath),
      log: s.log,
      page: votesPage('Blind vote'),
      validate: isWebviewMessage,
      receive: (m: WebviewMessage) => this.receive(m),
      onError: (err: Error) => this.post({ type: 'error', message: err.message }),
      onDispose: () => VoteSession.open.delete(this.key),
    };
    this.host = WebviewHost.open(restored, { viewType: VOTE_VIEW_TYPE, title: `Blind vote: ${basename(itemFiles[0].fsPath)}`, showOptions: vscode.ViewColumn.Active }, options);
    this.ready = this.load();
    // A load failure is shown in the panel; the command reports it too (show awaits `ready`).
    this.ready.catch((err: Error) => this.post({ type: 'error', message: err.message }));
  }

  /** `<first items file>.votes.jsonl` beside it: each annotator's own file, merged later. */
  get votesFile(): string {
    return this.itemFiles[0].fsPath.replace(/(\.jsonl)?$/i, '.votes.jsonl');
  }

  private async load(): Promise<void> {
    this.annotator = annotator(this.itemFiles[0]);
    const { items, problems } = await loadItemsWithProblems(this.s, this.itemFiles);
    this.problems = problems;
    const existing = await readVotesIfAny(this.votesFile);
    if (existing.diagnostics.length) this.s.log.warn(`${counted(existing.diagnostics.length, 'bad line')} in ${this.votesFile}; they are left as they are`);
    this.seed = resumeSeed(existing.votes, this.annotator) ?? newSeed();
    const tasks = buildTasks(items, this.seed);
    this.tasks = new Map(tasks.map((t) => [t.key, t]));
    if (tasks.length === 0) throw new Error(`${this.itemFiles.map((u) => basename(u.fsPath)).join(', ')} has no item with responses from two systems or more (see the Problems panel)`);
    this.total = tasks.length;
    this.remaining = remainingTasks(tasks, existing.votes, this.annotator);
    if (this.remaining.length === 0) await this.buildReveal();
    this.s.log.info(`Blind vote on ${this.key.replace(/\n/g, ', ')}: ${this.total} comparisons, ${this.remaining.length} left for ${this.annotator || '(no name)'}; votes in ${this.votesFile}`);
  }

  info(): VoteSessionInfo {
    return {
      votesFile: this.votesFile,
      itemFiles: this.itemFiles.map((u) => u.fsPath),
      annotator: this.annotator,
      session: this.session,
      seed: this.seed,
      total: this.total,
      done: this.total - this.remaining.length,
    };
  }

  private state(): VoteState {
    const t = this.remaining[0];
    return {
      title: this.itemFiles.map((u) => basename(u.fsPath)).join(', '),
      votesFile: vscode.workspace.asRelativePath(this.votesFile),
      annotator: this.annotator,
      done: this.total - this.remaining.length,
      total: this.total,
      task: t && {
        key: t.key,
        prompt: typeof t.item.prompt === 'string' ? [{ role: 'user', content: t.item.prompt }] : t.item.prompt.map((m) => ({ role: m.role, content: m.content })),
        a: turnsText(t.item.responses[t.a]),
        b: turnsText(t.item.responses[t.b]),
      },
      reveal: t ? undefined : this.reveal,
      canUndo: this.cast.length > 0,
      problems: this.problems,
    };
  }

  private post(m: HostMessage): void {
    this.host.post(m);
  }

  /** One after another; a failure is the host's to report (onError shows it in the page) and the next goes on. */
  private receive(m: WebviewMessage): Promise<void> {
    const run = this.queue.then(() => this.handle(m));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.post({ type: 'restore', state: { kind: 'vote', items: this.itemFiles.map((u) => u.toString()) } });
        await this.ready.catch(() => undefined);
        if (this.total) this.post({ type: 'vote', state: this.state() });
        return;
      case 'vote':
        return this.vote(m.key, m.side, m.confidence);
      case 'undo':
        return this.undo();
      case 'openReport':
        await this.openReport([vscode.Uri.file(this.votesFile)], this.itemFiles);
        return;
    }
  }

  private async vote(key: string, side: 'A' | 'B' | 'tie', confidence: 'likely' | 'certainly' | null): Promise<void> {
    const task = this.remaining[0];
    // A key pressed twice quickly arrives after the view moved on: it was not meant for this comparison.
    if (!task || task.key !== key) return;
    const vote: VoteRecord = {
      item_id: task.item.id,
      prompt_hash: task.item.promptHash,
      systems: { A: task.a, B: task.b },
      winner: side === 'tie' ? 'tie' : side === 'A' ? task.a : task.b,
      // A tie has no side to be sure of.
      confidence: side === 'tie' ? null : confidence,
      annotator: this.annotator,
      time: new Date().toISOString(),
      session: this.session,
      seed: this.seed,
    };
    await appendVote(this.votesFile, vote);
    welcomeDone('vote');
    this.cast.push({ task, vote });
    this.remaining.shift();
    if (this.remaining.length === 0) await this.buildReveal();
    this.post({ type: 'vote', state: this.state() });
  }

  private async undo(): Promise<void> {
    const last = this.cast.pop();
    if (!last) return;
    const removed = await removeVote(this.votesFile, last.vote);
    if (!removed) this.s.log.warn(`Undo: the vote on ${last.vote.item_id} was no longer in ${this.votesFile}; showing the comparison again anyway`);
    this.remaining.unshift(last.task);
    this.reveal = undefined;
    this.post({ type: 'vote', state: this.state() });
  }

  /** Every vote of this annotator in the votes file, with the systems named: the end-of-session reveal. */
  private async buildReveal(): Promise<void> {
    const { votes } = await readVotesIfAny(this.votesFile);
    const tasks = this.tasks;
    this.reveal = dedupeVotes(votes.filter((v) => v.annotator === this.annotator))
      .filter((v) => tasks.has(pairKey(v.item_id, v.systems.A, v.systems.B)))
      .map((v) => {
        const item = tasks.get(pairKey(v.item_id, v.systems.A, v.systems.B))!.item;
        const prompt = turnsText(item.prompt).replace(/\s+/g, ' ');
        return { item_id: v.item_id, prompt: prompt.length > 80 ? `${prompt.slice(0, 79)}…` : prompt, a: v.systems.A, b: v.systems.B, winner: v.winner, confidence: v.confidence };
      });
  }

}
