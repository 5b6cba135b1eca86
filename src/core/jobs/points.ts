/**
 * The chart series of a job: one point per optimizer step from its progress events. A resumed job's
 * events.jsonl holds every run; a run that crashed after its last checkpoint is repeated from there by
 * the next one, so the later run's value of a step wins and the steps stay in order.
 */
import type { Point } from '../shared';
import type { WorkerEvent } from '../worker/events';

export function progressPoint(e: Extract<WorkerEvent, { event: 'progress' }>): Point {
  return {
    step: e.step, time: e.time, loss: e.loss, 'rewards/chosen': e['rewards/chosen'], 'rewards/rejected': e['rewards/rejected'],
    'rewards/margins': e['rewards/margins'], 'rewards/accuracies': e['rewards/accuracies'], 'logps/chosen': e['logps/chosen'],
    'logps/rejected': e['logps/rejected'], learning_rate: e.learning_rate, grad_norm: e.grad_norm, tokens_per_s: e.tokens_per_s,
    gpu_mem_bytes: e.gpu_mem_bytes, 'eval/loss': null, 'eval/rewards/accuracies': null,
  };
}

function evalOnly(e: Extract<WorkerEvent, { event: 'eval' }>): Point {
  return {
    step: e.step, time: e.time, loss: null, 'rewards/chosen': null, 'rewards/rejected': null, 'rewards/margins': null,
    'rewards/accuracies': null, 'logps/chosen': null, 'logps/rejected': null, learning_rate: null, grad_norm: null,
    tokens_per_s: null, gpu_mem_bytes: null, 'eval/loss': e.loss, 'eval/rewards/accuracies': e['rewards/accuracies'],
  };
}

/**
 * Merges new progress and eval events into `points` (sorted by step, one per step); true when a step that
 * was there before this call changed. An eval event fills its step's eval fields (it follows that step's
 * progress event; with logging_steps > 1 it may make a point of its own).
 */
export function mergePoints(points: Point[], events: WorkerEvent[]): { points: Point[]; rewritten: boolean } {
  let rewritten = false;
  const out = points;
  const known = new Set(out.map((p) => p.step));
  for (const e of events) {
    if (e.event === 'eval') {
      const i = out.findIndex((q) => q.step >= e.step);
      if (i >= 0 && out[i].step === e.step) {
        out[i] = { ...out[i], 'eval/loss': e.loss, 'eval/rewards/accuracies': e['rewards/accuracies'] };
        if (known.has(e.step)) rewritten = true;
      } else if (i < 0) out.push(evalOnly(e));
      else {
        out.splice(i, 0, evalOnly(e));
        rewritten = true;
      }
      continue;
    }
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
