/**
 * The rewrite preview's messages, shared by the webview (webview/preview/main.ts) and its host
 * (src/extension/preview/panel.ts). The host owns the state and sends all of it on every change; the
 * webview renders it and reports intents. Both sides check what they receive with the guards below,
 * made from the messages' schemas (webview/shared/schema.ts).
 */

import type { Message } from '../../src/core/shared';
import * as v from 'valibot';
import { bool, guard, message, nat, num, optional, str } from '../shared/schema';

export type { Message };

const sideView = v.object({
  text: str,
  /** Reward of the response; absent until scored (or when the reward model failed to load). */
  score: optional(num),
  tokens: optional(nat),
});
export type SideView = v.InferOutput<typeof sideView>;

const traitRow = v.object({
  id: str,
  label: str,
  description: str,
  base: num,
  tuned: num,
  /** tuned − base contribution to the reward. */
  delta: num,
});
export type TraitRow = v.InferOutput<typeof traitRow>;

const status = v.picklist(['generating', 'done', 'error', 'cancelled']);
export type Status = v.InferOutput<typeof status>;

const previewView = v.object({
  /** A new number per preview run: the webview's acknowledgement names the run it rendered. */
  id: nat,
  status,
  /** Progress or failure, in plain words. */
  message: optional(str),
  prompt: v.array(message),
  /** Short names of the base model, the adapter (its job folder) and the reward model. */
  model: str,
  adapter: str,
  rewardModel: str,
  seed: nat,
  base: optional(sideView),
  tuned: optional(sideView),
  /** tuned − base reward, once both are scored. */
  rewardDelta: optional(num),
  /** The traits whose contribution changed most, largest |delta| first. */
  traits: v.array(traitRow),
  /** The base model is the tiny random test model (make-tiny-model): its replies are noise, and the page says so. */
  tinyTestModel: optional(bool),
  /** The last pair line written from this preview. */
  appended: optional(v.object({ file: str, line: nat, choice: v.picklist(['unlabeled', 'tuned', 'base']) })),
});
export type PreviewView = v.InferOutput<typeof previewView>;

const hostMessage = v.object({ type: v.literal('state'), state: previewView });
export type HostMessage = v.InferOutput<typeof hostMessage>;

const viewMessage = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  v.object({ type: v.literal('append') }),
  v.object({ type: v.literal('openLabeler') }),
  v.object({ type: v.literal('regenerate') }),
  /** What the page shows after rendering state `id`: lets tests check the webview, not just the host. */
  v.object({ type: v.literal('rendered'), id: nat, status, base: optional(str), tuned: optional(str), scores: v.pipe(v.array(num), v.maxLength(2)), traits: nat }),
]);
export type ViewMessage = v.InferOutput<typeof viewMessage>;

/** Host side: a message from the webview. */
export const isViewMessage = guard(viewMessage);
/** Webview side: a message from the host. */
export const isHostMessage = guard(hostMessage);
