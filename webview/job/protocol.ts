/**
 * The job view's messages, shared by the extension host (src/extension/jobs/panel.ts) and the webview
 * (webview/job/main.ts). Each message is a schema (webview/shared/schema.ts) that gives its type and
 * the guard each side checks what it receives with.
 */
import type { Point } from '../../src/core/shared';
import * as v from 'valibot';
import { anyNumber, bool, guard, nat, num, optional, str } from '../shared/schema';

export type { Point };

const jobViewState = v.picklist(['running', 'stopping', 'done', 'stopped', 'failed']);
export type JobViewState = v.InferOutput<typeof jobViewState>;

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

const numOrNull = v.nullable(num);

const pointSchema: v.GenericSchema<Point> = v.object({
  step: anyNumber,
  time: anyNumber,
  loss: numOrNull,
  'rewards/chosen': numOrNull,
  'rewards/rejected': numOrNull,
  'rewards/margins': numOrNull,
  'rewards/accuracies': numOrNull,
  'logps/chosen': numOrNull,
  'logps/rejected': numOrNull,
  learning_rate: numOrNull,
  grad_norm: numOrNull,
  tokens_per_s: numOrNull,
  gpu_mem_bytes: numOrNull,
  'eval/loss': numOrNull,
  'eval/rewards/accuracies': numOrNull,
});

const jobInfo = v.object({
  name: str,
  dir: str,
  state: jobViewState,
  step: anyNumber,
  totalSteps: optional(anyNumber),
  etaS: optional(anyNumber),
  device: optional(str),
  preset: v.nullish(str),
  model: optional(str),
  message: optional(str),
  lastLog: v.array(str),
  adapter: optional(str),
  /** While running: what the worker does now ("tokenizing 4948 pairs…", "step 3/60 · loss 0.68 · ETA 20 s"). */
  activity: optional(str),
  /** The newest checkpoint's step, where Resume continues; 0: Resume starts from scratch. */
  resumeStep: anyNumber,
});
export type JobInfo = v.InferOutput<typeof jobInfo>;

/** A probe reply as the view shows it: scored by the host with the active reward model. */
/** `reward` is null for an empty reply: nothing to score (src/core/speakers.ts saysNothing). */
const probeReply = v.object({ index: num, prompt: str, text: str, tokens: num, truncated: bool, reward: numOrNull });
export type ProbeReplyView = v.InferOutput<typeof probeReply>;

/** A trait that moved since step 0 (src/core/jobs/probe.ts movedTraits). */
const movedTrait = v.object({
  id: str,
  label: str,
  from: num,
  to: num,
  delta: num,
  /** Change of its contribution to the reward; absent for traits the model does not weigh. */
  rewardDelta: optional(num),
});
export type MovedTraitView = v.InferOutput<typeof movedTrait>;

/** One probe step: the replies to the probe prompts, their mean reward, and what moved since step 0. */
const probeView = v.object({
  step: num,
  /** Mean over the replies that say something; null when all were empty. */
  reward: numOrNull,
  /** How many replies were empty. */
  empty: nat,
  tokens: num,
  truncated: num,
  maxNewTokens: num,
  moved: v.array(movedTrait),
  replies: v.array(probeReply),
});
export type ProbeView = v.InferOutput<typeof probeView>;

const hostMessage = v.variant('type', [
  v.object({ type: v.literal('job'), job: jobInfo }),
  /** Every probe step so far (always all: a few steps of a few replies), scored with `model`; `error` when they could not be. */
  v.object({ type: v.literal('probes'), probes: v.array(probeView), model: str, error: optional(str) }),
  /** `reset`: these are all points (first message, or the events file was rewritten). */
  v.object({ type: v.literal('points'), points: v.array(pointSchema), reset: bool }),
]);
export type HostMessage = v.InferOutput<typeof hostMessage>;

const jobAction = v.picklist(['stop', 'resume', 'openFolder', 'showLog', 'previewRewrite']);
export type JobAction = v.InferOutput<typeof jobAction>;

const viewMessage = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  /** The newest step the charts show, for tests and for the host's log. */
  v.object({ type: v.literal('rendered'), step: anyNumber, points: anyNumber, probes: optional(anyNumber), probeStep: optional(anyNumber) }),
  v.object({ type: v.literal('action'), action: jobAction }),
]);
export type ViewMessage = v.InferOutput<typeof viewMessage>;

/** The steps the training curves are zoomed into (a drag across a chart); absent: every step. */
const stepRange = v.pipe(v.object({ min: num, max: num }), v.check((r) => r.min < r.max, 'min must be below max'));
export type StepRange = v.InferOutput<typeof stepRange>;

/**
 * What the page keeps across being hidden and shown again (it is not kept alive in a background tab):
 * the job (the serializer reopens it after a window reload), the probe step picked (none: follow the
 * newest), how far the page was scrolled and the steps the curves are zoomed into.
 */
const pageState = v.object({ dir: str, probeStep: optional(nat), scrollY: optional(nat), zoom: optional(stepRange) });
export type PageState = v.InferOutput<typeof pageState>;

export const isPageState = guard(pageState);
export const isPoint = guard(pointSchema);
export const isJobInfo = guard(jobInfo);
export const isProbeView = guard(probeView);
export const isHostMessage = guard(hostMessage);
export const isViewMessage = guard(viewMessage);
