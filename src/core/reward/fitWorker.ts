/**
 * The worker-thread side of fitThread.ts: receives one FitThreadRequest, answers one FitThreadReply.
 * Bundled on its own (dist/fitWorker.js) because the extension bundle cannot load in a thread: it
 * requires `vscode`, which only exists on the extension host's main thread.
 */
import { parentPort } from 'node:worker_threads';
import type { FitThreadReply, FitThreadRequest } from './fitThread';
import { ComparisonTable } from './comparisons';
import { fitReward } from './train';

parentPort?.once('message', (request: FitThreadRequest) => {
  let reply: FitThreadReply;
  try {
    const table = ComparisonTable.revive(request.table);
    reply = { ok: true, ...fitReward({ table, diagnostics: [], skippedDialogues: 0 }, request.opts) };
  } catch (err) {
    reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
