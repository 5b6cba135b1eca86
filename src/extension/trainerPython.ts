/**
 * Which Python the extension runs the trainer with (tuning jobs, previews, generation), and whether it
 * can. In order: the Python extension's active environment (when that extension is installed and the
 * environment holds the trainer's packages), the `styletune.pythonPath` setting, the project's `.venv`
 * (a development checkout), StyleTune's own environment in the extension's global storage. When none
 * is there, the first run that needs one offers to make it (pythonEnv.ts; in a checkout, the project
 * `.venv` via scripts/setup-python.sh) with a progress notification, and says so plainly when no
 * Python 3.10+ exists to make it with. In an untrusted workspace nothing named by workspace settings
 * runs: the Python extension's choice can come from workspace settings, and `styletune.pythonPath` is
 * a restricted setting, so only its user value counts. StyleTune's own environments are not named by
 * the workspace, so they run there too.
 *
 *   const py = await trainerPython(services.extensionPath, folderUri);   // throws TrainerPythonError
 *   startWorker({ python: py.path, repoRoot: services.extensionPath, args: [...] }, ...)
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { missingModules as missingIn, PythonRunError, REQUIRED_MODULES, venvPython } from '../core/worker/python';
import { createTrainerEnv, findBasePython, MIN_PYTHON, runLogged, trainerEnvReady } from '../core/worker/pythonEnv';
import { trustedSetting } from './settings';

export type TrainerPythonSource = 'python-extension' | 'setting' | 'venv' | 'managed';

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

/** The user said no to making an environment (or was just told why none can be made): nothing more to show. */
export class TrainerPythonDeclined extends TrainerPythonError {
  constructor() {
    super('No Python environment for the trainer.', '');
    this.name = 'TrainerPythonDeclined';
  }
}

export const SET_UP_PYTHON_COMMAND = 'styletune.setUpPython';

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

/** Where the environment the extension makes itself lives, set once at activation (registerTrainerPython). */
let host: { storageDir: string; log: vscode.LogOutputChannel } | undefined;
/** One setup at a time: a preview asked for while a tuning job's setup runs waits for the same one. */
let settingUp: Promise<TrainerPython> | undefined;

/**
 * A development checkout (start.sh links the working tree as the extension) keeps the project's `.venv`,
 * which scripts/setup-python.sh makes; an installed VSIX has no scripts/, and keeps its own in global storage.
 */
function isCheckout(extensionPath: string): boolean {
  return existsSync(join(extensionPath, 'scripts', 'setup-python.sh'));
}

function managedDir(): string | undefined {
  return host && join(host.storageDir, 'python');
}

export async function trainerPython(extensionPath: string, resource?: vscode.Uri): Promise<TrainerPython> {
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let skipped: string | undefined;
  if (vscode.workspace.isTrusted) {
    const fromExt = await fromPythonExtension(resource);
    if (fromExt && existsSync(fromExt)) {
      // The Python extension's interpreter is often the one for the user's own project: without the
      // trainer's packages it is passed over (and named in the setup offer), not an error.
      const missing = await missingModules(fromExt, extensionPath).catch(() => REQUIRED_MODULES);
      if (missing.length === 0) return { path: fromExt, source: 'python-extension', describe: `the Python extension's interpreter ${fromExt}` };
      skipped = `The Python extension's interpreter ${fromExt} lacks ${missing.join(', ')}.`;
      host?.log.info(`Trainer: ${skipped}`);
    }
  }
  // The user's own value, plus the workspace's only when trusted.
  const setting = trustedSetting('pythonPath', resource);
  if (setting) {
    const path = isAbsolute(setting) || !folder ? resolve(setting) : resolve(folder, setting);
    return checked(path, 'setting', `styletune.pythonPath (${path})`, extensionPath);
  }
  const project = venvPython(extensionPath);
  if (existsSync(project) && (await missingModules(project, extensionPath).catch(() => REQUIRED_MODULES)).length === 0) {
    return { path: project, source: 'venv', describe: `the project environment ${project}` };
  }
  const dir = managedDir();
  const managed = dir && !isCheckout(extensionPath) ? trainerEnvReady(dir, join(extensionPath, 'trainer')) : undefined;
  if (managed) return { path: managed, source: 'managed', describe: `StyleTune's Python environment ${managed}` };
  return setUpTrainerPython(extensionPath, { ask: true, skipped });
}

/**
 * Makes the trainer's environment (after asking, when `ask`), with a progress notification that shows
 * what pip is doing and can cancel it. Throws TrainerPythonDeclined when the user says no or when no
 * Python exists to make it with (after saying so), TrainerPythonError when the install fails.
 */
export function setUpTrainerPython(extensionPath: string, o: { ask: boolean; skipped?: string }): Promise<TrainerPython> {
  settingUp ??= setUp(extensionPath, o).finally(() => (settingUp = undefined));
  return settingUp;
}

async function setUp(extensionPath: string, o: { ask: boolean; skipped?: string }): Promise<TrainerPython> {
  const checkout = isCheckout(extensionPath);
  const dir = checkout ? extensionPath : managedDir();
  if (!dir) throw new TrainerPythonError('StyleTune is not activated yet.', 'Try again in a moment.');
  const search = await findBasePython();
  if (!search.found) {
    await reportNoPython(search.tried, search.tooOld);
    throw new TrainerPythonDeclined();
  }
  const base = search.found;
  const target = venvPython(dir);
  if (o.ask) {
    const create = 'Set Up Python Environment';
    const choose = 'Use Another Interpreter…';
    const pick = await vscode.window.showInformationMessage(
      'StyleTune needs a Python environment for tuning, previews and generation. Set one up now?',
      {
        modal: true,
        detail: [
          o.skipped,
          `StyleTune will make a virtual environment in ${join(dir, '.venv')} with Python ${base.version} (${base.path}) and install the trainer's pinned packages into it: torch, transformers, peft, accelerate (about 5 GB to download; a few minutes the first time). Nothing else on this machine changes.`,
          'Or set styletune.pythonPath to an interpreter that has them.',
        ].filter(Boolean).join('\n\n'),
      },
      create,
      choose,
    );
    if (pick === choose) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'styletune.pythonPath');
      throw new TrainerPythonDeclined();
    }
    if (pick !== create) throw new TrainerPythonDeclined();
  }
  const log = host?.log;
  const started = Date.now();
  log?.info(`Setting up the trainer's Python environment in ${join(dir, '.venv')} with ${base.path} (Python ${base.version})`);
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'StyleTune: setting up the Python environment', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const onLine = (line: string) => {
          log?.info(`[python setup] ${line}`);
          const step = /^\s*(Collecting|Downloading|Installing collected packages|Successfully installed|Creating|setup-python:)\s*(.*)/.exec(line);
          if (step) progress.report({ message: `${step[1]} ${step[2]}`.slice(0, 120) });
        };
        progress.report({ message: `Python ${base.version}: making the environment…` });
        if (checkout) {
          await runLogged('bash', [join(extensionPath, 'scripts', 'setup-python.sh')], { onLine, signal: abort.signal, cwd: extensionPath, env: { ...process.env, PYTHON: base.path } });
        } else {
          await createTrainerEnv({ dir, trainerDir: join(extensionPath, 'trainer'), basePython: base.path, onLine, signal: abort.signal });
        }
      },
    );
  } catch (err) {
    const message = (err as Error).message;
    log?.error(`Python environment setup ${message === 'cancelled' ? 'cancelled' : `failed: ${message}`}`);
    if (message === 'cancelled') throw new TrainerPythonDeclined();
    throw new TrainerPythonError(`Setting up the Python environment in ${join(dir, '.venv')} failed: ${message}`,
      'Show the StyleTune log (Output panel) for pip\'s full output, then run "StyleTune: Set Up Python Environment" again; it continues where it stopped.');
  }
  const checked = await missingModules(target, extensionPath);
  if (checked.length) throw new TrainerPythonError(`The new environment ${target} still lacks ${checked.join(', ')}.`, 'Show the StyleTune log (Output panel) for pip\'s output.');
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  log?.info(`Python environment ready in ${minutes} min: ${target}`);
  void vscode.window.showInformationMessage(`StyleTune: the Python environment is ready (${minutes} min): ${target}`);
  return { path: target, source: checkout ? 'venv' : 'managed', describe: `${checkout ? 'the project environment' : "StyleTune's Python environment"} ${target}` };
}

async function reportNoPython(tried: string[], tooOld: { path: string; version: string }[]): Promise<void> {
  const need = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;
  const old = tooOld.length ? ` Found only ${tooOld.map((p) => `Python ${p.version} (${p.path})`).join(', ')}, older than ${need}.` : '';
  const download = 'Download Python';
  const setting = 'Set styletune.pythonPath…';
  const pick = await vscode.window.showErrorMessage(
    `StyleTune needs Python ${need} or newer to tune, preview and generate, and found none on PATH (looked for ${tried.join(', ')}).${old} Install Python, then try again; or point styletune.pythonPath at an interpreter that has the trainer's packages.`,
    download,
    setting,
  );
  if (pick === download) await vscode.env.openExternal(vscode.Uri.parse('https://www.python.org/downloads/'));
  if (pick === setting) await vscode.commands.executeCommand('workbench.action.openSettings', 'styletune.pythonPath');
}

/** Activation: where StyleTune's own environment lives, and "StyleTune: Set Up Python Environment". */
export function registerTrainerPython(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  host = { storageDir: context.globalStorageUri.fsPath, log };
  context.subscriptions.push(
    vscode.commands.registerCommand(SET_UP_PYTHON_COMMAND, async () => {
      try {
        return await setUpTrainerPython(context.extensionPath, { ask: false });
      } catch (err) {
        await showTrainerPythonError(err);
        return undefined;
      }
    }),
  );
}

async function checked(path: string, source: TrainerPythonSource, describe: string, extensionPath: string): Promise<TrainerPython> {
  if (!existsSync(path)) throw new TrainerPythonError(`${describe} does not exist.`, 'Pick an existing interpreter, or clear the setting to let StyleTune use its own environment.');
  const missing = await missingModules(path, extensionPath);
  if (missing.length) {
    throw new TrainerPythonError(
      `${describe} lacks the trainer's packages: ${missing.join(', ')}.`,
      `Install them with \`${path} -m pip install ${join(extensionPath, 'trainer')}\`, or clear the setting: StyleTune then offers to set up its own environment.`,
    );
  }
  return { path, source, describe };
}

/** Modules of REQUIRED_MODULES the interpreter cannot find (styletune_trainer counts as found via PYTHONPATH). */
export async function missingModules(python: string, extensionPath: string): Promise<string[]> {
  try {
    return await missingIn(python, extensionPath);
  } catch (e) {
    if (e instanceof PythonRunError) throw new TrainerPythonError(e.message, 'Pick a working Python 3.10+ interpreter.');
    throw e;
  }
}

/** Shows a TrainerPythonError (or any error) as one notification with a copyable hint. */
export async function showTrainerPythonError(err: unknown): Promise<void> {
  if (err instanceof TrainerPythonDeclined) return;
  if (err instanceof TrainerPythonError) {
    const copy = 'Copy Command';
    const command = /`([^`]+)`/.exec(err.hint)?.[1];
    const pick = await vscode.window.showErrorMessage(`${err.message} ${err.hint}`, ...(command ? [copy] : []));
    if (pick === copy && command) await vscode.env.clipboard.writeText(command);
    return;
  }
  void vscode.window.showErrorMessage(`StyleTune: ${err instanceof Error ? err.message : String(err)}`);
}
