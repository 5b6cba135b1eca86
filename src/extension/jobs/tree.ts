/**
 * The Jobs view: one row per job with its state and progress; a failed job unfolds into the reason and
 * its last log lines. Context actions come from package.json menus keyed on contextValue
 * `styletuneJob.<state>`.
 */
import * as vscode from 'vscode';
import { deviceText, stateText } from '../../core/jobs/format';
import type { JobSnapshot } from '../../core/jobs/jobState';
import type { JobManager } from './manager';

type Node = { kind: 'job'; snap: JobSnapshot } | { kind: 'line'; dir: string; index: number; text: string; isMessage: boolean };

const ICONS: Record<JobSnapshot['state'], vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin'),
  stopping: new vscode.ThemeIcon('loading~spin'),
  done: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  stopped: new vscode.ThemeIcon('debug-stop'),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

/** Log lines shown under a failed job; the rest is one click away in Show Log. */
const FAILED_LINES = 8;

export class JobsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly jobs: JobManager) {
    // Progress arrives every step; the whole list is short, so refreshing it all is simplest.
    this.sub = jobs.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'line') {
      const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
      item.id = `${n.dir}#${n.index}`;
      item.iconPath = n.isMessage ? new vscode.ThemeIcon('info') : undefined;
      item.tooltip = n.text;
      item.contextValue = 'styletuneJobLogLine';
      return item;
    }
    const s = n.snap;
    const item = new vscode.TreeItem(s.name, s.state === 'failed' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = s.dir;
    item.description = stateText(s);
    item.accessibilityInformation = { label: `${s.name}, ${stateText(s)}` };
    item.iconPath = ICONS[s.state];
    item.contextValue = `styletuneJob.${s.state}`;
    item.command = { command: 'styletune.openJob', title: 'Open Job View', arguments: [s.dir] };
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${s.name}** — ${stateText(s)}\n\n`);
    md.appendText(`${s.dir}\n`);
    if (s.started) md.appendText(`\n${s.started.model} · ${deviceText(s.started)}${s.started.preset ? ` · preset ${s.started.preset}` : ''}\n`);
    if (s.message) md.appendText(`\n${s.message}\n`);
    item.tooltip = md;
    return item;
  }

  getChildren(n?: Node): Node[] {
    if (!n) return this.jobs.list().map((snap) => ({ kind: 'job', snap }));
    if (n.kind !== 'job' || n.snap.state !== 'failed') return [];
    const s = n.snap;
    const lines: Node[] = [];
    if (s.message) lines.push({ kind: 'line', dir: s.dir, index: 0, text: s.message, isMessage: true });
    s.lastLog.slice(-FAILED_LINES).forEach((text, i) => lines.push({ kind: 'line', dir: s.dir, index: i + 1, text, isMessage: false }));
    return lines;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
