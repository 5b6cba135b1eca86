/**
 * Which Python the command line runs the trainer with (`styletune tune`, `judge --local-model`,
 * `checklist --local-model`, `pairs contrast`). In order: an explicit path (the CLI's --python), the
 * STYLETUNE_PYTHON environment variable, an interpreter from the `fromHost` hook (no caller passes one
 * today; the tests exercise it), then the checkout's .venv made by scripts/setup-python.sh. Nothing is
 * looked up on PATH: an interpreter without the trainer's pinned packages would fail mid-job.
 *
 * The extension does not use resolvePython: src/extension/trainerPython.ts has its own order (the Python
 * extension's environment, `styletune.pythonPath`, the .venv, StyleTune's own venv from pythonEnv.ts)
 * and workspace-trust rules. Both use venvPython() for where a venv keeps its interpreter.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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

export function venvPython(repoRoot: string): string {
  return process.platform === 'win32'
    ? join(repoRoot, '.venv', 'Scripts', 'python.exe')
    : join(repoRoot, '.venv', 'bin', 'python');
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
