/**
 * The dataset inspector's messages, shared by the extension host (src/extension/inspector) and the
 * webview (webview/inspector/main.ts). Either side validates everything it receives with the guards
 * below, made from the messages' schemas (webview/shared/schema.ts): a webview is a web page, and a
 * message is only data until checked.
 *
 * The rows stay in the extension host. The webview holds a query and asks for the window of rows it
 * can show (`getRows`); each new order gets a `version`, so late answers for an old order are dropped.
 */

import * as v from 'valibot';
import { anyNumber, bool, guard, message, nat, num, optional, record, str } from '../shared/schema';

const kind = v.picklist(['dialogue', 'pair', 'contrastive', 'candidates']);
export type Kind = v.InferOutput<typeof kind>;
/** What a file holds: one kind, or several (e.g. a pairs file being labeled: decided pairs and candidates). */
const fileKind = v.picklist([...kind.options, 'mixed', 'empty']);
export type FileKind = v.InferOutput<typeof fileKind>;

/** A candidate set's row: how many, which scored best and worst (1-based), which one its ranking puts first. */
const candidatesInfo = v.object({ n: nat, best: nat, worst: nat, rankedFirst: optional(nat) });
export type CandidatesInfo = v.InferOutput<typeof candidatesInfo>;

const traitInfo = v.object({ id: str, label: str, description: str, weight: num });
export type TraitInfo = v.InferOutput<typeof traitInfo>;

const query = v.object({
  /** `line`, `score`, `a`, `b` or `trait:<id>`. */
  sort: v.pipe(str, v.maxLength(200)),
  desc: bool,
  search: v.pipe(str, v.maxLength(1000)),
  filter: optional(v.object({ key: str, min: optional(num), max: optional(num) })),
});
export type Query = v.InferOutput<typeof query>;

/** What the webview keeps across reloads (vscode.setState) and the serializer hands back. */
const viewState = v.object({ uri: str, query, shown: v.array(str), selected: optional(nat) });
export type ViewState = v.InferOutput<typeof viewState>;

const row = v.object({
  line: nat,
  kind,
  score: anyNumber,
  // The two sides' scores were never checked (the host computes them; the table prints whatever it gets).
  a: optional(v.custom<number>(() => true)),
  b: optional(v.custom<number>(() => true)),
  candidates: optional(candidatesInfo),
  /** Per model trait (model order): the value (pairs: difference) and what it adds to the score. */
  values: v.array(anyNumber),
  contributions: v.array(anyNumber),
});
export type RowData = v.InferOutput<typeof row>;

const histogram = v.object({ min: num, max: num, counts: v.array(anyNumber) });
export type HistogramData = v.InferOutput<typeof histogram>;

const span = v.object({ turn: nat, start: nat, end: nat, trait: str });
export type Span = v.InferOutput<typeof span>;

const detailSide = v.object({
  label: str,
  context: v.array(message),
  messages: v.array(message),
  score: anyNumber,
  /** shape: the trait's fᵢ in block characters with ● where the value sits (shape models only). */
  traits: v.array(v.object({ id: str, value: anyNumber, contribution: anyNumber, shape: optional(str) })),
  evidence: v.array(span),
});
export type DetailSide = v.InferOutput<typeof detailSide>;

/** How many of `of` agree with their label (pairs: positive margin; ranked candidates: best ranked first). */
const agreement = v.pipe(
  v.object({ agree: nat, of: nat }),
  v.check((a) => a.agree <= a.of),
);
export type Agreement = v.InferOutput<typeof agreement>;

const hostMessage = v.variant('type', [
  v.object({ type: v.literal('init'), file: str, uri: str, kind: fileKind, traits: v.array(traitInfo), shown: v.array(str), query, selected: optional(nat) }),
  v.object({ type: v.literal('progress'), done: nat, total: nat, rows: nat, problems: nat, finished: bool }),
  /** seq: the number of the page's query this order answers (0: the host's own, before the page's first). */
  v.object({ type: v.literal('view'), version: nat, total: nat, seq: nat }),
  v.object({ type: v.literal('rows'), version: nat, start: nat, rows: v.array(row) }),
  v.object({ type: v.literal('stats'), traits: record(histogram), scores: histogram, agreement: optional(agreement), ranked: optional(agreement) }),
  v.object({ type: v.literal('detail'), line: nat, kind, sides: v.array(detailSide) }),
  v.object({ type: v.literal('error'), message: str }),
  /**
   * Once per scoring run: what to know before reading the table, or '' for nothing. Most lines without
   * turns by the scored role (`speakers`: the roles they have, each offered as the one to score), else
   * the reward model's out-of-domain notice.
   */
  v.object({ type: v.literal('notice'), message: str, speakers: optional(v.array(str)) }),
]);
export type HostMessage = v.InferOutput<typeof hostMessage>;

const line = v.pipe(nat, v.minValue(1));
const viewMessage = v.pipe(
  v.variant('type', [
    v.object({ type: v.literal('ready') }),
    /** seq: numbers the page's queries (from 1, per page load), so that a view says which one it answers. */
    v.object({ type: v.literal('query'), query, seq: nat }),
    v.object({ type: v.literal('getRows'), version: nat, start: nat, end: nat }),
    v.object({ type: v.literal('select'), line }),
    v.object({ type: v.literal('reveal'), line }),
    /** One of the notice's speakers, to make the scored role (styletune.role). */
    v.object({ type: v.literal('chooseRole'), role: str }),
  ]),
  // A window the webview can show: never backwards, never more than 1000 rows at once.
  v.check((m) => m.type !== 'getRows' || (m.end >= m.start && m.end - m.start <= 1000)),
);
export type ViewMessage = v.InferOutput<typeof viewMessage>;

export const isQuery = guard(query);
export const isViewState = guard(viewState);
/** Host side: a message from the webview. */
export const isViewMessage = guard(viewMessage);
/** Webview side: a message from the extension host. */
export const isHostMessage = guard(hostMessage);
