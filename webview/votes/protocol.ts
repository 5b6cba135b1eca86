/**
 * The blind vote view's messages, shared by the webview (webview/votes/main.ts) and its host
 * (src/extension/votes/panel.ts). No DOM or vscode imports: both sides compile it.
 *
 * The host owns the session (which comparison is shown, the votes file); the webview renders what it
 * is sent and reports votes. System names never reach the webview while a comparison is shown: only
 * the reveal at the end and the report carry them. Every message is checked before it is used, with
 * the guards below made from the messages' schemas (webview/shared/schema.ts).
 */

import type { Message } from '../../src/core/shared';
import * as v from 'valibot';
import { bool, guard, message, nat, num, optional, record, str } from '../shared/schema';

export type { Message };

const side = v.picklist(['A', 'B', 'tie']);
export type Side = v.InferOutput<typeof side>;
const confidence = v.nullable(v.picklist(['likely', 'certainly']));
export type Confidence = v.InferOutput<typeof confidence>;

/** One comparison as shown: texts only, no system names. */
const taskView = v.object({
  /** Opaque to the webview; sent back with the vote so a late key press cannot vote on the wrong item. */
  key: str,
  prompt: v.array(message),
  a: str,
  b: str,
});
export type TaskView = v.InferOutput<typeof taskView>;

const revealRow = v.object({
  item_id: str,
  prompt: str,
  a: str,
  b: str,
  /** The system picked, or "tie". */
  winner: str,
  confidence,
});
export type RevealRow = v.InferOutput<typeof revealRow>;

const voteState = v.object({
  title: str,
  votesFile: str,
  annotator: str,
  /** Comparisons this annotator has voted on, of all there are. */
  done: nat,
  total: nat,
  /** Absent once every comparison is voted. */
  task: optional(taskView),
  /** This session's votes so far, with identities: sent only when the session is finished. */
  reveal: optional(v.array(revealRow)),
  canUndo: bool,
  /** Problems found in the items file(s) (listed in the Problems panel). */
  problems: nat,
});
export type VoteState = v.InferOutput<typeof voteState>;

const interval = v.object({ low: num, high: num });
export type Interval = v.InferOutput<typeof interval>;

/** The report (src/core/votes/report.ts's VoteReport, which the host sends as is). */
const reportView = v.object({
  title: str,
  sources: v.array(str),
  votes: nat,
  duplicates: nat,
  ties: nat,
  annotators: record(num),
  confidence: v.object({ likely: nat, certainly: nat, none: nat }),
  systems: v.array(
    v.object({ system: str, votes: nat, wins: nat, ties: nat, losses: nat, rate: num, interval, certain: nat, meanReward: optional(num) }),
  ),
  prompts: v.array(
    v.object({ item_id: str, prompt: optional(str), votes: nat, ties: nat, picks: record(num), leader: str, rewards: optional(record(num)) }),
  ),
  ratings: optional(v.object({ rows: v.array(v.object({ system: str, strength: num, elo: num })), regularized: bool })),
  agreement: optional(v.object({ votes: nat, agreed: num, rate: num, interval, model: str })),
  notes: v.array(str),
});
export type ReportView = v.InferOutput<typeof reportView>;

const nonEmpty = v.pipe(v.array(str), v.minLength(1));
/** What the webview keeps (setState) so VS Code can bring the view back after a window reload. */
const restoreState = v.variant('kind', [
  v.object({ kind: v.literal('vote'), items: nonEmpty }),
  v.object({ kind: v.literal('report'), votes: nonEmpty, items: v.array(str) }),
]);
export type RestoreState = v.InferOutput<typeof restoreState>;

const hostMessage = v.variant('type', [
  v.object({ type: v.literal('vote'), state: voteState }),
  v.object({ type: v.literal('report'), report: reportView }),
  v.object({ type: v.literal('error'), message: str }),
  v.object({ type: v.literal('restore'), state: restoreState }),
]);
export type HostMessage = v.InferOutput<typeof hostMessage>;

const webviewMessage = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  // Keys are item ids plus two system names: a very long one is not ours.
  v.object({ type: v.literal('vote'), key: v.pipe(str, v.maxLength(10_000)), side, confidence }),
  v.object({ type: v.literal('undo') }),
  v.object({ type: v.literal('openReport') }),
]);
export type WebviewMessage = v.InferOutput<typeof webviewMessage>;

export const isWebviewMessage = guard(webviewMessage);
export const isVoteState = guard(voteState);
export const isReportView = guard(reportView);
/** Checked by the host too: after a reload the state comes back from the webview's storage. */
export const isRestoreState = guard(restoreState);
export const isHostMessage = guard(hostMessage);
