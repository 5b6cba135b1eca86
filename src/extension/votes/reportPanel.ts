/**
 * The vote report in a webview: one or more votes files (one per annotator, or merged), the items they
 * were cast on, and the active reward model for the agreement figure. Recomputed when a votes file
 * changes, so a report left open beside a running session follows it.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { scoreItems } from '../../core/votes/rewards';
import type { Diagnostic } from '../../core/types';
import type { VoteItem } from '../../core/votes/items';
import { forEachVote } from '../../core/votes/records';
import { VoteTally } from '../../core/votes/report';
import { isWebviewMessage, type HostMessage, type ReportView, type WebviewMessage } from '../../../webview/votes/protocol';
import { acquireActiveModel, modelName } from '../modelCommands/activeModel';
import { WebviewHost } from '../webviewHost';
import { votesPage } from './html';
import { loadItemsWithProblems, showProblems, type VotesServices } from './shared';
import { counted } from '../../core/counted';

export const REPORT_VIEW_TYPE = 'styletune.voteReport';

export class ReportPanel {
  private static readonly open = new Map<string, ReportPanel>();

  private report: ReportView | undefined;
  private run: Promise<ReportView> | undefined;
  private rerun: ReturnType<typeof setTimeout> | undefined;
  private readonly host: WebviewHost<WebviewMessage, HostMessage>;

  static async show(s: VotesServices, votes: vscode.Uri[], items: vscode.Uri[]): Promise<ReportView> {
    const key = [...votes, ...items].map((u) => u.toString()).join('\n');
    let p = ReportPanel.open.get(key);
    if (p) {
      p.host.panel.reveal();
      return p.run ?? p.compute();
    }
    p = new ReportPanel(s, votes, items, key);
    ReportPanel.open.set(key, p);
    return p.compute();
  }

  /** The serializer's path: a panel VS Code kept across a window reload. */
  static revive(s: VotesServices, panel: vscode.WebviewPanel, votes: vscode.Uri[], items: vscode.Uri[]): void {
    const key = [...votes, ...items].map((u) => u.toString()).join('\n');
    const p = new ReportPanel(s, votes, items, key, panel);
    ReportPanel.open.set(key, p);
    void p.compute().catch(() => undefined);
  }

  private constructor(
    private readonly s: VotesServices,
    private readonly votes: vscode.Uri[],
    private readonly items: vscode.Uri[],
    private readonly key: string,
    restored?: vscode.WebviewPanel,
  ) {
    const options = {
      name: 'Vote report',
      extensionUri: vscode.Uri.file(s.extensionPath),
      log: s.log,
      page: votesPage('Vote report'),
      validate: isWebviewMessage,
      receive: (m: WebviewMessage) => {
        // The report only listens for `ready`; the page sends nothing else.
        if (m.type !== 'ready') return;
        this.post({ type: 'restore', state: { kind: 'report', votes: this.votes.map((u) => u.toString()), items: this.items.map((u) => u.toString()) } });
        if (this.report) this.post({ type: 'report', report: this.report });
      },
      onDispose: () => this.dispose(),
    };
    this.host = WebviewHost.open(restored, { viewType: REPORT_VIEW_TYPE, title: `Vote report: ${basename(votes[0].fsPath)}`, showOptions: vscode.ViewColumn.Active }, options);
    for (const uri of votes) {
      const watcher = this.host.register(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), basename(uri.fsPath))));
      const later = () => this.scheduleRerun();
      this.host.register(watcher.onDidChange(later));
      this.host.register(watcher.onDidCreate(later));
    }
  }

  private post(m: HostMessage): void {
    this.host.post(m);
  }

  private compute(): Promise<ReportView> {
    const run = this.build().then(
      (report) => {
        this.report = report;
        this.post({ type: 'report', report });
        return report;
      },
      (err: Error) => {
        this.s.log.error(`Vote report: ${err.stack ?? err}`);
        this.post({ type: 'error', message: err.message });
        throw err;
      },
    );
    this.run = run;
    return run;
  }

  private scheduleRerun(): void {
    if (this.rerun) clearTimeout(this.rerun);
    this.rerun = setTimeout(() => {
      this.rerun = undefined;
      void this.compute().catch(() => undefined);
    }, 300);
  }

  private async build(): Promise<ReportView> {
    const notes: string[] = [];
    let items: VoteItem[] | undefined;
    let rewards: { scores: Map<string, Record<string, number>>; model: string } | undefined;
    if (this.items.length) {
      const loaded = await loadItemsWithProblems(this.s, this.items);
      items = loaded.items;
      try {
        const lease = await acquireActiveModel(this.s, this.items[0]);
        try {
          const scored = await scoreItems(loaded.items, lease.model);
          for (const p of scored.problems) this.s.log.warn(p);
          rewards = { scores: scored.scores, model: modelName(lease.model.spec, lease.file) };
        } finally {
          lease.release();
        }
      } catch (err) {
        notes.push(`The reward model could not score the responses: ${(err as Error).message}`);
      }
    }
    // Streamed into the tally as `styletune votes report` does: memory grows with the comparisons kept,
    // not with the lines of the votes files.
    const tally = new VoteTally(items);
    const problems: Diagnostic[] = [];
    await forEachVote(this.votes.map((u) => u.fsPath), (v) => tally.add(v), (d) => problems.push(d));
    await showProblems(this.s, this.votes, problems);
    if (problems.length) notes.unshift(`${counted(problems.length, 'line')} of the votes file(s) ${problems.length === 1 ? 'is not a vote' : 'are not votes'} (see the Problems panel).`);
    const report = tally.report(rewards);
    return {
      ...report,
      notes: [...notes, ...report.notes],
      title: this.votes.map((u) => basename(u.fsPath)).join(', '),
      sources: [...this.votes, ...this.items].map((u) => vscode.workspace.asRelativePath(u)),
    };
  }

  private dispose(): void {
    ReportPanel.open.delete(this.key);
    if (this.rerun) clearTimeout(this.rerun);
  }
}

/** The items a votes file was cast on, by name: `x.votes.jsonl` → `x.jsonl`, when it exists. */
export function itemsBeside(votesFile: vscode.Uri): vscode.Uri | undefined {
  const path = votesFile.fsPath.replace(/\.votes\.jsonl$/i, '.jsonl');
  return path !== votesFile.fsPath && existsSync(path) ? vscode.Uri.file(path) : undefined;
}
