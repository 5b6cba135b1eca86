/**
 * Where a job file may send the trainer. A `*.tune.json` is data someone else may have written (a
 * cloned repository): its `output_dir` is where the trainer writes config.json, logs, checkpoints and
 * the adapter, so `"output_dir": "../../.config/autostart"` would write there once Start is clicked.
 * The paths of a job file are therefore checked against the places it may use without asking: the job
 * file's own folder and the workspace folders (the CLI: the current folder). Symlinks are followed, so
 * a link inside the workspace that leads out counts as outside.
 *
 * The callers decide what to do with the answer: the CLI refuses an outside output_dir unless told
 * otherwise, the extension asks (always in an untrusted workspace, and there for the paths it reads too).
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { JobFile } from './jobFile';

/** The path fields of a job file, as the trainer resolves them (trainer/styletune_trainer/config.py PATH_FIELDS). */
export const JOB_PATH_FIELDS = [
  { key: 'output_dir', writes: true },
  { key: 'model', writes: false },
  { key: 'train_file', writes: false },
  { key: 'eval_file', writes: false },
  /** When a string: a file of probe prompts (a list is the prompts themselves). */
  { key: 'probe_prompts', writes: false },
] as const;

export interface OutsidePath {
  key: (typeof JOB_PATH_FIELDS)[number]['key'];
  /** Resolved against the job file's folder, symlinks followed. */
  path: string;
  /** output_dir: the trainer writes there; the others it only reads. */
  writes: boolean;
}

/** The job's paths that lie outside every one of `roots` (folders; the job file's own folder is always one). */
export function pathsOutside(job: JobFile, roots: readonly string[]): OutsidePath[] {
  const base = dirname(resolve(job.path));
  const allowed = [base, ...roots].map((r) => realPath(resolve(r)));
  const out: OutsidePath[] = [];
  for (const { key, writes } of JOB_PATH_FIELDS) {
    const value = job.config[key];
    if (typeof value !== 'string' || !value.trim()) continue;
    // Not resolve(): it folds `link/..` by the letters, the trainer (Path.resolve) after following the link.
    const path = realPath(isAbsolute(value) ? value : `${base}${sep}${value}`);
    if (!allowed.some((root) => isInside(path, root))) out.push({ key, path, writes });
  }
  return out;
}

/** One sentence per outside path, for a confirmation or an error. */
export function describeOutside(outside: readonly OutsidePath[], where: string): string {
  return outside.map((o) => `${o.key} ${o.writes ? 'writes to' : 'reads from'} ${o.path}, outside ${where}.`).join(' ');
}

export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path`, or of its nearest existing ancestor with the rest appended (an output_dir
 * made later). The system resolves `..` after symlinks; a missing folder is no symlink, so joining
 * the rest by the letters is then right.
 */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}
