/**
 * The reward model in effect for a document (its `styletune.rewardModelPath`, resolved the way
 * Score Current File resolves it), loaded through the shared ModelCache so the annotations, the status
 * bar and the commands all use one ONNX session.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ModelCache, ModelLease } from '../modelCache';
import { resolveModelPath } from '../modelPath';
import { roleOverride, scoredRole, setting } from '../settings';

export interface ModelServices {
  extensionPath: string;
  log: vscode.LogOutputChannel;
  models: ModelCache;
}

/** `uri`: the document the model is for; without one, the first workspace folder's setting. */
export function activeModelFile(s: ModelServices, uri?: vscode.Uri): string {
  const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : vscode.workspace.workspaceFolders?.[0];
  return resolveModelPath(setting('rewardModelPath', uri ?? folder?.uri), { extensionPath: s.extensionPath, workspaceFolder: folder?.uri.fsPath });
}

export async function acquireActiveModel(s: ModelServices, uri?: vscode.Uri): Promise<ModelLease & { file: string; key: string }> {
  const file = activeModelFile(s, uri);
  const t0 = performance.now();
  const lease = await s.models.acquire(file);
  // Whoever loads first (status bar, annotations, a command) says so: the others reuse the session.
  if (lease.loaded) s.log.info(`Loaded reward model ${file} in ${Math.round(performance.now() - t0)} ms: ${lease.model.summary}`);
  // The cache reloads a file that changed on disk; the key lets derived caches notice that too.
  const mtime = await stat(file).then((st) => st.mtimeMs, () => 0);
  return { ...lease, file, key: `${file}\0${mtime}` };
}

/**
 * Whose turns are scored for a document: `styletune.role`, else the role its reward model was fitted
 * on (as the CLI defaults). For commands that hold no model themselves (fit, judge, preview); a model
 * that cannot load leaves the default `assistant` (the command that needs the model says why).
 */
export async function activeRole(s: ModelServices, uri?: vscode.Uri): Promise<string> {
  const role = roleOverride(uri);
  if (role) return role;
  try {
    const lease = await acquireActiveModel(s, uri);
    try {
      return scoredRole(uri, lease.model);
    } finally {
      lease.release();
    }
  } catch (err) {
    s.log.warn(`Whose turns to use: the reward model did not load (${(err as Error).message}); using assistant`);
    return scoredRole(uri, undefined);
  }
}

/** The name a model's training summary gives it, else its file name. */
export function modelName(spec: { training: unknown }, file: string): string {
  const t = spec.training as { name?: unknown } | null;
  return typeof t?.name === 'string' && t.name.trim() ? t.name.trim() : file.split(/[\\/]/).pop()!;
}
