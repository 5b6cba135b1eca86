/**
 * The one reader of `styletune.*` settings (in the spirit of GitLens's `configuration.get`): keys and
 * types come from settingKeys.ts, defaults from package.json's `contributes.configuration` (VS Code
 * supplies them), and a value of the wrong type reads as the default. Nothing else in the extension
 * calls `getConfiguration`; a unit test keeps it so.
 *
 *   setting('preview.temperature', doc.uri)      // number
 *   roleOverride(doc.uri) ?? model.spec.role     // whose turns are scored
 *   annotator(doc.uri)                           // who labels or votes
 *
 * `scope` is the document (or folder) the setting is read for, so folder settings of a multi-root
 * workspace apply; without one, the window's settings.
 */
import * as vscode from 'vscode';
import { checkedValue, effectiveAnnotator, effectiveRole, type SettingKey, type Settings } from './settingKeys';

export type { SettingKey, Settings } from './settingKeys';

const SECTION = 'styletune';

export function setting<K extends SettingKey>(key: K, scope?: vscode.Uri): Settings[K] {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return checkedValue(key, config.get(key)) ?? (checkedValue(key, config.inspect(key)?.defaultValue) as Settings[K]);
}

/**
 * A restricted setting's value that may be acted on (an interpreter to run): the workspace's value
 * only in a trusted workspace, else only the user's own. '' when none applies.
 */
export function trustedSetting(key: 'pythonPath', scope?: vscode.Uri): string {
  const inspected = vscode.workspace.getConfiguration(SECTION, scope).inspect(key);
  const value = vscode.workspace.isTrusted
    ? (inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue)
    : inspected?.globalValue;
  return checkedValue(key, value) ?? '';
}

/** Whether `value`, the setting in effect, was put there by the workspace's (or its folder's) settings. */
export function setByWorkspace<K extends SettingKey>(key: K, value: Settings[K], scope?: vscode.Uri): boolean {
  const inspected = vscode.workspace.getConfiguration(SECTION, scope).inspect(key);
  return [inspected?.workspaceValue, inspected?.workspaceFolderValue].some((v) => v !== undefined && checkedValue(key, v) === value);
}

export function updateSetting<K extends SettingKey>(key: K, value: Settings[K] | undefined, target: vscode.ConfigurationTarget, scope?: vscode.Uri): Thenable<void> {
  return vscode.workspace.getConfiguration(SECTION, scope).update(key, value, target);
}

export function affectsSetting(e: vscode.ConfigurationChangeEvent, keys: readonly SettingKey[], scope?: vscode.Uri): boolean {
  return keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`, scope));
}

/**
 * `styletune.role` when the user set one, else undefined: the reward model's own role applies (core's
 * scorers default to it, as the CLI does). Callers holding a model use `scoredRole`; those without one
 * ask activeModel.ts's `activeRole`.
 */
export function roleOverride(scope?: vscode.Uri): string | undefined {
  return setting('role', scope) || undefined;
}

/**
 * Makes `role` the scored role (`styletune.role`): in the workspace's settings, or the user's when no
 * folder is open. Says which. Every view that scores follows the setting.
 */
export async function chooseScoredRole(role: string, scope?: vscode.Uri): Promise<'workspace' | 'user'> {
  const workspace = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
  await updateSetting('role', role, workspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global, scope);
  return workspace ? 'workspace' : 'user';
}

/** Whose turns are scored with `model`: the setting, else the role the model was fitted on. */
export function scoredRole(scope: vscode.Uri | undefined, model: { spec: { role: string } } | undefined): string {
  return effectiveRole(setting('role', scope), model?.spec.role);
}

/** Who labels a pair or casts a vote: `styletune.annotator`, else the OS user name, else ''. */
export function annotator(scope?: vscode.Uri): string {
  return effectiveAnnotator(setting('annotator', scope));
}

/**
 * Whether VS Code's own switches let an extension open its walkthrough at startup: openOnInstall (not
 * passed to a remote extension host such as code-server's, so honoured where it can be read) and
 * startupEditor "none" (anyone who chose to start without an editor, and the test harness).
 */
export function walkthroughMayOpen(): boolean {
  const workbench = vscode.workspace.getConfiguration('workbench');
  return workbench.get<boolean>('welcomePage.walkthroughs.openOnInstall', true) && workbench.get<string>('startupEditor') !== 'none';
}
