/**
 * What a job will do before it runs, for the confirmation the tuning wizard shows: the settings it will
 * run with (the trainer's defaults from schemas/tune.schema.json, then the preset, then the job file, as
 * trainer/styletune_trainer/config.py merges them), its steps (dpo.py's rule), and a rough duration.
 *
 * The duration is an order of magnitude, not a promise: a LoRA DPO step costs about 6 FLOPs per model
 * parameter per token (forward passes of the policy and the reference, 2 each, and a backward pass
 * that computes activation gradients only, ~2), over both sides of every pair; throughput is an assumed
 * effective rate per device kind (EFFECTIVE_FLOPS), plus a fixed cost per step (Python, optimizer,
 * logging) that dominates for tiny models, plus loading.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS, tuneSchema } from './jobFile';

export type DeviceKind = 'cpu' | 'cuda';

/** Assumed sustained FLOP/s: a desktop CPU in float32, one current data-centre GPU in bf16 at ~30 % of peak. */
export const EFFECTIVE_FLOPS: Record<DeviceKind, number> = { cpu: 1e11, cuda: 1e14 };
const STEP_OVERHEAD_S: Record<DeviceKind, number> = { cpu: 0.15, cuda: 0.05 };
const LOAD_S = 15;
/** Characters per token of English chat text with a BPE tokenizer, roughly. */
const CHARS_PER_TOKEN = 4;

/** The settings the trainer will run with: schema defaults, then the preset's, then the file's own. */
export function effectiveSettings(config: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const key of tuneSchema().propertyNames()) {
    const d = tuneSchema().property(key)?.default;
    if (d !== undefined) defaults[key] = d;
  }
  const preset = PRESETS.find((p) => p.name === config.preset)?.settings ?? {};
  return { ...defaults, ...preset, ...config };
}

export interface JobPlan {
  /** Pairs trained on (max_train_samples applied). */
  pairs: number;
  globalBatch: number;
  stepsPerEpoch: number;
  epochs: number;
  /** What the trainer will count to: max_steps when set, else epochs × steps per epoch. */
  steps: number;
  fromMaxSteps: boolean;
}

export function planJob(settings: Record<string, unknown>, pairs: number, processes = 1): JobPlan {
  const num = (k: string, fallback: number) => (typeof settings[k] === 'number' ? (settings[k] as number) : fallback);
  const limit = typeof settings.max_train_samples === 'number' ? settings.max_train_samples : Infinity;
  const read = Math.min(pairs, limit);
  // eval_split holds max(1, round(n × split)) of them out, as the worker does (watch.py split_eval; Python rounds half to even).
  const split = typeof settings.eval_split === 'number' && !settings.eval_file ? settings.eval_split : 0;
  const used = split > 0 && split < 1 ? read - Math.max(1, roundHalfEven(read * split)) : read;
  const globalBatch = num('per_device_train_batch_size', 4) * num('gradient_accumulation_steps', 1) * Math.max(1, processes);
  const stepsPerEpoch = Math.ceil(used / globalBatch);
  const epochs = num('num_train_epochs', 1);
  const maxSteps = num('max_steps', -1);
  return {
    pairs: used, globalBatch, stepsPerEpoch, epochs,
    steps: maxSteps > 0 ? maxSteps : Math.ceil(epochs * stepsPerEpoch),
    fromMaxSteps: maxSteps > 0,
  };
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/**
 * Parameters of a Hugging Face model folder, from its weight files' sizes and config.json's dtype;
 * undefined when the folder has no weights to measure.
 */
export function modelParameters(modelDir: string): number | undefined {
  if (!existsSync(modelDir)) return undefined;
  let bytes = 0;
  for (const f of readdirSync(modelDir)) {
    if (/\.(safetensors|bin)$/.test(f) && !f.startsWith('training_args')) bytes += statSync(join(modelDir, f)).size;
  }
  if (bytes === 0) return undefined;
  let dtype = 'float32';
  try {
    const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as { torch_dtype?: unknown; dtype?: unknown };
    dtype = String(config.torch_dtype ?? config.dtype ?? dtype);
  } catch {
    // No readable config: float32, the largest guess for the byte count, gives the fewest parameters.
  }
  return bytes / (/(bfloat16|float16|half)/.test(dtype) ? 2 : 4);
}

/** Tokens the trainer processes for one pair: prompt + chosen and prompt + rejected, each cut at max_length. */
export function tokensPerPair(meanChars: number, settings: Record<string, unknown>): number {
  const maxLength = typeof settings.max_length === 'number' ? settings.max_length : Infinity;
  return 2 * Math.min(maxLength, meanChars / 2 / CHARS_PER_TOKEN);
}

/** Seconds, roughly: loading, then per step the compute of its pairs or the fixed overhead, whichever is larger. */
export function roughSeconds(p: { params: number; tokensPerPair: number; plan: JobPlan; device: DeviceKind; processes?: number }): number {
  const flopsPerStep = 6 * p.params * p.tokensPerPair * p.plan.globalBatch;
  const perStep = Math.max(STEP_OVERHEAD_S[p.device], flopsPerStep / (EFFECTIVE_FLOPS[p.device] * Math.max(1, p.processes ?? 1)));
  return LOAD_S + p.plan.steps * perStep;
}

/** "40 s", "12 min", "3.5 h", "2 days". */
export function durationText(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds / 10) * 10)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(seconds < 10 * 3600 ? 1 : 0)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
