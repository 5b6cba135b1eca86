/**
 * The job view's messages, shared by the extension host (src/extension/jobs/panel.ts) and the webview
 * (webview/job/main.ts). Each side validates what it receives with the guards below.
 */
import type { Point } from '../../src/core/shared';

export type JobViewState = 'running' | 'stopping' | 'done' | 'stopped' | 'failed';

/** One progress event, reduced to what the view draws (declared in src/core/shared.ts: core builds them). */
export type { Point };

export interface JobInfo {
  name: string;
  dir: string;
  state: JobViewState;
  step: number;
  totalSteps?: number;
  etaS?: number;
  device?: string;
  preset?: string | null;
  model?: string;
  message?: string;
  lastLog: string[];
  adapter?: string;
  /** While running: what the worker does now ("tokenizing 4948 pairs…", "step 3/60 · loss 0.68 · ETA 20 s"). */
  activity?: string;
  /** The newest checkpoint's step, where Resume continues; 0: Resume starts from scratch. */
  resumeStep: number;
}

/** A probe reply as the view shows it: scored by the host with the active reward model. */
export interface ProbeReplyView {
  index: number;
  prompt: string;
  text: string;
  tokens: number;
  truncated: boolean;
  reward: number;
}

/** A trait that moved since step 0 (src/core/jobs/probe.ts movedTraits). */
export interface MovedTraitView {
  id: string;
  label: string;
  from: number;
  to: number;
  delta: number;
  /** Change of its contribution to the reward; absent for traits the model does not weigh. */
  rewardDelta?: number;
}

/** One probe step: the replies to the probe prompts, their mean reward, and what moved since step 0. */
export interface ProbeView {
  step: number;
  reward: number;
  tokens: number;
  truncated: number;
  maxNewTokens: number;
  moved: MovedTraitView[];
  replies: ProbeReplyView[];
}

export type HostMessage =
  | { type: 'job'; job: JobInfo }
  /** Every probe step so far (always all: a few steps of a few replies), scored with `model`; `error` when they could not be. */
  | { type: 'probes'; probes: ProbeView[]; model: string; error?: string }
  /** `reset`: these are all points (first message, or the events file was rewritten). */
  | { type: 'points'; points: Point[]; reset: boolean };

export type JobAction = 'stop' | 'resume' | 'openFolder' | 'showLog' | 'previewRewrite';

export type ViewMessage =
  | { type: 'ready' }
  /** The newest step the charts show, for tests and for the host's log. */
  | { type: 'rendered'; step: number; points: number; probes?: number; probeStep?: number }
  | { type: 'action'; action: JobAction };

/** What each metric means (TRL's definitions). Read by the table in the view and by the README. */
export const METRICS: { key: keyof Point; label: string; explain: string }[] = [
  { key: 'loss', label: 'loss', explain: 'DPO loss on this step\'s pairs; starts at ln 2 ≈ 0.693 (no preference yet) and should fall.' },
  { key: 'rewards/margins', label: 'rewards/margins', explain: 'Chosen minus rejected reward: the number DPO pushes up. Rising margins mean it learns your preference.' },
  { key: 'rewards/accuracies', label: 'rewards/accuracies', explain: 'Share of pairs whose chosen response gets the higher reward (0.5 is chance).' },
  { key: 'rewards/chosen', label: 'rewards/chosen', explain: 'β × (log π − log π_ref) of the chosen responses. Going negative is normal: DPO only needs it to rise relative to rejected.' },
  { key: 'rewards/rejected', label: 'rewards/rejected', explain: 'The same for the rejected responses; it should fall faster than rewards/chosen.' },
  { key: 'logps/chosen', label: 'logps/chosen', explain: 'Summed log-probability of the chosen responses under the tuned model.' },
  { key: 'logps/rejected', label: 'logps/rejected', explain: 'Summed log-probability of the rejected responses.' },
  { key: 'learning_rate', label: 'learning rate', explain: 'The optimizer\'s current step size (after warmup and schedule).' },
  { key: 'grad_norm', label: 'grad norm', explain: 'Size of the gradient before clipping; spikes hint at a too-high learning rate.' },
  { key: 'tokens_per_s', label: 'tokens/s', explain: 'Training throughput: tokens of chosen and rejected sequences per second.' },
  { key: 'gpu_mem_bytes', label: 'GPU memory', explain: 'Peak GPU memory allocated by the trainer; empty on the CPU.' },
  { key: 'eval/loss', label: 'eval loss', explain: 'DPO loss on the held-out pairs (eval_file or eval_split). Training loss falling while this rises: the model memorizes its pairs.' },
  { key: 'eval/rewards/accuracies', label: 'eval accuracy', explain: 'Reward accuracy on the held-out pairs: does the preference carry over to pairs it never trained on?' },
];

const STATES = new Set(['running', 'stopping', 'done', 'stopped', 'failed']);
const ACTIONS = new Set(['stop', 'resume', 'openFolder', 'showLog', 'previewRewrite']);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));

export function isPoint(v: unknown): v is Point {
  return isObj(v) && typeof v.step === 'number' && typeof v.time === 'number'
    && METRICS.every((m) => numOrNull(v[m.key]));
}

export function isJobInfo(v: unknown): v is JobInfo {
  return isObj(v) && typeof v.name === 'string' && typeof v.dir === 'string' && STATES.has(v.state as string)
    && typeof v.step === 'number' && Array.isArray(v.lastLog) && v.lastLog.every((l) => typeof l === 'string')
    && (v.totalSteps === undefined || typeof v.totalSteps === 'number')
    && (v.etaS === undefined || typeof v.etaS === 'number')
    && typeof v.resumeStep === 'number'
    && ['device', 'model', 'message', 'adapter', 'activity'].every((k) => v[k] === undefined || typeof v[k] === 'string')
    && (v.preset === undefined || v.preset === null || typeof v.preset === 'string');
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isMoved(v: unknown): v is MovedTraitView {
  return isObj(v) && typeof v.id === 'string' && typeof v.label === 'string' && num(v.from) && num(v.to) && num(v.delta)
    && (v.rewardDelta === undefined || num(v.rewardDelta));
}

function isReply(v: unknown): v is ProbeReplyView {
  return isObj(v) && num(v.index) && typeof v.prompt === 'string' && typeof v.text === 'string' && num(v.tokens)
    && typeof v.truncated === 'boolean' && num(v.reward);
}

export function isProbeView(v: unknown): v is ProbeView {
  return isObj(v) && num(v.step) && num(v.reward) && num(v.tokens) && num(v.truncated) && num(v.maxNewTokens)
    && Array.isArray(v.moved) && v.moved.every(isMoved) && Array.isArray(v.replies) && v.replies.every(isReply);
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v)) return false;
  if (v.type === 'probes') {
    return Array.isArray(v.probes) && v.probes.every(isProbeView) && typeof v.model === 'string'
      && (v.error === undefined || typeof v.error === 'string');
  }
  if (v.type === 'job') return isJobInfo(v.job);
  if (v.type === 'points') return typeof v.reset === 'boolean' && Array.isArray(v.points) && v.points.every(isPoint);
  return false;
}

export function isViewMessage(v: unknown): v is ViewMessage {
  if (!isObj(v)) return false;
  if (v.type === 'ready') return true;
  if (v.type === 'rendered') {
    return typeof v.step === 'number' && typeof v.points === 'number'
      && (v.probes === undefined || typeof v.probes === 'number') && (v.probeStep === undefined || typeof v.probeStep === 'number');
  }
  if (v.type === 'action') return ACTIONS.has(v.action as string);
  return false;
}
