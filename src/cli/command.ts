/**
 * What the `styletune` commands share: how one reaches the Python worker (and says why it cannot).
 */
import { PythonNotFoundError, resolveWorker, type WorkerPython } from '../core/worker/python';

/**
 * The interpreter and trainer for a command that runs the worker (`--python`, else STYLETUNE_PYTHON,
 * else the install's .venv), or undefined after writing why not to `stderr` (the caller exits 1).
 */
export async function workerPython(
  command: string,
  o: { explicit?: string; env: NodeJS.ProcessEnv; cwd: string; stderr: { write(s: string): unknown } },
): Promise<WorkerPython | undefined> {
  try {
    return await resolveWorker({ explicit: o.explicit, env: o.env, cwd: o.cwd, installDir: __dirname });
  } catch (e) {
    if (!(e instanceof PythonNotFoundError)) throw e;
    o.stderr.write(`styletune ${command}: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return undefined;
  }
}
