/**
 * The dataset inspector's messages, shared by the extension host (src/extension/inspector) and the
 * webview (webview/inspector/main.ts). Either side validates everything it receives with the guards
 * below: a webview is a web page, and a message is only data until checked.
 *
 * The rows stay in the extension host. The webview holds a query and asks for the window of rows it
 * can show (`getRows`); each new order gets a `version`, so late answers for an old order are dropped.
 */

export type Kind = 'dialogue' | 'pair' | 'contrastive' | 'candidates';
/** What a file holds: one kind, or several (e.g. a pairs file being labeled: decided pairs and candidates). */
export type FileKind = Kind | 'mixed' | 'empty';

/** A candidate set's row: how many, which scored best and worst (1-based), which one its ranking puts first. */
export interface CandidatesInfo {
  n: number;
  best: number;
  worst: number;
  rankedFirst?: number;
}

export interface TraitInfo {
  id: string;
  label: string;
  description: string;
  weight: number;
}

export interface Query {
  /** `line`, `score`, `a`, `b` or `trait:<id>`. */
  sort: string;
  desc: boolean;
  search: string;
  filter?: { key: string; min?: number; max?: number };
}

/** What the webview keeps across reloads (vscode.setState) and the serializer hands back. */
export interface ViewState {
  uri: string;
  query: Query;
  shown: string[];
  selected?: number;
}

export interface RowData {
  line: number;
  kind: Kind;
  score: number;
  a?: number;
  b?: number;
  candidates?: CandidatesInfo;
  /** Per model trait (model order): the value (pairs: difference) and what it adds to the score. */
  values: number[];
  contributions: number[];
}

export interface HistogramData {
  min: number;
  max: number;
  counts: number[];
}

export interface Span {
  turn: number;
  start: number;
  end: number;
  trait: string;
}

export interface DetailSide {
  label: string;
  context: { role: string; content: string }[];
  messages: { role: string; content: string }[];
  score: number;
  /** shape: the trait's fᵢ in block characters with ● where the value sits (shape models only). */
  traits: { id: string; value: number; contribution: number; shape?: string }[];
  evidence: Span[];
}

export type HostMessage =
  | { type: 'init'; file: string; uri: string; kind: FileKind; traits: TraitInfo[]; shown: string[]; query: Query; selected?: number }
  | { type: 'progress'; done: number; total: number; rows: number; problems: number; finished: boolean }
  | { type: 'view'; version: number; total: number }
  | { type: 'rows'; version: number; start: number; rows: RowData[] }
  | { type: 'stats'; traits: Record<string, HistogramData>; scores: HistogramData; agreement?: Agreement; ranked?: Agreement }
  | { type: 'detail'; line: number; kind: Kind; sides: DetailSide[] }
  | { type: 'error'; message: string }
  /** Once per scoring run: the reward model's out-of-domain notice for this file, or '' for none. */
  | { type: 'notice'; message: string };

/** How many of `of` agree with their label (pairs: positive margin; ranked candidates: best ranked first). */
export interface Agreement {
  agree: number;
  of: number;
}

export type ViewMessage =
  | { type: 'ready' }
  | { type: 'query'; query: Query }
  | { type: 'getRows'; version: number; start: number; end: number }
  | { type: 'select'; line: number }
  | { type: 'reveal'; line: number };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNumArray = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === 'number');
const isKind = (x: unknown): x is Kind => x === 'dialogue' || x === 'pair' || x === 'contrastive' || x === 'candidates';
const optNum = (x: unknown) => x === undefined || isNum(x);
const isAgreement = (x: unknown) => isObj(x) && isInt(x.agree) && isInt(x.of) && x.agree <= x.of;
const isCandidatesInfo = (x: unknown) => isObj(x) && isInt(x.n) && isInt(x.best) && isInt(x.worst) && (x.rankedFirst === undefined || isInt(x.rankedFirst));

export function isQuery(x: unknown): x is Query {
  if (!isObj(x) || !isStr(x.sort) || x.sort.length > 200 || typeof x.desc !== 'boolean' || !isStr(x.search) || x.search.length > 1000) return false;
  if (x.filter === undefined) return true;
  const f = x.filter;
  return isObj(f) && isStr(f.key) && optNum(f.min) && optNum(f.max);
}

export function isViewState(x: unknown): x is ViewState {
  return isObj(x) && isStr(x.uri) && isQuery(x.query) && Array.isArray(x.shown) && x.shown.every(isStr) && (x.selected === undefined || isInt(x.selected));
}

/** Host side: a message from the webview. */
export function isViewMessage(x: unknown): x is ViewMessage {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'query':
      return isQuery(x.query);
    case 'getRows':
      return isInt(x.version) && isInt(x.start) && isInt(x.end) && x.end >= x.start && x.end - x.start <= 1000;
    case 'select':
    case 'reveal':
      return isInt(x.line) && x.line >= 1;
    default:
      return false;
  }
}

function isHistogram(x: unknown): x is HistogramData {
  return isObj(x) && isNum(x.min) && isNum(x.max) && isNumArray(x.counts);
}

function isRow(x: unknown): x is RowData {
  return isObj(x) && isInt(x.line) && isKind(x.kind) && typeof x.score === 'number' && isNumArray(x.values) && isNumArray(x.contributions) && (x.candidates === undefined || isCandidatesInfo(x.candidates));
}

function isMessageList(x: unknown): x is { role: string; content: string }[] {
  return Array.isArray(x) && x.every((m) => isObj(m) && isStr(m.role) && isStr(m.content));
}

function isSide(x: unknown): x is DetailSide {
  return (
    isObj(x) &&
    isStr(x.label) &&
    isMessageList(x.context) &&
    isMessageList(x.messages) &&
    typeof x.score === 'number' &&
    Array.isArray(x.traits) &&
    x.traits.every((t) => isObj(t) && isStr(t.id) && typeof t.value === 'number' && typeof t.contribution === 'number' && (t.shape === undefined || isStr(t.shape))) &&
    Array.isArray(x.evidence) &&
    x.evidence.every((e) => isObj(e) && isInt(e.turn) && isInt(e.start) && isInt(e.end) && isStr(e.trait))
  );
}

/** Webview side: a message from the extension host. */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'init':
      return (
        isStr(x.file) &&
        isStr(x.uri) &&
        (isKind(x.kind) || x.kind === 'mixed' || x.kind === 'empty') &&
        Array.isArray(x.traits) &&
        x.traits.every((t) => isObj(t) && isStr(t.id) && isStr(t.label) && isStr(t.description) && isNum(t.weight)) &&
        Array.isArray(x.shown) &&
        x.shown.every(isStr) &&
        isQuery(x.query) &&
        (x.selected === undefined || isInt(x.selected))
      );
    case 'progress':
      return isInt(x.done) && isInt(x.total) && isInt(x.rows) && isInt(x.problems) && typeof x.finished === 'boolean';
    case 'view':
      return isInt(x.version) && isInt(x.total);
    case 'rows':
      return isInt(x.version) && isInt(x.start) && Array.isArray(x.rows) && x.rows.every(isRow);
    case 'stats':
      return isObj(x.traits) && Object.values(x.traits).every(isHistogram) && isHistogram(x.scores) && (x.agreement === undefined || isAgreement(x.agreement)) && (x.ranked === undefined || isAgreement(x.ranked));
    case 'detail':
      return isInt(x.line) && isKind(x.kind) && Array.isArray(x.sides) && x.sides.every(isSide);
    case 'error':
    case 'notice':
      return isStr(x.message);
    default:
      return false;
  }
}
