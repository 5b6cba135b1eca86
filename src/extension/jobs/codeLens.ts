/** "▶ Start DPO Tuning" at the top of every *.tune.json; while its job runs, where it stands instead. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { stateText } from '../../core/jobs/format';
import { parseJobFile } from '../../core/jobs/jobFile';
import type { JobManager } from './manager';

export class JobFileLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly jobs: JobManager) {
    this.sub = jobs.onDidChange((snap) => {
      // Per-step progress does not change the lenses; state changes do.
      if (!snap || snap.state !== 'running' || snap.step === 0) this.changed.fire();
    });
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    let jobDir: string | undefined;
    try {
      jobDir = parseJobFile(doc.uri.fsPath, doc.getText()).jobDir;
    } catch {
      // The schema already marks the problem as you type; Start reports it in words too.
    }
    const snap = jobDir ? this.jobs.get(jobDir) : undefined;
    if (snap && (snap.state === 'running' || snap.state === 'stopping')) {
      return [
        new vscode.CodeLens(top, { title: `$(sync~spin) ${stateText(snap)}`, command: 'styletune.openJob', arguments: [snap.dir] }),
        new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'styletune.stopJob', arguments: [snap.dir] }),
      ];
    }
    const resumable = jobDir !== undefined && existsSync(`${jobDir}/checkpoints`);
    const lenses = [new vscode.CodeLens(top, {
      title: resumable ? '▶ Start DPO Tuning (resumes from the newest checkpoint)' : '▶ Start DPO Tuning',
      command: 'styletune.startTuning',
      arguments: [doc.uri],
    })];
    if (snap) lenses.push(new vscode.CodeLens(top, { title: `Open Job View (${stateText(snap)})`, command: 'styletune.openJob', arguments: [snap.dir] }));
    return lenses;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
