/**
 * The trainer's own Python environment, made on first need: a venv holding exactly the dependencies
 * trainer/pyproject.toml pins (torch, transformers, peft, …). The trainer's code is not installed into
 * it: the worker runs it from the extension's trainer/ folder (PYTHONPATH), so an update of the
 * extension needs no reinstall unless the pins change, and a stamp of the pins says when they did.
 *
 *   const base = await findBasePython();                  // Python 3.10+ on PATH, or undefined
 *   await createTrainerEnv({ dir, trainerDir, basePython: base.path, onLine, signal });
 *   trainerEnvReady(dir, trainerDir)                        // made, and with today's pins
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic';
import { pythonJson, venvPython } from './python';
import { lines } from '../lines';

/** The oldest Python the trainer supports (trainer/pyproject.toml requires-python). */
export const MIN_PYTHON: readonly [number, number] = [3, 10];
/** The pip and setuptools scripts/setup-python.sh pins too: a known pip resolves the same way everywhere. */
const PIP_PINS = ['pip==26.3', 'setuptools==84.2.1'];
const STAMP = '.styletune-trainer-deps';

/** The `dependencies = [...]` list of a pyproject.toml: the exact pins the worker needs. */
export function trainerRequirements(pyproject: string): string[] {
  const block = /^dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(pyproject)?.[1];
  if (!block) throw new Error('trainer/pyproject.toml has no dependencies list');
  return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

function requirementsOf(trainerDir: string): string[] {
  return trainerRequirements(readFileSync(join(trainerDir, 'pyproject.toml'), 'utf8'));
}

function stampOf(requirements: string[]): string {
  return createHash('sha256').update([...PIP_PINS, ...requirements].join('\n')).digest('hex');
}

/** The env's interpreter when it exists and holds the pins of `trainerDir` (a finished install), else undefined. */
export function trainerEnvReady(dir: string, trainerDir: string): string | undefined {
  const python = venvPython(dir);
  if (!existsSync(python)) return undefined;
  try {
    return readFileSync(join(dir, '.venv', STAMP), 'utf8').trim() === stampOf(requirementsOf(trainerDir)) ? python : undefined;
  } catch {
    return undefined;
  }
}

export interface BasePython {
  path: string;
  version: string;
}

/** What looking for a base interpreter found: the first one new enough, and every one too old (for the message). */
export interface BasePythonSearch {
  found?: BasePython;
  tooOld: BasePython[];
  tried: string[];
}

const CANDIDATES: [string, string[]][] = process.platform === 'win32'
  ? [['py', ['-3']], ['python', []], ['python3', []]]
  : [['python3', []], ['python', []]];

async function probe(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ path: string; major: number; minor: number } | undefined> {
  const code = 'import sys, json; print(json.dumps([sys.executable, sys.version_info[0], sys.version_info[1]]))';
  try {
    const [path, major, minor] = await pythonJson<[string, number, number]>(command, [...args, '-c', code], { env, timeoutMs: 20_000 });
    return { path, major, minor };
  } catch {
    return undefined;
  }
}

/** A Python 3.10+ on PATH to make the venv with (python3, then python; on Windows the py launcher first). */
export async function findBasePython(env: NodeJS.ProcessEnv = process.env): Promise<BasePythonSearch> {
  const tooOld: BasePython[] = [];
  for (const [command, args] of CANDIDATES) {
    const p = await probe(command, args, env);
    if (!p) continue;
    const version = `${p.major}.${p.minor}`;
    if (p.major > MIN_PYTHON[0] || (p.major === MIN_PYTHON[0] && p.minor >= MIN_PYTHON[1])) return { found: { path: p.path, version }, tooOld, tried: CANDIDATES.map((c) => c[0]) };
    tooOld.push({ path: p.path, version });
  }
  return { tooOld, tried: CANDIDATES.map((c) => c[0]) };
}

export interface CreateTrainerEnvOptions {
  /** The folder that gets a `.venv/` (so venvPython(dir) is its interpreter). */
  dir: string;
  /** The trainer/ folder whose pyproject.toml pins the dependencies. */
  trainerDir: string;
  basePython: string;
  /** Every line pip and venv print, for a log and a progress message. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs a command to its end, line by line; rejects on a non-zero exit or an abort. */
export function runLogged(command: string, args: string[], o: { onLine?: (line: string) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new Error('cancelled'));
    const child = spawn(command, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      o.onLine?.(line);
    };
    lines(child.stdout!, onLine);
    lines(child.stderr!, onLine);
    const abort = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', abort, { once: true });
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('close', (code, sig) => {
      o.signal?.removeEventListener('abort', abort);
      if (o.signal?.aborted) reject(new Error('cancelled'));
      else if (code === 0) resolve();
      else reject(new Error(`${[command, ...args].join(' ')} ${sig ? `was killed by ${sig}` : `exited with ${code}`}: ${tail.slice(-5).join(' | ')}`));
    });
  });
}

/**
 * Makes (or completes, or updates to new pins) the env in `dir`/.venv and returns its interpreter.
 * Safe to repeat after a failure or a cancel: venv and pip pick up where they stopped, and the stamp
 * is written only after everything installed.
 */
export async function createTrainerEnv(o: CreateTrainerEnvOptions): Promise<string> {
  const requirements = requirementsOf(o.trainerDir);
  const venv = join(o.dir, '.venv');
  const python = venvPython(o.dir);
  const run = (command: string, args: string[]) => runLogged(command, args, { onLine: o.onLine, signal: o.signal });
  mkdirSync(dirname(venv), { recursive: true });
  rmSync(join(venv, STAMP), { force: true });
  if (!existsSync(python)) await run(o.basePython, ['-m', 'venv', venv]);
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off'];
  await run(python, [...pip, '--upgrade', ...PIP_PINS]);
  await run(python, [...pip, ...requirements]);
  await writeFileAtomic(join(venv, STAMP), stampOf(requirements) + '\n');
  return python;
}
