/**
 * Runs the worker's `generate` for one preview (base and adapter), reporting each reply as it comes.
 * gen.json goes to a temporary folder (it is ours, not the user's) that is removed afterwards.
 * Aborting stops the worker (SIGTERM: it stops between replies; SIGKILL after the grace time).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, type SampleEvent } from '../worker';
import { SampleCollector, type GenConfig } from './genConfig';

/** A preview has nothing to save: a worker that does not stop between replies soon is killed. */
const STOP_GRACE_MS = 3_000;

export type GenerateOutcome = { base: SampleEvent; tuned: SampleEvent } | { cancelled: true } | { error: string; log: string[] };

export interface GenerateOptions {
  python: string;
  /** The checkout (or installed extension) holding trainer/. */
  repoRoot: string;
  signal?: AbortSignal;
  onSample?: (side: 'base' | 'tuned', e: SampleEvent) => void;
  onLog?: (line: string) => void;
  stopGraceMs?: number;
}

export async function generatePreview(cfg: GenConfig, o: GenerateOptions): Promise<GenerateOutcome> {
  if (o.signal?.aborted) return { cancelled: true };
  const dir = await mkdtemp(join(tmpdir(), 'styletune-preview-'));
  try {
    const file = join(dir, 'gen.json');
    await writeFile(file, JSON.stringify(cfg, null, 2) + '\n');
    const samples = new SampleCollector();
    const handle = startWorker(
      { python: o.python, repoRoot: o.repoRoot, args: ['generate', '--config', file] },
      {
        onEvent: (e) => {
          if (e.event !== 'sample') return;
          const side = samples.add(e);
          if (side) o.onSample?.(side, e);
        },
        onLog: o.onLog,
      },
    );
    const stop = () => void handle.stop(o.stopGraceMs ?? STOP_GRACE_MS);
    o.signal?.addEventListener('abort', stop, { once: true });
    const result = await handle.result.finally(() => o.signal?.removeEventListener('abort', stop));
    if (o.signal?.aborted) return { cancelled: true };
    if (result.outcome !== 'done') return { error: result.message, log: result.lastLog };
    if (!samples.base || !samples.tuned) return { error: 'the trainer finished without both replies', log: result.lastLog };
    return { base: samples.base, tuned: samples.tuned };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
