/**
 * The pair labeler's messages, shared by the webview (webview/labeling/main.ts) and its host
 * (src/extension/labeling/labelerProvider.ts). No DOM or vscode imports: both sides compile it.
 *
 * The host owns all state (the document, which item is shown, a ranking being pressed); the webview only
 * renders what it is sent and reports keys, so a reload or a second view of the same file shows the same
 * thing, and keys typed faster than the view redraws apply in order.
 * Every message that crosses is checked with the guards below before it is used.
 */

import type { Message, TraitDiff } from '../../src/core/shared';

/** Declared in src/core/shared.ts, with the other shapes core and the webviews share. */
export type { Message, TraitDiff };

export interface RewardHint {
  /** Reward score per candidate, in candidate order. */
  scores: number[];
  /** The candidate number (1-based) the model prefers. */
  preferred: number;
  model: string;
}

export interface ItemView {
  /** 0-based document line of the item. */
  line: number;
  /** 1-based position among the file's items, for "item 3 of 12". */
  position: number;
  /** The conversation so far; empty when the file has no prompt (TRL's implicit prompt). */
  prompt: Message[];
  /** Candidate responses as text (a multi-turn response is flattened with its roles). */
  candidates: string[];
  label?: { choice: string; time: string; annotator: string; ranking?: number[] };
  /** Traits that differ most between the candidates (all measured, then scored by the model). */
  traits: TraitDiff[];
  /** Absent while the model loads, or when it cannot be loaded (see `hintError`). */
  hint?: RewardHint;
  hintError?: string;
}

export interface ViewState {
  file: string;
  /** The document's version. */
  version: number;
  progress: { total: number; labeled: number; skipped: number; invalid: number };
  /** While the file is still being read: a big file shows its first item before the rest is parsed. */
  reading?: { lines: number; of: number };
  /** Candidate numbers pressed so far on an item with three candidates or more, best first. */
  ranking: number[];
  /** Absent when the file has no item to label, or none has been read yet. */
  item?: ItemView;
}

export type HostMessage = { type: 'state'; state: ViewState };

/**
 * The labeler's keys. They reach the host through `styletune.labeler.key` keybindings (package.json):
 * VS Code runs those also while focus is still on its way into the webview (a tab click hands it to the
 * webview's frames in steps), so no key is lost. The webview's buttons send the same names.
 */
export const LABEL_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 's', 'u', 'r', 'j', 'k', 'n', 'ArrowRight', 'ArrowLeft', 'Escape', 'Backspace'] as const;
export type LabelKey = (typeof LABEL_KEYS)[number];

export type WebviewMessage = { type: 'ready' } | { type: 'key'; key: LabelKey };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

export function isLabelKey(v: unknown): v is LabelKey {
  return typeof v === 'string' && (LABEL_KEYS as readonly string[]).includes(v);
}

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObj(v)) return false;
  if (v.type === 'ready') return true;
  return v.type === 'key' && isLabelKey(v.key);
}

function isMessage(v: unknown): v is Message {
  return isObj(v) && isStr(v.role) && isStr(v.content);
}

const isNums = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

function isTraitDiff(v: unknown): v is TraitDiff {
  return isObj(v) && isStr(v.id) && isStr(v.label) && isStr(v.description) && isNums(v.values) && (v.contributions === undefined || isNums(v.contributions));
}

function isItem(v: unknown): v is ItemView {
  if (!isObj(v)) return false;
  if (!isNat(v.line) || !isNat(v.position) || !Array.isArray(v.prompt) || !v.prompt.every(isMessage)) return false;
  if (!Array.isArray(v.candidates) || v.candidates.length < 2 || !v.candidates.every(isStr)) return false;
  if (!Array.isArray(v.traits) || !v.traits.every(isTraitDiff)) return false;
  if (v.label !== undefined) {
    const l = v.label;
    if (!isObj(l) || !isStr(l.choice) || !isStr(l.time) || !isStr(l.annotator)) return false;
    if (l.ranking !== undefined && !(Array.isArray(l.ranking) && l.ranking.every(isNat))) return false;
  }
  if (v.hint !== undefined) {
    const h = v.hint;
    if (!isObj(h) || !Array.isArray(h.scores) || !h.scores.every(isNum) || !isNat(h.preferred) || !isStr(h.model)) return false;
  }
  return v.hintError === undefined || isStr(v.hintError);
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v) || v.type !== 'state' || !isObj(v.state)) return false;
  const s = v.state;
  const p = s.progress;
  if (!isStr(s.file) || !isNat(s.version) || !isObj(p) || !isNat(p.total) || !isNat(p.labeled) || !isNat(p.skipped) || !isNat(p.invalid)) return false;
  if (!Array.isArray(s.ranking) || !s.ranking.every(isNat)) return false;
  if (s.reading !== undefined && !(isObj(s.reading) && isNat(s.reading.lines) && isNat(s.reading.of))) return false;
  return s.item === undefined || isItem(s.item);
}
