/**
 * Runs `fitReward` on a worker thread, so the caller's event loop (the VS Code extension host, which
 * also serves every other extension) stays responsive during a multi-second cross-validated fit, and
 * a cancel really stops the work instead of waiting for it to end.
 *
 *   const { spec, report } = await fitRewardInThread(join(dist, 'fitWorker.js'), data, { folds: 5 }, signal);
 *
 * `workerFile` is the compiled fitWorker.ts: dist/fitWorker.js in the bundled extension,
 * out/src/core/reward/fitWorker.js in tests. The comparison table's buffers are transferred, not
 * copied (a million pairs is hundreds of MB): `data.table` cannot be read here afterwards.
 */
import { Worker } from 'node:worker_threads';
import type { RewardSpec } from './onnx';
import type { ComparisonSet, FitReport, FitRewardOptions } from './train';

export interface FitThreadRequest {
  /** The comparison table as it crossed the thread boundary (ComparisonTable.revive restores it). */
  table: unknown;
  opts: FitRewardOptions;
}

export type FitThreadReply =
  | { ok: true; spec: RewardSpec; report: FitReport }
  | { ok: false; message: string };

export class FitCancelledError extends Error {
  constructor() {
    super('fitting was cancelled');
    this.name = 'FitCancelledError';
  }
}

export function fitRewardInThread(
  workerFile: string,
  data: ComparisonSet,
  opts: FitRewardOptions = {},
  signal?: AbortSignal,
): Promise<{ spec: RewardSpec; report: FitReport }> {
  if (signal?.aborted) return Promise.reject(new FitCancelledError());
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile);
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => settle(() => reject(new FitCancelledError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: FitThreadReply) =>
      settle(() => (reply.ok ? resolve({ spec: reply.spec, report: reply.report }) : reject(new Error(reply.message)))));
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the fitting thread exited with code ${code} before answering`))));
    const request: FitThreadRequest = { table: data.table, opts };
    worker.postMessage(request, data.table.transferList());
  });
}
