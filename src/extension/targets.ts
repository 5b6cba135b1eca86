/**
 * Which file a command meant, worked out one way for every command that takes one (score, inspector,
 * fit, judge, build pairs, label). In order:
 *
 *   1. its argument: the Explorer's or an editor menu's Uri (the clicked file), a path (scripts, tests);
 *   2. the active text editor's document;
 *   3. the active tab's file, a text tab or a custom editor's (the pair labeler has no text editor, and
 *      a big file's editor reaches the extension host a few seconds after its tab shows).
 *
 * `commandTarget` only looks; `savedJsonlTarget` is for commands that read the file from disk like the
 * CLI does, so it insists on a saved JSONL file and offers to save unsaved edits rather than silently
 * leave them out.
 */
import { basename } from 'node:path';
import * as vscode from 'vscode';

/** A Uri or a path (scripts and tests pass either); undefined for anything else. */
export function argumentUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

/** A file argument's path: a Uri's, or the path itself. */
export const toPath = (v: vscode.Uri | string): string => (v instanceof vscode.Uri ? v.fsPath : v);

/** The file of the active tab, text or custom editor (the labeler). */
export function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
}

export function commandTarget(arg?: unknown): vscode.Uri | undefined {
  return argumentUri(arg) ?? vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
}

/**
 * The Explorer passes the clicked file and every selected one; the palette passes nothing, and then the
 * one file `commandTarget` finds (a saved one: a selection of files names files on disk).
 */
export function commandTargets(clicked: unknown, selected: unknown): vscode.Uri[] {
  if (Array.isArray(selected) && selected.length && selected.every((t) => t instanceof vscode.Uri)) return selected as vscode.Uri[];
  const given = argumentUri(clicked);
  if (given) return [given];
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') return [active];
  const tab = activeTabUri();
  return tab ? [tab] : [];
}

export interface SavedTargetOptions {
  /** Shown when no saved JSONL file is meant, e.g. "Open a saved JSONL file of pairs to fit a reward model on it." */
  none?: string;
  /** What reads the file, for the unsaved-changes question: "the fit reads the saved file". */
  reader: string;
  /** The button that saves and goes on: "Save and Fit". */
  saveLabel: string;
  /** Instead of the `none` warning, ask for a file in a dialog with this title. */
  browseTitle?: string;
}

/**
 * The path of the JSONL file a command that reads from disk means, saved; undefined after telling the
 * user why not (or when they cancelled). An argument is taken as given: scripts name files on disk.
 */
export async function savedJsonlTarget(arg: unknown, o: SavedTargetOptions): Promise<string | undefined> {
  const given = argumentUri(arg);
  if (given) return given.fsPath;
  const uri = vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
  if (!uri || uri.scheme !== 'file' || !/\.jsonl$/i.test(uri.fsPath)) {
    if (o.browseTitle) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'JSON Lines': ['jsonl'] }, title: o.browseTitle, openLabel: 'Use This File' });
      return picked?.[0]?.fsPath;
    }
    void vscode.window.showWarningMessage(o.none ?? 'Open a saved JSONL file first.');
    return undefined;
  }
  // The labeler's document is a text document too: its unsaved labels count as unsaved edits.
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) {
    const choice = await vscode.window.showWarningMessage(`${basename(uri.fsPath)} has unsaved changes; ${o.reader}.`, o.saveLabel);
    if (!choice || !(await doc.save())) return undefined;
  }
  return uri.fsPath;
}
