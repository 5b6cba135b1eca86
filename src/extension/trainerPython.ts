/**
 * Which Python the extension runs the trainer with (tuning jobs, previews, generation), and whether it
 * can. In order: the Python extension's active environment (when that extension is installed), the
 * `styletune.pythonPath` setting, the project's `.venv` (scripts/setup-python.sh). In an untrusted
 * workspace nothing named by workspace settings runs: the Python extension's choice can come from
 * workspace settings, and `styletune.pythonPath` is a restricted setting, so only its user value counts.
 *
 *   const py = await trainerPython(services.extensionPath, folderUri);   // throws TrainerPythonError
 *   startWorker({ python: py.path, repoRoot: services.extensionPath, args: [...] }, ...)
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { venvPython } from '../core/worker/python';

export type TrainerPythonSource = 'python-extension' | 'setting' | 'venv';

export interface TrainerPython {
  path: string;
  source: TrainerPythonSource;
  /** A short phrase for logs and messages: "the Python extension's interpreter /usr/bin/python3". */
  describe: string;
}

/** A failure the user can act on: `message` says what is wrong, `hint` what to do (often a command to run). */
export class TrainerPythonError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'TrainerPythonError';
  }
}

/** Modules the worker imports; find_spec, because importing torch takes seconds. */
const REQUIRED_MODULES = ['styletune_trainer', 'torch', 'transformers', 'peft', 'accelerate', 'safetensors'];

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

async function fromPythonExtension(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) return undefined;
    const resolved = await envs.resolveEnvironment(envs.getActiveEnvironmentPath(resource));
    return resolved?.executable?.uri?.fsPath;
  } catch {
    // An old or broken Python extension is not a reason to refuse: the next sources still apply.
    return undefined;
  }
}

/** The `styletune.pythonPath` value that may be run: the user's own, plus the workspace's only when trusted. */
function pythonPathSetting(resource?: vscode.Uri): string | undefined {
  const inspected = vscode.workspace.getConfiguration('styletune', resource).inspect<string>('pythonPath');
  const value = vscode.workspace.isTrusted
    ? (inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue)
    : inspected?.globalValue;
  return value?.trim() || undefined;
}

export async function trainerPython(extensionPath: string, resource?: vscode.Uri): Promise<TrainerPython> {
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (vscode.workspace.isTrusted) {
    const fromExt = await fromPythonExtension(resource);
    if (fromExt) return checked(fromExt, 'python-extension', `the Python extension's interpreter ${fromExt}`, extensionPath);
  }
  const setting = pythonPathSetting(resource);
  if (setting) {
    const path = isAbsolute(setting) || !folder ? resolve(setting) : resolve(folder, setting);
    return checked(path, 'setting', `styletune.pythonPath (${path})`, extensionPath);
  }
  const venv = venvPython(extensionPath);
  if (existsSync(venv)) return checked(venv, 'venv', `the project environment ${venv}`, extensionPath);
  throw new TrainerPythonError(
    vscode.workspace.isTrusted
      ? 'No Python environment for the StyleTune trainer: no Python extension interpreter, no styletune.pythonPath, and no .venv in the extension folder.'
      : 'No Python environment for the StyleTune trainer. This workspace is not trusted, so interpreters named by workspace settings are not run.',
    `Run \`bash scripts/setup-python.sh\` in ${extensionPath}, or set styletune.pythonPath in your user settings (in a remote window: the remote's settings) to a Python with the trainer installed (\`python -m pip install -e ${join(extensionPath, 'trainer')}\`).`,
  );
}

async function checked(path: string, source: TrainerPythonSource, describe: string, extensionPath: string): Promise<TrainerPython> {
  if (!existsSync(path)) throw new TrainerPythonError(`${describe} does not exist.`, 'Pick an existing interpreter, or clear the setting to use the project environment (.venv).');
  const missing = await missingModules(path, extensionPath);
  if (missing.length) {
    throw new TrainerPythonError(
      `${describe} lacks the trainer's packages: ${missing.join(', ')}.`,
      `Install them with \`${path} -m pip install -e ${join(extensionPath, 'trainer')}\` (or run \`bash scripts/setup-python.sh\` in ${extensionPath} to use the project environment).`,
    );
  }
  return { path, source, describe };
}

/** Modules of REQUIRED_MODULES the interpreter cannot find (styletune_trainer counts as found via PYTHONPATH). */
export function missingModules(python: string, extensionPath: string): Promise<string[]> {
  const code = `import importlib.util as u, json; print(json.dumps([m for m in ${JSON.stringify(REQUIRED_MODULES)} if u.find_spec(m) is None]))`;
  const env = { ...process.env, PYTHONPATH: join(extensionPath, 'trainer') + (process.env.PYTHONPATH ? `:${process.env.PYTHONPATH}` : '') };
  return new Promise((resolveMissing, reject) => {
    execFile(python, ['-c', code], { env, timeout: 30_000, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        reject(new TrainerPythonError(`${python} could not be run: ${(stderr || err.message).trim().split('\n').pop()}`,
          'Pick a working Python 3.10+ interpreter.'));
        return;
      }
      try {
        resolveMissing(JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[]);
      } catch {
        resolveMissing([]);
      }
    });
  });
}

/** Shows a TrainerPythonError (or any error) as one notification with a copyable hint. */
export async function showTrainerPythonError(err: unknown): Promise<void> {
  if (err instanceof TrainerPythonError) {
    const copy = 'Copy Command';
    const pick = await vscode.window.showErrorMessage(`${err.message} ${err.hint}`, copy);
    const command = /`([^`]+)`/.exec(err.hint)?.[1];
    if (pick === copy && command) await vscode.env.clipboard.writeText(command);
    return;
  }
  void vscode.window.showErrorMessage(`StyleTune: ${err instanceof Error ? err.message : String(err)}`);
}
