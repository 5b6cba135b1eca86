/** TypeScript view of trainer/events.schema.json (version 1). The schema is the authority; schema.ts checks it. */

interface Base {
  version: 1;
  time: number;
}

export interface StartedEvent extends Base {
  event: 'started';
  command: 'dpo' | 'generate' | 'judge' | 'checklist';
  device: string;
  dtype?: 'float32' | 'bfloat16' | 'float16';
  num_processes: number;
  model: string;
  model_type?: string;
  job_dir?: string;
  preset?: string | null;
  resumed_from_step?: number;
  total_steps?: number;
  parameters?: { trainable: number; total: number };
  dataset?: {
    train_pairs: number;
    prompts_truncated: number;
    completions_truncated: number;
    /** Left out: the prompt alone reaches max_length (as TRL). */
    pairs_dropped?: number;
    /** Left out: chosen equals rejected. */
    identical_skipped?: number;
    conversational?: boolean;
    chat_template?: boolean;
    tokens?: number;
  };
  prompts?: number;
  /** dpo: what the base weights and the forward run in; float16 comes with loss scaling. */
  precision?: 'float32' | 'bfloat16' | 'float16';
  loss_scaling?: boolean;
  /** '4bit-nf4' (QLoRA), '4bit-fp4', '8bit', or null. */
  quantization?: string | null;
  /** none, ddp, fsdp, deepspeed-zero<N>, 'device_map auto'. */
  sharding?: string;
  optim?: string;
  attn_implementation?: string;
  gradient_checkpointing?: boolean;
  /** Rough bytes per process, before loading. */
  memory_estimate?: { weights_bytes: number; trainable_bytes: number; activations_bytes: number; total_bytes: number };
  gpu_memory_bytes?: number | null;
  /** Where the run differs from TRL 1.16's DPOTrainer with the same settings (StyleTune's own choices). */
  differs_from_trl?: Record<string, unknown>;
}

export interface ProgressEvent extends Base {
  event: 'progress';
  step: number;
  total_steps: number;
  epoch: number;
  loss: number;
  'rewards/chosen': number;
  'rewards/rejected': number;
  'rewards/margins': number;
  'rewards/accuracies': number;
  'logps/chosen': number;
  'logps/rejected': number;
  learning_rate: number;
  grad_norm: number;
  tokens_per_s: number;
  eta_s: number;
  elapsed_s?: number;
  gpu_mem_bytes: number | null;
}

/** dpo with an eval set: DPO loss and rewards on the held-out pairs (means), every eval_steps. */
export interface EvalEvent extends Base {
  event: 'eval';
  step: number;
  total_steps: number;
  pairs: number;
  loss: number;
  'rewards/chosen': number;
  'rewards/rejected': number;
  'rewards/margins': number;
  'rewards/accuracies': number;
  runtime_s?: number;
}

export interface ProbeReply {
  /** Position in probe_prompts. */
  index: number;
  prompt: string | { role: string; content: string }[];
  text: string;
  tokens: number;
  truncated: boolean;
}

/** dpo with probe_prompts: greedy replies to the same prompts at step 0 and every probe_steps. */
export interface ProbeEvent extends Base {
  event: 'probe';
  step: number;
  total_steps: number;
  max_new_tokens: number;
  seed?: number;
  runtime_s?: number;
  /** A resumed run's step-0 probe: the first run's replies given again, or answered again with the adapter disabled. */
  baseline?: 'kept' | 'recomputed';
  replies: ProbeReply[];
}

export interface CheckpointEvent extends Base {
  event: 'checkpoint';
  step: number;
  path: string;
}

export interface LogEvent extends Base {
  event: 'log';
  level: 'debug' | 'info' | 'warning';
  message: string;
  code?: string;
}

export interface SampleEvent extends Base {
  event: 'sample';
  index: number;
  source: 'base' | 'adapter';
  sample: number;
  prompt: string | { role: string; content: string }[];
  text: string;
  tokens?: number;
  seed?: number;
  /** Used all max_new_tokens without ending (cut off); absent from workers older than this field. */
  truncated?: boolean;
}

export interface DoneEvent extends Base {
  event: 'done';
  command: 'dpo' | 'generate' | 'merge' | 'make-tiny-model' | 'judge' | 'checklist';
  stopped: boolean;
  output: string;
  adapter?: string;
  step?: number;
  total_steps?: number;
  metrics: Record<string, number | null>;
}

export type ErrorKind = 'oom' | 'data' | 'config' | 'environment' | 'internal';

export interface ErrorEvent extends Base {
  event: 'error';
  kind: ErrorKind;
  message: string;
  hint: string;
  detail?: string;
}

export type WorkerEvent =
  | StartedEvent
  | ProgressEvent
  | EvalEvent
  | ProbeEvent
  | CheckpointEvent
  | LogEvent
  | SampleEvent
  | DoneEvent
  | ErrorEvent;
