/**
 * The worker-thread side of inspectPool.ts: scores chunks of lines of a file the host has read into
 * shared memory, and answers each with its rows packed into transferable typed arrays (inspectRows.ts).
 * Bundled on its own (dist/inspectWorker.js): the extension bundle requires `vscode`, which a thread lacks.
 */
import { parentPort } from 'node:worker_threads';
import { packRows } from './inspectRows';
import { scoreLines } from './inspectScoring';
import type { PoolReply, PoolTask } from './inspectPool';
import { RewardModel } from './reward/model';
import { isKnownWord } from './traits/spelling';

let model: { key: string; model: Promise<RewardModel> } | undefined;

function modelFor(task: PoolTask): Promise<RewardModel> {
  if (model?.key !== task.modelKey) {
    const old = model;
    if (!task.modelBytes) throw new Error(`no bytes were sent for model ${task.modelKey}`);
    model = { key: task.modelKey, model: RewardModel.fromBytes(task.modelBytes, task.modelFile) };
    void old?.model.then((m) => m.dispose(), () => undefined);
  }
  return model.model;
}

parentPort?.on('message', (task: PoolTask) => {
  void (async () => {
    let reply: PoolReply;
    const transfer: ArrayBuffer[] = [];
    try {
      const m = await modelFor(task);
      const { rows, problems, lines } = await scoreLines(new Uint8Array(task.buf), task.chunk, task.file, m, task.role);
      const packed = packRows(rows);
      transfer.push(...packed.transfer);
      reply = { type: 'rows', run: task.run, index: task.index, rows: packed.packed, problems, lines };
    } catch (err) {
      reply = { type: 'error', run: task.run, index: task.index, message: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(reply, transfer);
  })();
});

// The spelling dictionary takes ~0.5 s to load: load it while the host scores its first chunk, not
// inside the first task. (Known-word verdicts are memoized by word only: nothing here changes a result.)
setImmediate(() => {
  isKnownWord('hello');
  parentPort?.postMessage({ type: 'warm' } satisfies PoolReply);
});
