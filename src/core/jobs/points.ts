/**
 * The chart series of a job: one point per optimizer step from its progress events. A resumed job's
 * events.jsonl holds every run; a run that crashed after its last checkpoint is repeated from there by
 * the next one, so the later run's value of a step wins and the steps stay in order.
 */
import type { Point } from '../../../webview/job/protocol';
import type { WorkerEvent } from '../worker/events';

export function progressPoint(e: Extract<WorkerEvent, { event: 'progress' }>): Point {
  return {
    step: e.step, time: e.time, loss: e.loss, 'rewards/chosen': e['rewards/chosen'], 'rewards/rejected': e['rewards/rejected'],
    'rewards/margins': e['rewards/margins'], 'rewards/accuracies': e['rewards/accuracies'], 'logps/chosen': e['logps/chosen'],
    'logps/rejected': e['logps/rejected'], learning_rate: e.learning_rate, grad_norm: e.grad_norm, tokens_per_s: e.tokens_per_s,
    gpu_mem_bytes: e.gpu_mem_bytes,
  };
}

/** Merges new progress events into `points` (sorted by step, one per step); true when an existing step changed. */
export function mergePoints(points: Point[], events: WorkerEvent[]): { points: Point[]; rewritten: boolean } {
  let rewritten = false;
  const out = points;
  for (const e of events) {
    if (e.event !== 'progress') continue;
    const p = progressPoint(e);
    const last = out[out.length - 1];
    if (!last || p.step > last.step) {
      out.push(p);
      continue;
    }
    rewritten = true;
    const i = out.findIndex((q) => q.step >= p.step);
    if (out[i].step === p.step) out[i] = p;
    else out.splice(i, 0, p);
  }
  return { points: out, rewritten };
}
