/**
 * The rewrite preview's messages, shared by the webview (webview/preview/main.ts) and its host
 * (src/extension/preview/panel.ts). The host owns the state and sends all of it on every change; the
 * webview renders it and reports intents. Both sides check what they receive with the guards below.
 */

import type { Message } from '../../src/core/shared';

/** Declared in src/core/shared.ts, with the other shapes core and the webviews share. */
export type { Message };

export interface SideView {
  text: string;
  /** Reward of the response; absent until scored (or when the reward model failed to load). */
  score?: number;
  tokens?: number;
}

export interface TraitRow {
  id: string;
  label: string;
  description: string;
  base: number;
  tuned: number;
  /** tuned − base contribution to the reward. */
  delta: number;
}

export type Status = 'generating' | 'done' | 'error' | 'cancelled';

export interface PreviewView {
  /** A new number per preview run: the webview's acknowledgement names the run it rendered. */
  id: number;
  status: Status;
  /** Progress or failure, in plain words. */
  message?: string;
  prompt: Message[];
  /** Short names of the base model, the adapter (its job folder) and the reward model. */
  model: string;
  adapter: string;
  rewardModel: string;
  seed: number;
  base?: SideView;
  tuned?: SideView;
  /** tuned − base reward, once both are scored. */
  rewardDelta?: number;
  /** The traits whose contribution changed most, largest |delta| first. */
  traits: TraitRow[];
  /** The base model is the tiny random test model (make-tiny-model): its replies are noise, and the page says so. */
  tinyTestModel?: boolean;
  /** The last pair line written from this preview. */
  appended?: { file: string; line: number; choice: 'unlabeled' | 'tuned' | 'base' };
}

export type HostMessage = { type: 'state'; state: PreviewView };

export type ViewMessage =
  | { type: 'ready' }
  | { type: 'append' }
  | { type: 'openLabeler' }
  | { type: 'regenerate' }
  /** What the page shows after rendering state `id`: lets tests check the webview, not just the host. */
  | { type: 'rendered'; id: number; status: Status; base?: string; tuned?: string; scores: number[]; traits: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNat = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const optStr = (v: unknown) => v === undefined || isStr(v);
const isStatus = (v: unknown): v is Status => v === 'generating' || v === 'done' || v === 'error' || v === 'cancelled';

/** Host side: a message from the webview. */
export function isViewMessage(v: unknown): v is ViewMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'append':
    case 'openLabeler':
    case 'regenerate':
      return true;
    case 'rendered':
      return isNat(v.id) && isStatus(v.status) && optStr(v.base) && optStr(v.tuned) && Array.isArray(v.scores) && v.scores.length <= 2 && v.scores.every(isNum) && isNat(v.traits);
    default:
      return false;
  }
}

function isSide(v: unknown): v is SideView {
  return isObj(v) && isStr(v.text) && (v.score === undefined || isNum(v.score)) && (v.tokens === undefined || isNat(v.tokens));
}

function isRow(v: unknown): v is TraitRow {
  return isObj(v) && isStr(v.id) && isStr(v.label) && isStr(v.description) && isNum(v.base) && isNum(v.tuned) && isNum(v.delta);
}

/** Webview side: a message from the host. */
export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v) || v.type !== 'state' || !isObj(v.state)) return false;
  const s = v.state;
  if (!isNat(s.id) || !isStatus(s.status) || !optStr(s.message) || !isStr(s.model) || !isStr(s.adapter) || !isStr(s.rewardModel) || !isNat(s.seed)) return false;
  if (!Array.isArray(s.prompt) || !s.prompt.every((m) => isObj(m) && isStr(m.role) && isStr(m.content))) return false;
  if ((s.base !== undefined && !isSide(s.base)) || (s.tuned !== undefined && !isSide(s.tuned))) return false;
  if (s.rewardDelta !== undefined && !isNum(s.rewardDelta)) return false;
  if (s.tinyTestModel !== undefined && typeof s.tinyTestModel !== 'boolean') return false;
  if (!Array.isArray(s.traits) || !s.traits.every(isRow)) return false;
  if (s.appended !== undefined) {
    const a = s.appended;
    if (!isObj(a) || !isStr(a.file) || !isNat(a.line) || !(a.choice === 'unlabeled' || a.choice === 'tuned' || a.choice === 'base')) return false;
  }
  return true;
}
