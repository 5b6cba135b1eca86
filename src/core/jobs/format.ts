/** Short texts about a job for notifications, the tree and the job view. */
import type { JobSnapshot } from './jobState';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "step 12/60 · loss 0.684 · ETA 20 s", or what the job is doing before its first step. */
export function progressText(s: JobSnapshot): string {
  if (s.state === 'stopping') {
    return s.loading ? 'stopping: nothing to save yet, ending now…' : `stopping after step ${s.step}: saving a checkpoint and the adapter…`;
  }
  if (s.loading) return s.phase ? `${s.phase}…` : 'loading the model and data…';
  if (!s.lastProgress) return `step 0/${s.totalSteps} · computing reference log-probs…`;
  const parts = [`step ${s.step}/${s.totalSteps}`];
  const loss = s.lastProgress.loss;
  if (typeof loss === 'number') parts.push(`loss ${loss.toFixed(3)}`);
  if (s.etaS !== undefined) parts.push(`ETA ${formatDuration(s.etaS)}`);
  return parts.join(' · ');
}

/** "cuda", or "cuda × 4 processes" for a data-parallel run: where the job trains. */
export function deviceText(started: { device: string; num_processes: number }): string {
  return started.num_processes > 1 ? `${started.device} × ${started.num_processes} processes` : started.device;
}

/** The tree's one-line description of a job. */
export function stateText(s: JobSnapshot): string {
  const steps = s.totalSteps ? `${s.step}/${s.totalSteps}` : s.step ? `step ${s.step}` : '';
  switch (s.state) {
    case 'running':
      if (s.loading) return 'loading…';
      return `running ${steps}${s.etaS !== undefined && s.lastProgress ? ` · ETA ${formatDuration(s.etaS)}` : ''}`.trim();
    case 'stopping': return s.loading || !s.step ? 'stopping…' : `stopping at ${steps}`;
    case 'done': return `done ${steps}`.trim();
    case 'stopped': return s.step ? `stopped at ${steps}` : 'stopped before step 1';
    case 'failed': return `failed${s.step ? ` at ${steps}` : ''}`;
  }
}
