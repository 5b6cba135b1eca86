/**
 * Which adapter to preview, and on which base model: a job folder passed by the jobs view, or a quick
 * pick of the adapters in the workspace (most recently trained first), or a folder the user browses to.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { baseModelFor, jobPreviewTarget } from '../../core/preview';

export interface PreviewTarget {
  model: string;
  adapter: string;
}

/** Throws with the job's problem (no adapter yet, missing model) in plain words. */
export function targetFromJob(jobDir: string): PreviewTarget {
  const t = jobPreviewTarget(jobDir);
  if ('problem' in t) throw new Error(t.problem);
  return t;
}

/** The adapter's base model from its job or adapter_config.json; asks for the folder when neither says. */
export async function targetFromAdapter(adapter: string, model?: string): Promise<PreviewTarget | undefined> {
  if (model) return { model, adapter };
  const base = baseModelFor(adapter);
  if (!('problem' in base)) return { model: base.model, adapter };
  const picked = await vscode.window.showOpenDialog({
    title: `Base model for ${basename(dirname(adapter))}/${basename(adapter)} (${base.problem})`,
    canSelectFiles: false,
    canSelectFolders: true,
    openLabel: 'Use as Base Model',
  });
  return picked?.[0] ? { model: picked[0].fsPath, adapter } : undefined;
}

type AdapterPick = vscode.QuickPickItem & { adapter?: string };

export async function pickTarget(): Promise<PreviewTarget | undefined> {
  const found = await vscode.workspace.findFiles('**/adapter/adapter_config.json', '**/{node_modules,.git}/**', 200);
  const adapters = await Promise.all(
    found.map(async (uri) => ({ dir: dirname(uri.fsPath), mtime: await stat(uri.fsPath).then((s) => s.mtimeMs, () => 0) })),
  );
  adapters.sort((a, b) => b.mtime - a.mtime);
  const picks: AdapterPick[] = adapters.map((a) => {
    const base = baseModelFor(a.dir);
    return {
      label: `$(folder) ${vscode.workspace.asRelativePath(dirname(a.dir))}`,
      description: 'model' in base ? `on ${basename(base.model)}` : 'base model unknown',
      detail: a.mtime ? `adapter saved ${new Date(a.mtime).toLocaleString()}` : undefined,
      adapter: a.dir,
    };
  });
  picks.push({ label: '$(folder-opened) Browse for an adapter folder…' });
  const pick = await vscode.window.showQuickPick(picks, {
    title: 'StyleTune: Preview Rewrite — which tuned adapter?',
    placeHolder: adapters.length ? 'Adapters in this workspace, most recent first' : 'No adapters in this workspace (a job writes <job>/adapter/)',
    matchOnDescription: true,
  });
  if (!pick) return undefined;
  let adapter = pick.adapter;
  if (!adapter) {
    const folder = await vscode.window.showOpenDialog({ title: 'Adapter folder (with adapter_config.json) or a job folder', canSelectFiles: false, canSelectFolders: true, openLabel: 'Preview This Adapter' });
    if (!folder?.[0]) return undefined;
    adapter = await adapterIn(folder[0].fsPath);
  }
  return targetFromAdapter(adapter);
}

/** A folder holding adapter_config.json, or a job folder with adapter/ inside. */
async function adapterIn(dir: string): Promise<string> {
  const has = (d: string) => stat(join(d, 'adapter_config.json')).then(() => true, () => false);
  if (await has(dir)) return dir;
  if (await has(join(dir, 'adapter'))) return join(dir, 'adapter');
  throw new Error(`${dir} holds no adapter_config.json (nor adapter/adapter_config.json): pick a job's adapter folder`);
}
