/**
 * Job files (`*.tune.json`, the trainer's DPO config): read with line and column on errors, and the job
 * folder they name. Relative paths resolve against the file's folder, exactly as the trainer does.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The trainer's presets (trainer/styletune_trainer/config.py PRESETS); a unit test keeps them in sync. */
export const PRESETS = [
  { name: 'hal', label: 'HAL-like', detail: 'HAL (arXiv 2601.02813): beta 0.1, LoRA r 16 / alpha 32 on attention + MLP, lr 5e-5, 10 epochs' },
  { name: 'human-like-dpo', label: 'Human-like-DPO-like', detail: 'Human-like DPO (arXiv 2501.05032): LoRA r 8 / alpha 4 on all linear layers, lr 2e-4 cosine, 1 epoch' },
] as const;

export type PresetName = (typeof PRESETS)[number]['name'];

export const JOB_FILE_SUFFIX = '.tune.json';

export interface JobFile {
  path: string;
  config: Record<string, unknown>;
  /** output_dir resolved against the file's folder. */
  jobDir: string;
}

/** A problem with a job file, where it is and what to do. */
export class JobFileError extends Error {
  constructor(readonly file: string, readonly line: number, readonly column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = 'JobFileError';
  }
}

/** Line and column (1-based) of character `offset` in `text`. */
export function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Parses a job file's text; throws JobFileError with the place of the problem. */
export function parseJobFile(path: string, text: string): JobFile {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const at = m ? position(text, Number(m[1])) : { line: 1, column: 1 };
    throw new JobFileError(path, at.line, at.column, `not valid JSON (${(e as Error).message}). The trainer reads plain JSON: no comments or trailing commas.`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new JobFileError(path, 1, 1, 'a job file is one JSON object with model, train_file and output_dir.');
  }
  const c = config as Record<string, unknown>;
  for (const key of ['model', 'train_file', 'output_dir']) {
    if (typeof c[key] !== 'string' || !(c[key] as string).trim()) {
      const found = new RegExp(`"${key}"\\s*:`).exec(text);
      const at = found ? position(text, found.index) : { line: 1, column: 1 };
      throw new JobFileError(path, at.line, at.column, `"${key}" must be a non-empty string (${key === 'output_dir' ? 'the job folder' : key === 'model' ? 'a model folder in Hugging Face layout' : 'a JSONL file of preference pairs'}).`);
    }
  }
  const out = c.output_dir as string;
  return { path, config: c, jobDir: isAbsolute(out) ? out : resolve(dirname(path), out) };
}

export function readJobFile(path: string): JobFile {
  return parseJobFile(path, readFileSync(path, 'utf8'));
}

export interface QuickJob {
  model: string;
  trainFile: string;
  jobDir: string;
  preset?: PresetName;
}

/**
 * The job file the quick-pick flow writes into the job folder: absolute data paths and `output_dir: "."`,
 * so the folder carries its own recipe and Resume (or `styletune tune`) runs it again as is.
 */
export function quickJobFile(q: QuickJob): { path: string; text: string } {
  const config: Record<string, unknown> = { model: q.model, train_file: q.trainFile, output_dir: '.' };
  if (q.preset) config.preset = q.preset;
  return { path: join(q.jobDir, `job${JOB_FILE_SUFFIX}`), text: JSON.stringify(config, null, 2) + '\n' };
}

/** A folder name for a new job: the pairs file's name and the date, e.g. "pairs-2026-11-22-0512". */
export function defaultJobName(trainFile: string, now = new Date()): string {
  const base = (trainFile.split(/[\\/]/).pop() ?? 'job').replace(/(\.pairs)?\.jsonl$/i, '').replace(/[^\w.-]+/g, '-') || 'job';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${base}-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
}
