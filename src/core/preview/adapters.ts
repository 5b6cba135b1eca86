/**
 * Which base model an adapter belongs to. A StyleTune job folder says it best (its config.json `model`,
 * the model it was trained on); otherwise PEFT's adapter_config.json `base_model_name_or_path`, when
 * that names a folder on this machine (a Hub id cannot be loaded: the worker runs offline).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export type BaseModel = { model: string; from: 'job' | 'adapter' } | { problem: string };

function readJson(file: string): Record<string, unknown> | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    return { problem: `${file}:1:1: expected a JSON object` };
  } catch (err) {
    return { problem: `${file}: not valid JSON: ${(err as Error).message}` };
  }
}

const isProblem = (v: object): v is { problem: string } => typeof (v as { problem?: unknown }).problem === 'string' && Object.keys(v).length === 1;

function isModelDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'config.json'));
  } catch {
    return false;
  }
}

/** The job folder of a StyleTune job: its adapter and the model it was trained on. */
export function jobPreviewTarget(jobDir: string): { model: string; adapter: string } | { problem: string } {
  const config = join(jobDir, 'config.json');
  if (!existsSync(config)) return { problem: `${jobDir} is not a StyleTune job folder (no config.json)` };
  const adapter = join(jobDir, 'adapter');
  if (!existsSync(join(adapter, 'adapter_config.json'))) return { problem: `the job in ${jobDir} has no adapter yet (no adapter/adapter_config.json); wait for it to finish or stop it to save one` };
  const base = modelFromJobConfig(config);
  return 'problem' in base ? base : { model: base.model, adapter };
}

function modelFromJobConfig(config: string): BaseModel {
  const cfg = readJson(config);
  if (isProblem(cfg)) return cfg;
  const model = cfg.model;
  if (typeof model !== 'string' || !model) return { problem: `${config}: \`model\` is missing` };
  const dir = isAbsolute(model) ? model : resolve(dirname(config), model);
  if (!isModelDir(dir)) return { problem: `${config}: the base model ${dir} is not a model folder on this machine (no config.json)` };
  return { model: dir, from: 'job' };
}

/** The base model for an adapter folder: its job's config.json, else its adapter_config.json. */
export function baseModelFor(adapterDir: string): BaseModel {
  const job = join(dirname(adapterDir), 'config.json');
  const problems: string[] = [];
  if (existsSync(job)) {
    const m = modelFromJobConfig(job);
    if (!('problem' in m)) return m;
    problems.push(m.problem);
  }
  const ac = readJson(join(adapterDir, 'adapter_config.json'));
  if (isProblem(ac)) return { problem: [...problems, ac.problem].join('; ') };
  const name = ac.base_model_name_or_path;
  if (typeof name === 'string' && name) {
    const dir = isAbsolute(name) ? name : resolve(adapterDir, name);
    if (isModelDir(dir)) return { model: dir, from: 'adapter' };
    problems.push(`adapter_config.json names the base model ${name}, which is not a model folder on this machine`);
  } else problems.push('adapter_config.json names no base model');
  return { problem: problems.join('; ') };
}
