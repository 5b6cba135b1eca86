/**
 * The pair labeler's messages, shared by the webview (webview/labeling/main.ts) and its host
 * (src/extension/labeling/labelerProvider.ts). No DOM or vscode imports: both sides compile it.
 *
 * The host owns all state (the document, which item is shown, a ranking being pressed); the webview only
 * renders what it is sent and reports keys, so a reload or a second view of the same file shows the same
 * thing, and keys typed faster than the view redraws apply in order.
 * Every message that crosses is checked with the guards below (made from the messages' schemas,
 * webview/shared/schema.ts) before it is used.
 */

import type { Message, TraitDiff } from '../../src/core/shared';
import * as v from 'valibot';
import { guard, message, nat, num, optional, str } from '../shared/schema';

export type { Message, TraitDiff };

const nums = v.array(num);
const traitDiff: v.GenericSchema<TraitDiff> = v.object({ id: str, label: str, description: str, values: nums, contributions: optional(nums) });

const rewardHint = v.object({
  /** Reward score per candidate, in candidate order. */
  scores: nums,
  /** The candidate number (1-based) the model prefers. */
  preferred: nat,
  model: str,
});
export type RewardHint = v.InferOutput<typeof rewardHint>;

const itemView = v.object({
  /** 0-based document line of the item. */
  line: nat,
  /** 1-based position among the file's items, for "item 3 of 12". */
  position: nat,
  /** The conversation so far; empty when the file has no prompt (TRL's implicit prompt). */
  prompt: v.array(message),
  /** Candidate responses as text (a multi-turn response is flattened with its roles). */
  candidates: v.pipe(v.array(str), v.minLength(2)),
  label: optional(v.object({ choice: str, time: str, annotator: str, ranking: optional(v.array(nat)) })),
  /** Traits that differ most between the candidates (all measured, then scored by the model). */
  traits: v.array(traitDiff),
  /** Absent while the model loads, or when it cannot be loaded (see `hintError`). */
  hint: optional(rewardHint),
  hintError: optional(str),
});
export type ItemView = v.InferOutput<typeof itemView>;

const viewState = v.object({
  file: str,
  /** The document's version. */
  version: nat,
  progress: v.object({ total: nat, labeled: nat, skipped: nat, invalid: nat }),
  /** While the file is still being read: a big file shows its first item before the rest is parsed. */
  reading: optional(v.object({ lines: nat, of: nat })),
  /** The whole file was read before the page first said ready (so its first item could not show sooner). */
  readBeforePage: optional(v.literal(true)),
  /** Candidate numbers pressed so far on an item with three candidates or more, best first. */
  ranking: v.array(nat),
  /** Absent when the file has no item to label, or none has been read yet. */
  item: optional(itemView),
});
export type ViewState = v.InferOutput<typeof viewState>;

const hostMessage = v.object({ type: v.literal('state'), state: viewState });
export type HostMessage = v.InferOutput<typeof hostMessage>;

/**
 * The labeler's keys. They reach the host through `styletune.labeler.key` keybindings (package.json):
 * VS Code runs those also while focus is still on its way into the webview (a tab click hands it to the
 * webview's frames in steps), so no key is lost. The webview's buttons send the same names.
 */
export const LABEL_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 's', 'u', 'r', 'j', 'k', 'n', 'ArrowRight', 'ArrowLeft', 'Escape', 'Backspace'] as const;
export type LabelKey = (typeof LABEL_KEYS)[number];

const labelKey = v.picklist(LABEL_KEYS);

const webviewMessage = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  v.object({ type: v.literal('key'), key: labelKey }),
  /** Whether the page has focus, each time that changes (after the blur debounce of its indicator). */
  v.object({ type: v.literal('focus'), focused: v.boolean() }),
]);
export type WebviewMessage = v.InferOutput<typeof webviewMessage>;

export const isLabelKey = (x: unknown): x is LabelKey => v.is(labelKey, x);
export const isWebviewMessage = guard(webviewMessage);
export const isHostMessage = guard(hostMessage);
