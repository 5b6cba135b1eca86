/**
 * Runs the worker's `generate` for one prompt, base and adapter, reporting each reply as it comes.
 * gen.json goes to a temporary folder (it is ours, not the user's) that is removed afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as vscode from 'vscode';
import { SampleCollector, type GenConfig } from '../../core/preview';
import { startWorker, type SampleEvent } from '../../core/worker';

/** A worker asked to stop finishes the reply it is generating; after this it is killed. */
const STOP_GRACE_MS = 10_000;

export type GenerateOutcome = { base: SampleEvent; tuned: SampleEvent } | { cancelled: true } | { error: string };

export async function generatePair(
  s: { extensionPath: string; log: vscode.LogOutputChannel },
  python: string,
  cfg: GenConfig,
  token: vscode.CancellationToken,
  onSample: (side: 'base' | 'tuned', e: SampleEvent) => void,
): Promise<GenerateOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'styletune-preview-'));
  try {
    const file = join(dir, 'gen.json');
    await writeFile(file, JSON.stringify(cfg, null, 2) + '\n');
    const samples = new SampleCollector();
    const handle = startWorker(
      { python, repoRoot: s.extensionPath, args: ['generate', '--config', file] },
      {
        onEvent: (e) => {
          if (e.event !== 'sample') return;
          const side = samples.add(e);
          if (side) onSample(side, e);
        },
        onLog: (line) => s.log.debug(`[preview worker] ${line}`),
      },
    );
    const sub = token.onCancellationRequested(() => void handle.stop(STOP_GRACE_MS));
    const result = await handle.result.finally(() => sub.dispose());
    if (token.isCancellationRequested) return { cancelled: true };
    if (result.outcome !== 'done') {
      s.log.error(`Preview: the trainer failed: ${result.message}`);
      return { error: result.message };
    }
    if (!samples.base || !samples.tuned) return { error: 'the trainer finished without both replies; see the StyleTune output for its log' };
    return { base: samples.base, tuned: samples.tuned };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
