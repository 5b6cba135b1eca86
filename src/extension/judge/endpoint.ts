/**
 * The HTTP judge named in settings (styletune.judge.*) with its key in SecretStorage: the key command,
 * the client built from settings (with the untrusted-workspace confirmation), and the answer cache.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { JudgeCache } from '../../core/judge/cache';
import { ChatClient } from '../../core/judge/client';
import { Judge } from '../../core/judge/judge';
import { setByWorkspace, setting } from '../settings';

export const SECRET_KEY = 'styletune.judge.apiKey';

export async function setApiKey(context: vscode.ExtensionContext, given?: string): Promise<boolean> {
  const key =
    given ??
    (await vscode.window.showInputBox({
      title: 'StyleTune: Judge API Key',
      prompt: 'The key for the judge endpoint (styletune.judge.baseUrl). Stored in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    }));
  if (key === undefined) return false;
  if (key.trim() === '') {
    await context.secrets.delete(SECRET_KEY);
    void vscode.window.showInformationMessage('Judge API key removed.');
  } else {
    await context.secrets.store(SECRET_KEY, key.trim());
    void vscode.window.showInformationMessage('Judge API key saved in secret storage.');
  }
  return true;
}

/** The judge from settings and the stored key, or undefined (after telling the user why). */
export async function judgeFromSettings(context: vscode.ExtensionContext, resource?: vscode.Uri): Promise<Judge | undefined> {
  const baseUrl = setting('judge.baseUrl', resource);
  const model = setting('judge.model', resource);
  if (!baseUrl || !model) {
    // Not awaited: the caller (a preview, a rating run) goes on and reports; the button stays available.
    void vscode.window
      .showErrorMessage('Set the judge endpoint first: styletune.judge.baseUrl (an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1) and styletune.judge.model.', 'Open Settings')
      .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', 'styletune.judge'));
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    // restrictedConfigurations keeps workspace values out in untrusted workspaces; this covers folder-level values and says why.
    if (setByWorkspace('judge.baseUrl', baseUrl, resource)) {
      const go = await vscode.window.showWarningMessage(
        `This workspace is not trusted, and its settings name the judge endpoint ${baseUrl}. Send the dialogues there?`,
        { modal: true },
        'Send',
      );
      if (go !== 'Send') return undefined;
    }
  }
  const seconds = positive(setting('judge.timeoutSeconds', resource));
  let client: ChatClient;
  try {
    client = new ChatClient({
      baseUrl,
      model,
      apiKey: (await context.secrets.get(SECRET_KEY)) || undefined,
      requestsPerMinute: positive(setting('judge.requestsPerMinute', resource)),
      concurrency: positive(setting('judge.concurrency', resource)),
      timeoutMs: seconds === undefined ? undefined : seconds * 1000,
      maxRetries: setting('judge.maxRetries', resource),
    });
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  return new Judge(client, new JudgeCache(judgeCacheDir(context)));
}

const positive = (v: number) => (v > 0 ? v : undefined);

/**
 * The cached answers of the judge named in settings (`styletune.judge.model`), for looking up ratings
 * already paid for; undefined without a judge. Reads the cache only: nothing is sent anywhere.
 */
export function cachedJudgeAnswers(context: vscode.ExtensionContext, uri: vscode.Uri): { cache: JudgeCache; judgeName: string } | undefined {
  const judgeName = setting('judge.model', uri);
  return judgeName ? { cache: new JudgeCache(judgeCacheDir(context)), judgeName } : undefined;
}

/** Beside the workspace (shared with the CLI run from its root), else the extension's own storage. */
export function judgeCacheDir(context: vscode.ExtensionContext): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && folder.uri.scheme === 'file' ? join(folder.uri.fsPath, '.styletune', 'judge-cache') : join(context.globalStorageUri.fsPath, 'judge-cache');
}
