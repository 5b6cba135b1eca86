/**
 * `styletune.chooseRewardModel`: pick the shipped model, an .onnx file of the workspace or any file,
 * check that it loads (a model naming traits this version does not know is refused here, with the
 * loader's explanation, rather than on the next scoring), then write `styletune.rewardModelPath`.
 *
 * Argument (tests, other commands): a Uri or path of the model, or `'default'`; optionally as
 * `{ model, target: 'workspace' | 'user' }`. Returns the model chosen, or undefined if none was.
 */
import { isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../../core/score';
import { setting, updateSetting } from '../settings';
import { modelName, type ModelServices } from './activeModel';
import type { ModelStatus } from './status';

export interface ChooseResult {
  file: string;
  name: string;
  /** What was written to the setting ('' for the shipped model). */
  setting: string;
  target: 'workspace' | 'user';
}

type Target = ChooseResult['target'];
const DEFAULT = 'default';

export async function chooseRewardModel(s: ModelServices, status: ModelStatus, arg?: unknown): Promise<ChooseResult | undefined> {
  const parsed = parseArg(arg);
  const choice = parsed.model ?? (await pickModel());
  if (choice === undefined) return undefined;
  const file = choice === DEFAULT ? join(s.extensionPath, DEFAULT_MODEL_RELATIVE_PATH) : choice;

  let name: string;
  try {
    const lease = await s.models.acquire(file);
    if (lease.loaded) s.log.info(`Loaded reward model ${file}: ${lease.model.summary}`);
    name = modelName(lease.model.spec, file);
    lease.release();
  } catch (err) {
    const message = (err as Error).message;
    s.log.error(`Cannot use reward model ${file}: ${message}`);
    void vscode.window.showErrorMessage(`Cannot use this reward model: ${message}`);
    return undefined;
  }

  const folder = vscode.workspace.workspaceFolders?.[0];
  const target: Target = parsed.target ?? (folder ? 'workspace' : 'user');
  // Inside the workspace the setting is relative, so it keeps working when the folder moves.
  let value = '';
  if (choice !== DEFAULT) {
    const rel = folder && target === 'workspace' ? relative(folder.uri.fsPath, file) : undefined;
    value = rel !== undefined && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : file;
  }
  const configTarget = target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await updateSetting('rewardModelPath', value, configTarget, folder?.uri);
  s.log.info(`Reward model: ${name} (${file}), styletune.rewardModelPath = ${JSON.stringify(value)} in ${target} settings`);
  await status.update();
  return { file, name, setting: value, target };
}

function parseArg(arg: unknown): { model?: string; target?: Target } {
  const asModel = (v: unknown): string | undefined => {
    if (v instanceof vscode.Uri) return v.fsPath;
    if (typeof v === 'string' && v) return v === DEFAULT ? v : resolveArgPath(v);
    return undefined;
  };
  if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri)) {
    const o = arg as { model?: unknown; target?: unknown };
    return { model: asModel(o.model), target: o.target === 'user' || o.target === 'workspace' ? o.target : undefined };
  }
  return { model: asModel(arg) };
}

function resolveArgPath(p: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return isAbsolute(p) || !folder ? p : join(folder.uri.fsPath, p);
}

interface ModelItem extends vscode.QuickPickItem {
  value: string | 'browse';
}

async function pickModel(): Promise<string | undefined> {
  const items: ModelItem[] = [{ label: '$(package) Default model', description: 'shipped with StyleTune', value: DEFAULT }];
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200);
  found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  if (found.length) items.push({ label: 'In this workspace', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const uri of found) items.push({ label: `$(file) ${vscode.workspace.asRelativePath(uri)}`, value: uri.fsPath });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator, value: '' });
  items.push({ label: '$(folder-opened) Browse…', description: 'any .onnx file', value: 'browse' });
  const current = setting('rewardModelPath') || '(default)';
  const picked = await vscode.window.showQuickPick(items, { title: 'StyleTune: Choose Reward Model', placeHolder: `Current: ${current}` });
  if (!picked) return undefined;
  if (picked.value !== 'browse') return picked.value;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Reward model': ['onnx'] }, openLabel: 'Use Model' });
  return uris?.[0]?.fsPath;
}
