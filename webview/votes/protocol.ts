/**
 * The blind vote view's messages, shared by the webview (webview/votes/main.ts) and its host
 * (src/extension/votes/panel.ts). No DOM or vscode imports: both sides compile it.
 *
 * The host owns the session (which comparison is shown, the votes file); the webview renders what it
 * is sent and reports votes. System names never reach the webview while a comparison is shown: only
 * the reveal at the end and the report carry them. Every message is checked before it is used.
 */

import type { Message } from '../../src/core/shared';

/** Declared in src/core/shared.ts, with the other shapes core and the webviews share. */
export type { Message };

export type Side = 'A' | 'B' | 'tie';
export type Confidence = 'likely' | 'certainly' | null;

/** One comparison as shown: texts only, no system names. */
export interface TaskView {
  /** Opaque to the webview; sent back with the vote so a late key press cannot vote on the wrong item. */
  key: string;
  prompt: Message[];
  a: string;
  b: string;
}

export interface RevealRow {
  item_id: string;
  prompt: string;
  a: string;
  b: string;
  /** The system picked, or "tie". */
  winner: string;
  confidence: Confidence;
}

export interface VoteState {
  title: string;
  votesFile: string;
  annotator: string;
  /** Comparisons this annotator has voted on, of all there are. */
  done: number;
  total: number;
  /** Absent once every comparison is voted. */
  task?: TaskView;
  /** This session's votes so far, with identities: sent only when the session is finished. */
  reveal?: RevealRow[];
  canUndo: boolean;
  /** Problems found in the items file(s) (listed in the Problems panel). */
  problems: number;
}

export interface Interval {
  low: number;
  high: number;
}

/** The report (src/core/votes/report.ts's VoteReport, which the host sends as is). */
export interface ReportView {
  title: string;
  sources: string[];
  votes: number;
  duplicates: number;
  ties: number;
  annotators: Record<string, number>;
  confidence: { likely: number; certainly: number; none: number };
  systems: Array<{ system: string; votes: number; wins: number; ties: number; losses: number; rate: number; interval: Interval; certain: number; meanReward?: number }>;
  prompts: Array<{ item_id: string; prompt?: string; votes: number; ties: number; picks: Record<string, number>; leader: string; rewards?: Record<string, number> }>;
  ratings?: { rows: Array<{ system: string; strength: number; elo: number }>; regularized: boolean };
  agreement?: { votes: number; agreed: number; rate: number; interval: Interval; model: string };
  notes: string[];
}

/** What the webview keeps (setState) so VS Code can bring the view back after a window reload. */
export type RestoreState = { kind: 'vote'; items: string[] } | { kind: 'report'; votes: string[]; items: string[] };

export type HostMessage =
  | { type: 'vote'; state: VoteState }
  | { type: 'report'; report: ReportView }
  | { type: 'error'; message: string }
  | { type: 'restore'; state: RestoreState };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'vote'; key: string; side: Side; confidence: Confidence }
  | { type: 'undo' }
  | { type: 'openReport' };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isConfidence = (v: unknown): v is Confidence => v === null || v === 'likely' || v === 'certainly';
const isInterval = (v: unknown): v is Interval => isObj(v) && isNum(v.low) && isNum(v.high);
const isNumRecord = (v: unknown): v is Record<string, number> => isObj(v) && Object.values(v).every(isNum);
const isArrayOf = <T>(v: unknown, f: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(f);

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'undo':
    case 'openReport':
      return true;
    case 'vote':
      // Keys are item ids plus two system names: a very long one is not ours.
      return isStr(v.key) && v.key.length <= 10_000 && (v.side === 'A' || v.side === 'B' || v.side === 'tie') && isConfidence(v.confidence);
    default:
      return false;
  }
}

function isTask(v: unknown): v is TaskView {
  return isObj(v) && isStr(v.key) && isStr(v.a) && isStr(v.b) && isArrayOf(v.prompt, (m): m is Message => isObj(m) && isStr(m.role) && isStr(m.content));
}

function isRevealRow(v: unknown): v is RevealRow {
  return isObj(v) && isStr(v.item_id) && isStr(v.prompt) && isStr(v.a) && isStr(v.b) && isStr(v.winner) && isConfidence(v.confidence);
}

export function isVoteState(v: unknown): v is VoteState {
  if (!isObj(v)) return false;
  if (!isStr(v.title) || !isStr(v.votesFile) || !isStr(v.annotator) || !isNat(v.done) || !isNat(v.total) || typeof v.canUndo !== 'boolean' || !isNat(v.problems)) return false;
  return (v.task === undefined || isTask(v.task)) && (v.reveal === undefined || isArrayOf(v.reveal, isRevealRow));
}

function isSystemRow(v: unknown): boolean {
  return isObj(v) && isStr(v.system) && [v.votes, v.wins, v.ties, v.losses, v.certain].every(isNat) && isNum(v.rate) && isInterval(v.interval) && (v.meanReward === undefined || isNum(v.meanReward));
}

function isPromptRow(v: unknown): boolean {
  return isObj(v) && isStr(v.item_id) && (v.prompt === undefined || isStr(v.prompt)) && isNat(v.votes) && isNat(v.ties) && isNumRecord(v.picks) && isStr(v.leader) && (v.rewards === undefined || isNumRecord(v.rewards));
}

export function isReportView(v: unknown): v is ReportView {
  if (!isObj(v) || !isStr(v.title) || !isArrayOf(v.sources, isStr) || !isNat(v.votes) || !isNat(v.duplicates) || !isNat(v.ties)) return false;
  if (!isNumRecord(v.annotators) || !isObj(v.confidence) || ![v.confidence.likely, v.confidence.certainly, v.confidence.none].every(isNat)) return false;
  if (!Array.isArray(v.systems) || !v.systems.every(isSystemRow) || !Array.isArray(v.prompts) || !v.prompts.every(isPromptRow) || !isArrayOf(v.notes, isStr)) return false;
  if (v.ratings !== undefined) {
    const r = v.ratings;
    if (!isObj(r) || typeof r.regularized !== 'boolean' || !Array.isArray(r.rows) || !r.rows.every((x) => isObj(x) && isStr(x.system) && isNum(x.strength) && isNum(x.elo))) return false;
  }
  if (v.agreement !== undefined) {
    const a = v.agreement;
    if (!isObj(a) || !isNat(a.votes) || !isNum(a.agreed) || !isNum(a.rate) || !isInterval(a.interval) || !isStr(a.model)) return false;
  }
  return true;
}

/** Checked by the host too: after a reload the state comes back from the webview's storage. */
export function isRestoreState(v: unknown): v is RestoreState {
  if (!isObj(v) || !isArrayOf(v.items, isStr)) return false;
  if (v.kind === 'vote') return v.items.length > 0;
  return v.kind === 'report' && isArrayOf(v.votes, isStr) && v.votes.length > 0;
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v)) return false;
  if (v.type === 'restore') return isRestoreState(v.state);
  if (v.type === 'vote') return isVoteState(v.state);
  if (v.type === 'report') return isReportView(v.report);
  return v.type === 'error' && isStr(v.message);
}
