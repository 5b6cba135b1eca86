/**
 * How Node reaches the trainer: which interpreter, with which environment. Everything that starts
 * Python (the worker, detached jobs, the extension's checks) builds its environment with workerEnv and
 * runs short checks with pythonJson, so PYTHONPATH and the last-line-of-stdout protocol live here once.
 *
 * Which Python the command line runs the trainer with (`styletune tune`, `judge --local-model`,
 * `checklist --local-model`, `pairs contrast`): resolveWorker. In order: an explicit path (the CLI's
 * --python), the STYLETUNE_PYTHON environment variable, an interpreter from the `fromHost` hook (no
 * caller passes one today; the tests exercise it), then the checkout's .venv made by
 * scripts/setup-python.sh. Nothing is looked up on PATH: an interpreter without the trainer's pinned
 * packages would fail mid-job.
 *
 * The extension's order is src/extension/trainerPython.ts (the Python extension's environment,
 * `styletune.pythonPath`, the .venv, StyleTune's own venv from pythonEnv.ts, with workspace-trust rules:
 * it needs the vscode API). It checks candidates with missingModules and starts them with startWorker,
 * so both sides share venvPython, workerEnv and pythonJson.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, posix, resolve, win32 } from 'node:path';

export type PythonSource = 'option' | 'env' | 'host' | 'venv';

export interface PythonChoice {
  path: string;
  source: PythonSource;
}

export interface ResolvePythonOptions {
  explicit?: string;
  env?: NodeJS.ProcessEnv;
  repoRoot: string;
  /** Hook for the extension: the Python extension's interpreter, or undefined when it has none. */
  fromHost?: () => Promise<string | undefined>;
}

export class PythonNotFoundError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'PythonNotFoundError';
  }
}

/** Where a venv in `dir`/.venv keeps its interpreter on `platform`. */
export function venvPython(dir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? win32.join(dir, '.venv', 'Scripts', 'python.exe')
    : posix.join(dir, '.venv', 'bin', 'python');
}

export interface WorkerEnvOptions {
  /** The checkout (or installed extension) holding trainer/: put first on PYTHONPATH. */
  repoRoot?: string;
  /** The environment to extend (default process.env); not modified. */
  env?: NodeJS.ProcessEnv;
  /** Whose path rules apply (default this machine's): Windows joins PYTHONPATH with ';', others with ':'. */
  platform?: NodeJS.Platform;
}

/**
 * The environment the trainer runs in: `env` plus unbuffered UTF-8 output (events arrive as they are
 * printed, in any console code page) and trainer/ first on PYTHONPATH, so any interpreter with the
 * pinned packages runs this checkout's trainer without installing it.
 */
export function workerEnv(o: WorkerEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(o.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };
  if (o.repoRoot) {
    const path = (o.platform ?? process.platform) === 'win32' ? win32 : posix;
    const trainer = path.join(o.repoRoot, 'trainer');
    env.PYTHONPATH = env.PYTHONPATH ? `${trainer}${path.delimiter}${env.PYTHONPATH}` : trainer;
  }
  return env;
}

/** A short Python check that failed: `message` is the last line it printed to stderr (or why it did not run). */
export class PythonRunError extends Error {
  constructor(message: string, readonly ran: boolean) {
    super(message);
    this.name = 'PythonRunError';
  }
}

/**
 * Runs `python ...args` (a `-c` one-liner that prints JSON last) and parses its last stdout line: the
 * protocol of every short check (modules present, Python version, torch's device), so a warning an
 * import prints before the answer does not break it. Rejects with a PythonRunError: `ran` false when the
 * interpreter failed or timed out, true when it ran but printed no JSON.
 */
export function pythonJson<T>(python: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<T> {
  return new Promise((resolveJson, reject) => {
    execFile(python, args, { env: o.env ?? process.env, timeout: o.timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        reject(new PythonRunError(`${python} could not be run: ${(stderr || err.message).trim().split('\n').pop()}`, false));
        return;
      }
      try {
        resolveJson(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new PythonRunError(`${python} printed no answer`, true));
      }
    });
  });
}

/** Modules the worker imports; find_spec, because importing torch takes seconds. */
export const REQUIRED_MODULES = ['styletune_trainer', 'torch', 'transformers', 'peft', 'accelerate', 'safetensors'];

/**
 * Modules of REQUIRED_MODULES `python` cannot find, with `repoRoot`'s trainer on PYTHONPATH (so
 * styletune_trainer counts as found). Rejects with a PythonRunError when it cannot run; an interpreter
 * that runs but prints nothing is taken as having them all (the worker then says what is wrong).
 */
export async function missingModules(python: string, repoRoot: string, env?: NodeJS.ProcessEnv): Promise<string[]> {
  const code = `import importlib.util as u, json; print(json.dumps([m for m in ${JSON.stringify(REQUIRED_MODULES)} if u.find_spec(m) is None]))`;
  try {
    return await pythonJson<string[]>(python, ['-c', code], { env: workerEnv({ repoRoot, env }), timeoutMs: 30_000 });
  } catch (e) {
    if (e instanceof PythonRunError && e.ran) return [];
    throw e;
  }
}

export async function resolvePython(o: ResolvePythonOptions): Promise<PythonChoice> {
  const env = o.env ?? process.env;
  const check = (path: string, source: PythonSource, what: string): PythonChoice => {
    if (!existsSync(path)) {
      throw new PythonNotFoundError(`the Python interpreter given by ${what} does not exist: ${path}`,
        'Point it at an existing python executable, or leave it unset to use the project environment (.venv).');
    }
    return { path, source };
  };
  if (o.explicit) return check(resolve(o.explicit), 'option', 'the python option');
  if (env.STYLETUNE_PYTHON) return check(resolve(env.STYLETUNE_PYTHON), 'env', 'STYLETUNE_PYTHON');
  if (o.fromHost) {
    const host = await o.fromHost();
    if (host) return check(host, 'host', 'the Python extension');
  }
  const venv = venvPython(o.repoRoot);
  if (existsSync(venv)) return { path: venv, source: 'venv' };
  throw new PythonNotFoundError(`no Python environment for the trainer: ${venv} does not exist`,
    `Run \`bash scripts/setup-python.sh\` in ${o.repoRoot}, or set STYLETUNE_PYTHON to an interpreter with the trainer's dependencies.`);
}

/** The interpreter and the checkout whose trainer it runs: what startWorker needs. */
export interface WorkerPython {
  python: string;
  repoRoot: string;
}

/**
 * The command line's way to the worker: the StyleTune install holding trainer/ (upward from
 * `installDir`, the running code's folder, else from `cwd`) and resolvePython's interpreter, with
 * `explicit` taken relative to `cwd`. Throws PythonNotFoundError (its hint empty when no trainer is found).
 */
export async function resolveWorker(o: { explicit?: string; env: NodeJS.ProcessEnv; cwd: string; installDir: string }): Promise<WorkerPython> {
  const repoRoot = findRepoRoot(o.installDir) ?? findRepoRoot(o.cwd);
  if (!repoRoot) throw new PythonNotFoundError('cannot find the trainer (a trainer/ folder next to the StyleTune install)', '');
  const python = await resolvePython({ explicit: o.explicit ? resolve(o.cwd, o.explicit) : undefined, env: o.env, repoRoot });
  return { python: python.path, repoRoot };
}

/** The StyleTune checkout (or installed extension) that holds trainer/: searched upward from `start`. */
export function findRepoRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'trainer', 'pyproject.toml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
