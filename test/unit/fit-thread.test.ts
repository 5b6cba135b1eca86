/** Fitting on a worker thread gives the same model as fitting in-process, and a cancel stops it. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FitCancelledError, fitRewardInThread } from '../../src/core/reward/fitThread';
import { collectComparisons, ComparisonTable, fitReward } from '../../src/core/reward/train';
import { TRAITS } from '../../src/core/traits/catalog';
import { requireShared } from './paths';

// tsc emits fitWorker.ts next to fitThread.js; the extension uses the esbuild bundle dist/fitWorker.js.
const workerFile = join(__dirname, '..', '..', 'src', 'core', 'reward', 'fitWorker.js');

test('a fit on a thread equals the in-process fit on real Turing games', async () => {
  const data = await collectComparisons([requireShared('turing/games.dev.jsonl')], { by: 'ai_model' });
  // Fitted here first: the thread takes the table's buffers.
  const here = fitReward(data, { folds: 3 });
  const there = await fitRewardInThread(workerFile, data, { folds: 3 });
  assert.equal(data.table.chunkOf(0).values.length, 0, 'the table moved to the thread (transferred, not copied)');
  assert.deepEqual(Array.from(there.spec.weights), Array.from(here.spec.weights));
  assert.equal(there.spec.bias, here.spec.bias);
  assert.deepEqual(there.spec.traitIds, here.spec.traitIds);
  assert.deepEqual(there.report.crossValidated, here.report.crossValidated);
  assert.deepEqual(there.spec.shapes, here.spec.shapes);
  assert.ok(there.spec.weights instanceof Float64Array, 'typed arrays survive the thread boundary');
});

test('a fit error on the thread arrives as the same plain message', async () => {
  const empty = { table: new ComparisonTable(TRAITS.length), diagnostics: [], skippedDialogues: 0 };
  await assert.rejects(fitRewardInThread(workerFile, empty), /need at least 2 comparisons/);
});

test('aborting stops the thread and rejects with FitCancelledError', async () => {
  const data = await collectComparisons([requireShared('turing/games.dev.jsonl')], {});
  const already = new AbortController();
  already.abort();
  await assert.rejects(fitRewardInThread(workerFile, data, {}, already.signal), FitCancelledError);
  const abort = new AbortController();
  const fitting = fitRewardInThread(workerFile, data, { folds: 10 }, abort.signal);
  abort.abort();
  await assert.rejects(fitting, FitCancelledError);
});
