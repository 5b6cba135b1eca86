/**
 * Answers from a local model through the Python worker's `generate` (trainer/README.md "Generate"),
 * for reward-ranked candidates and contrast prompting. No `vscode` here: the CLI and the extension
 * both call it with the interpreter they resolved.
 *
 *   const r = await generateAnswers({ python, repoRoot, model: 'models/tiny', prompts, numSamples: 4 },
 *                                   { signal, onProgress: (done, total) => … });
 *   // r.samples[i]: { index, sample, text, tokens, truncated }; r.stopped when the signal cut it short
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonl } from '../jsonl';
import { jsonTypeName } from '../formats';
import type { Diagnostic, Turns } from '../types';
import { startWorker } from '../worker/worker';

export interface GenerateRequest {
  python: string;
  /** The checkout (or extension folder) holding trainer/. */
  repoRoot: string;
  /** Model folder in Hugging Face layout. */
  model: string;
  adapter?: string;
  prompts: Turns[];
  numSamples?: number;
  maxNewTokens?: number;
  systemPrompt?: string;
  seed?: number;
  temperature?: number;
  device?: string;
  env?: NodeJS.ProcessEnv;
}

export interface GeneratedAnswer {
  /** Index into `prompts`. */
  index: number;
  sample: number;
  text: string;
  tokens: number;
  /** Stopped at max_new_tokens: the answer may be cut off mid-sentence. */
  truncated: boolean;
}

export interface GenerateResult {
  samples: GeneratedAnswer[];
  stopped: boolean;
}

export interface GenerateCallbacks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The worker's stderr lines. */
  onLog?: (line: string) => void;
}

export const DEFAULT_MAX_NEW_TOKENS = 128;

export async function generateAnswers(req: GenerateRequest, cb: GenerateCallbacks = {}): Promise<GenerateResult> {
  const numSamples = req.numSamples ?? 1;
  const maxNewTokens = req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const total = req.prompts.length * numSamples;
  if (total === 0) return { samples: [], stopped: false };
  if (cb.signal?.aborted) return { samples: [], stopped: true };
  const dir = await mkdtemp(join(tmpdir(), 'styletune-generate-'));
  try {
    const config: Record<string, unknown> = {
      model: req.model,
      prompts: req.prompts,
      num_samples: numSamples,
      max_new_tokens: maxNewTokens,
      seed: req.seed ?? 0,
    };
    if (req.adapter) config.adapter = req.adapter;
    if (req.systemPrompt) config.system_prompt = req.systemPrompt;
    if (req.temperature !== undefined) config.temperature = req.temperature;
    if (req.device) config.device = req.device;
    const file = join(dir, 'generate.json');
    await writeFile(file, JSON.stringify(config));
    const samples: GeneratedAnswer[] = [];
    const worker = startWorker(
      { python: req.python, args: ['generate', '--config', file], repoRoot: req.repoRoot, env: req.env },
      {
        onEvent: (e) => {
          if (e.event !== 'sample' || e.source !== 'base') return;
          const tokens = e.tokens ?? 0;
          samples.push({ index: e.index, sample: e.sample, text: e.text, tokens, truncated: e.truncated ?? tokens >= maxNewTokens });
          cb.onProgress?.(samples.length, total);
        },
        onLog: cb.onLog,
      },
    );
    const onAbort = () => void worker.stop(15_000);
    cb.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await worker.result;
      if (r.outcome === 'done') return { samples, stopped: r.done?.stopped === true || cb.signal?.aborted === true };
      if (cb.signal?.aborted) return { samples, stopped: true };
      throw new Error(`generation failed: ${r.message}`);
    } finally {
      cb.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface PromptLine {
  line: number;
  prompt: Turns;
}

/**
 * Prompts to answer: JSONL lines with `prompt` (a string or messages; pair lines qualify, their answers
 * are ignored) or `messages` (the conversation so far). Bad lines become diagnostics.
 */
export async function readPrompts(file: string, signal?: AbortSignal): Promise<{ prompts: PromptLine[]; diagnostics: Diagnostic[] }> {
  const prompts: PromptLine[] = [];
  const diagnostics: Diagnostic[] = [];
  const bad = (line: number, message: string) => diagnostics.push({ file, line, column: 1, severity: 'error', message });
  for await (const item of readJsonl(file, { signal })) {
    if ('diagnostic' in item) {
      diagnostics.push(item.diagnostic);
      continue;
    }
    const v = item.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      bad(item.line, `expected an object with \`prompt\` or \`messages\`, got ${jsonTypeName(v)}`);
      continue;
    }
    const o = v as Record<string, unknown>;
    const key = Object.hasOwn(o, 'prompt') ? 'prompt' : Object.hasOwn(o, 'messages') ? 'messages' : undefined;
    if (!key) {
      bad(item.line, 'no `prompt` or `messages` to answer');
      continue;
    }
    const p = o[key];
    if (typeof p === 'string') {
      if (!p.trim()) bad(item.line, `\`${key}\` is empty`);
      else prompts.push({ line: item.line, prompt: p });
    } else if (Array.isArray(p) && p.length > 0 && p.every((m) => typeof m === 'object' && m !== null && typeof m.role === 'string' && typeof m.content === 'string')) {
      prompts.push({ line: item.line, prompt: p as Turns });
    } else {
      bad(item.line, `\`${key}\` must be a string or a non-empty list of {role, content} messages, got ${jsonTypeName(p)}`);
    }
  }
  return { prompts, diagnostics };
}
