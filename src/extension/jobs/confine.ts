/**
 * Before a job starts, the user's word for the places its job file points outside the job file's
 * folder and the workspace (src/core/jobs/confine.ts): always for `output_dir`, where the trainer
 * writes, and in an untrusted workspace for every path, read or written, every time. In a trusted
 * workspace an answer is remembered per job file and path, so Resume does not ask again.
 */
import * as vscode from 'vscode';
import { describeOutside, pathsOutside } from '../../core/jobs/confine';
import type { JobFile } from '../../core/jobs/jobFile';

const CONFIRMED_KEY = 'styletune.jobs.confirmedPaths';

export interface ConfirmOptions {
  /** The paths it reads were picked by the user just now (Start DPO Tuning's questions): no need to ask about them. */
  chosenReads?: boolean;
}

export async function confirmJobPaths(job: JobFile, memento: vscode.Memento, o: ConfirmOptions = {}): Promise<boolean> {
  const trusted = vscode.workspace.isTrusted;
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  // Reading a model from ~/models is ordinary where the workspace is trusted; writing outside never is.
  const outside = pathsOutside(job, roots).filter((p) => p.writes || (!trusted && !o.chosenReads));
  if (outside.length === 0) return true;
  const confirmed = memento.get<Record<string, string[]>>(CONFIRMED_KEY, {});
  if (trusted && outside.every((p) => confirmed[job.path]?.includes(p.path))) return true;
  const where = roots.length ? "the job file's folder and the workspace" : "the job file's folder";
  const answer = await vscode.window.showWarningMessage(
    `${trusted ? '' : 'This workspace is not trusted. '}${describeOutside(outside, where)} Start the job anyway?`,
    { modal: true, detail: `Job file: ${job.path}. A job file can name any folder; start it only if you know why it points there.` },
    'Start',
  );
  if (answer !== 'Start') return false;
  if (trusted) await memento.update(CONFIRMED_KEY, { ...confirmed, [job.path]: [...new Set([...(confirmed[job.path] ?? []), ...outside.map((p) => p.path)])] });
  return true;
}
