/**
 * "▶ Start DPO Tuning" at the top of every *.tune.json; while its job runs, where it stands instead; and
 * while the file has errors, why it cannot start (the first error, and how many there are).
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { stateText } from '../../core/jobs/format';
import { jobFileProblems, parseJobFile } from '../../core/jobs/jobFile';
import type { JobManager } from './manager';
import { counted } from '../../core/counted';

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
    const problems = jobFileProblems(doc.getText());
    if (problems.length) {
      const first = problems[0]!;
      const where = doc.positionAt(first.start);
            return [new vscode.CodeLens(top, {
        title: `$(error) Cannot start: ${counted(problems.length, 'error')}. Line ${where.line + 1}: ${first.message.length > 90 ? `${first.message.slice(0, 89)}…` : first.message}`,
        tooltip: problems.map((p) => `Line ${doc.positionAt(p.start).line + 1}: ${p.message}`).join('\n'),
        command: 'workbench.actions.view.problems',
      })];
    }
    const jobDir = parseJobFile(doc.uri.fsPath, doc.getText()).jobDir;
    const snap = this.jobs.get(jobDir);
    if (snap && (snap.state === 'running' || snap.state === 'stopping')) {
      return [
        new vscode.CodeLens(top, { title: `$(sync~spin) ${stateText(snap)}`, command: 'styletune.openJob', arguments: [snap.dir] }),
        new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'styletune.stopJob', arguments: [snap.dir] }),
      ];
    }
    const resumable = existsSync(`${jobDir}/checkpoints`);
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
