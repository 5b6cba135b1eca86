/**
 * Where the reward model comes from: the `styletune.rewardModelPath` setting, else the model shipped
 * with the extension. Pure (no `vscode`), so the rules are easy to read and to unit-test.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../core/score';

export interface ModelPathContext {
  /** The extension's install folder (`context.extensionPath`), which holds the shipped model. */
  extensionPath: string;
  /** The folder of the workspace that owns the scored file; relative settings resolve against it. */
  workspaceFolder?: string;
}

export function resolveModelPath(setting: string | undefined, ctx: ModelPathContext): string {
  const value = (setting ?? '').trim();
  if (!value) return join(ctx.extensionPath, DEFAULT_MODEL_RELATIVE_PATH);
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  if (isAbsolute(value)) return value;
  if (!ctx.workspaceFolder) {
    throw new Error(`styletune.rewardModelPath "${value}" is relative, but the file is not in a workspace folder`);
  }
  return resolve(ctx.workspaceFolder, value);
}
