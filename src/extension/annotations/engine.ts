/**
 * What the inline annotations say, computed without `vscode` (so the benchmark and unit tests run it
 * in plain Node): for a range of lines of a JSONL file or a markdown transcript, the reward of each
 * scorable item there and the traits that move it most.
 *
 * Items are cached by a hash of what their score depends on (text, context, role), not by line
 * number: after an edit, every unchanged turn is found again wherever it moved to, so only the
 * edited turn is measured again.
 *
 * A JSONL line of unlabeled candidates (the pair labeler's `{"prompt", "responses": [...]}`, or a ranking)
 * is scored as `styletune score` scores it: every candidate after the prompt, the best and the worst by
 * the same rule (core/score.ts bestAndWorst), and the spread between them as the item's number.
 *
 * An item whose record has no turn by the scored role is not scored: it comes back as `unmatched`, with
 * the speakers it does have, so the editor can say whose turns there are instead of showing nothing.
 *
 * A model that weighs LLM-judge traits needs each item's judge ratings too. They are looked up in what
 * is already paid for (a ratings file, the judge cache: core/judge/known.ts); an item without them is
 * shown as unrated, with the conversations to rate, and is never scored with made-up ratings.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { toScorable } from '../../core/formats';
import type { RatingsSource } from '../../core/judge/known';
import { responseAsMessages } from '../../core/judge/prompt';
import { recordSides, type SideOf } from '../../core/judge/ratings';
import { featureIndex, featureInfo, withRatings } from '../../core/judge/traits';
import type { RewardModel } from '../../core/reward/model';
import { shapeSparkline } from '../../core/reward/shape';
import { bestAndWorst } from '../../core/score';
import { speakersOf } from '../../core/speakers';
import { TraitExtractor } from '../../core/traits/extract';
import { parseTranscript, speakerId, type TranscriptTurn } from '../../core/transcript';
import type { CandidateSet, Message, Turns } from '../../core/types';
import { saysNothing } from '../../core/speakers';

export type AnnotationKind = 'turn' | 'dialogue' | 'pair' | 'contrastive' | 'candidates';

export interface TraitRow {
  id: string;
  label: string;
  description: string;
  /** The trait's value (for pairs: the chosen / human side; for candidates: the best one). */
  value: number;
  /** Pairs only: the rejected / ai side's value (candidates: the worst one's). */
  other?: number;
  /** w·z; for pairs the difference of the two sides' contributions (candidates: best − worst). */
  contribution: number;
  /** Shape models: the trait's fᵢ as block characters with ● where `value` sits (shape.ts shapeSparkline). */
  shape?: string;
}

export interface Annotation {
  kind: AnnotationKind;
  /** 0-based line where the item starts (a turn's speaker label, a JSONL line). */
  line: number;
  /** 0-based last line of the item. */
  endLine: number;
  /**
   * The line the inline text is shown after: the blank line below a transcript turn when there is one
   * (a wrapped paragraph leaves no room at the end of its first line), else `line`.
   */
  textLine: number;
  /** The reward; for pairs the margin (chosen − rejected, human − ai); for candidates the spread (best − worst). */
  score: number;
  /** Pairs only: both sides' rewards. */
  sides?: { names: [string, string]; scores: [number, number] };
  /** Candidate sets only: every candidate's reward, and which are best and worst (1-based, as `styletune score`). */
  candidates?: { scores: number[]; best: number; worst: number; ranking?: number[] };
  bias: number;
  /** The model's traits, largest |contribution| first. */
  traits: TraitRow[];
  /** The short inline text. */
  text: string;
  /** What the hover calls the item, when not the kind's own name (a preview: "the tuned reply vs the base reply"). */
  title?: string;
  /**
   * Set when the model weighs LLM-judge ratings and the item has none yet: then nothing is scored
   * (`score` is NaN, `traits` empty) and these are the conversations to rate, as the judge sees them.
   */
  unrated?: { role: string; conversations: Message[][] };
}

/** How many traits the inline text names. */
export const INLINE_TRAITS = 3;

type Scored = Omit<Annotation, 'line' | 'endLine' | 'textLine'>;

/** An item with no turn by the scored role: nothing to score, but its speakers say what to choose instead. */
export interface Unmatched {
  line: number;
  endLine: number;
  /** The speakers the item has (never `system`), in order of first appearance. */
  speakers: string[];
}

export interface AnnotateResult {
  annotations: Annotation[];
  unmatched: Unmatched[];
}

/** What the cache holds per item: its scores, its speakers when the role has no turn there, or null (not an item). */
type Cached = Scored | { speakers: string[] } | null;
const isUnmatched = (c: Cached | undefined): c is { speakers: string[] } => !!c && 'speakers' in c;

/** Something to score at a place in the document. */
interface Target {
  line: number;
  endLine: number;
  textLine: number;
  key: string;
  /** One row (a turn, a dialogue), two (the sides of a pair) or one per candidate, measured on demand; speakers when `role` has no turn. */
  measure(x: TraitExtractor, role: string): Measured | { speakers: string[] } | undefined;
}

interface Measured {
  kind: AnnotationKind;
  rows: Float64Array[];
  /** Candidate sets: the line's own ranking, when it has one. */
  ranking?: number[];
  /**
   * Per row, the conversation a judge rates for it (the same one `styletune judge` rates) and whose
   * side; for a JSONL line also its record, so ratings kept per game (HAL's layout) join too.
   */
  judged: { role: string; sides: Message[][]; of?: SideOf[] };
}

export type DocumentFormat = 'jsonl' | 'markdown';

/** A document as the engine needs it: its lines, read lazily (a 5,000-turn file has many). */
export interface LineSource {
  readonly lineCount: number;
  lineAt(i: number): string;
}

export interface LineRange {
  start: number;
  /** Inclusive. */
  end: number;
}

const MAX_CACHE = 50_000;
/** Longest stretch of measuring between two yields to the event loop. */
const SLICE_MS = 20;

export class AnnotationEngine {
  private cache = new Map<string, Cached>();
  private cacheFor = '';
  private readonly x = new TraitExtractor();
  /** Parsed transcripts by document identity and version: scrolling does not parse again. */
  private parsed: { id: string; turns: TranscriptTurn[] } | undefined;

  /** The annotations of `scan`, for callers that do not ask about unmatched items. */
  async annotate(...args: Parameters<AnnotationEngine['scan']>): Promise<Annotation[]> {
    return (await this.scan(...args)).annotations;
  }

  /**
   * Annotations for the items that start in `ranges`, and the items there without a turn by `role`.
   * `modelKey` names the model (file and its modification time) so that a replaced model or another
   * role never reuses old scores.
   */
  async scan(
    format: DocumentFormat,
    doc: LineSource & { id?: string },
    ranges: readonly LineRange[],
    model: RewardModel,
    modelKey: string,
    role: string,
    /** Required when the model weighs judge traits; `modelKey` should then name where ratings come from. */
    judge?: RatingsSource,
  ): Promise<AnnotateResult> {
    if (model.usesJudge && !judge) throw new Error('this reward model weighs LLM-judge ratings, and no source of ratings was given');
    const cacheFor = `${modelKey}\0${role}`;
    if (cacheFor !== this.cacheFor || this.cache.size > MAX_CACHE) {
      this.cache.clear();
      this.cacheFor = cacheFor;
    }
    const targets = format === 'jsonl' ? jsonlTargets(doc, ranges) : this.transcriptTargets(doc, ranges, role);
    const todo: { t: Target; m: Measured; rows: Float64Array[] }[] = [];
    /** Items still waiting for judge ratings: not cached, so they are looked up again once rated. */
    const unrated = new Map<string, Scored>();
    let sliceStart = performance.now();
    for (const t of targets) {
      if (this.cache.has(t.key)) continue;
      // Measuring a screenful of long dialogues can take a while on a slow machine: give the host's
      // event loop a turn now and then, so typing and scrolling never wait for more than one slice.
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
      const m = t.measure(this.x, role);
      if (!m || 'speakers' in m) this.cache.set(t.key, m && m.speakers.length ? m : null);
      else if (!judge || !model.usesJudge) todo.push({ t, m, rows: m.rows });
      else {
        const ratings = await Promise.all(m.judged.sides.map((side, i) => judge.find(side, m.judged.role, m.judged.of?.[i])));
        const missing = m.judged.sides.filter((_, i) => ratings[i] === undefined);
        if (missing.length === 0) todo.push({ t, m, rows: m.rows.map((row, i) => withRatings(row, ratings[i]!)) });
        else unrated.set(t.key, unratedItem(m.kind, { role: m.judged.role, conversations: missing }, model));
      }
    }
    if (todo.length > 0) {
      const rows = todo.flatMap((d) => d.rows);
      const scored = await model.scoreRows(rows);
      let r = 0;
      sliceStart = performance.now();
      for (const d of todo) {
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((res) => setImmediate(res));
          sliceStart = performance.now();
        }
        const sides = d.rows.map(() => ({ score: scored.score[r], values: rows[r], contributions: scored.contributions.subarray(r * model.traitIds.length, ++r * model.traitIds.length) }));
        this.cache.set(d.t.key, describe(d.m, sides, model));
      }
    }
    const out: AnnotateResult = { annotations: [], unmatched: [] };
    for (const t of targets) {
      const s = this.cache.get(t.key) ?? unrated.get(t.key);
      if (isUnmatched(s)) out.unmatched.push({ line: t.line, endLine: t.endLine, speakers: s.speakers });
      else if (s) out.annotations.push({ ...s, line: t.line, endLine: t.endLine, textLine: t.textLine });
    }
    return out;
  }

  /** Every speaker turn of a transcript (parsed once per document version). */
  turns(doc: LineSource & { id?: string }, role: string): TranscriptTurn[] {
    const id = doc.id !== undefined ? `${doc.id}\0${role}` : undefined;
    if (id !== undefined && this.parsed?.id === id) return this.parsed.turns;
    const lines: string[] = [];
    for (let i = 0; i < doc.lineCount; i++) lines.push(doc.lineAt(i));
    const turns = parseTranscript(lines.join('\n'), { speakers: [role] });
    if (id !== undefined) this.parsed = { id, turns };
    return turns;
  }

  private transcriptTargets(doc: LineSource & { id?: string }, ranges: readonly LineRange[], role: string): Target[] {
    const turns = this.turns(doc, role);
    const out: Target[] = [];
    const wanted = speakerId(role);
    if (!turns.some((t) => t.role === wanted)) return unmatchedTranscript(turns, ranges);
    // The partner's last turn before each turn of `role`: that turn is scored in its context.
    let partner: Message | undefined;
    let r = 0;
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    for (const turn of turns) {
      if (turn.role === wanted) {
        while (r < sorted.length && sorted[r].end < turn.line) r++;
        if (r >= sorted.length) break;
        if (turn.line >= sorted[r].start) {
          const messages: Message[] = partner ? [{ role: partner.role, content: partner.content }, { role: turn.role, content: turn.content }] : [{ role: turn.role, content: turn.content }];
          const below = turn.endLine + 1;
          out.push({
            line: turn.line,
            endLine: turn.endLine,
            textLine: below < doc.lineCount && !doc.lineAt(below).trim() ? below : turn.line,
            key: hash(`turn\0${partner?.content ?? ''}\0${turn.content}`),
            measure: (x) => {
              if (!turn.content) return undefined;
              const m = x.measureDialogue(messages, { role: turn.role });
              return m.turns > 0 ? { kind: 'turn', rows: [m.values], judged: { role: turn.role, sides: [messages] } } : undefined;
            },
          });
        }
      } else if (turn.role !== 'system') partner = turn;
    }
    return out;
  }
}

/**
 * A transcript without a single turn by the role: one unmatched item, its first turn on screen, naming
 * every speaker of the transcript (a turn-by-turn list would repeat the same news on every turn).
 */
function unmatchedTranscript(turns: readonly TranscriptTurn[], ranges: readonly LineRange[]): Target[] {
  const speakers = speakersOf(turns);
  const first = turns.find((t) => ranges.some((r) => r.start <= t.line && t.line <= r.end));
  if (!first || speakers.length === 0) return [];
  return [{ line: first.line, endLine: first.endLine, textLine: first.line, key: hash(`speakers\0${speakers.join('\0')}`), measure: () => ({ speakers }) }];
}

/**
 * Why a record has nothing to score: its speakers, when `role` is not among them. A record where `role`
 * speaks on one side only, or says nothing, is a data problem for the Problems panel, not a role to choose.
 */
function noTurnsBy(role: string, messages: readonly Message[]): { speakers: string[] } | undefined {
  const speakers = speakersOf(messages);
  return speakers.length && !speakers.includes(role) ? { speakers } : undefined;
}

function jsonlTargets(doc: LineSource, ranges: readonly LineRange[]): Target[] {
  const out: Target[] = [];
  const seen = new Set<number>();
  for (const range of ranges) {
    for (let i = Math.max(0, range.start); i <= Math.min(doc.lineCount - 1, range.end); i++) {
      if (seen.has(i)) continue;
      seen.add(i);
      const text = doc.lineAt(i);
      if (!text.trim()) continue;
      out.push({ line: i, endLine: i, textLine: i, key: hash(`jsonl\0${text}`), measure: (x, role) => measureJsonLine(x, text, i, role) });
    }
  }
  return out;
}

/**
 * A malformed line has no annotation: the Problems panel (Score Current File) is where it is explained.
 * A record without a turn by `role` returns its speakers.
 */
function measureJsonLine(x: TraitExtractor, text: string, line: number, role: string): Measured | { speakers: string[] } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = toScorable(value, '', line + 1);
  if (!('record' in parsed)) return undefined;
  const record = parsed.record;
  // A line with an empty reply has no score (Score Current File lists it as a problem): no annotation.
  const replies = record.kind === 'dialogue' ? [record.dialogue.messages] : record.kind === 'pair' ? [record.pair.chosen, record.pair.rejected]
    : record.kind === 'contrastive' ? [record.pair.human.messages, record.pair.ai.messages] : record.candidates.responses;
  if (replies.some((t) => saysNothing(t, role))) return undefined;
  if (record.kind === 'candidates') return measureCandidates(x, record.candidates, role);
  const both = (a: { turns: number; values: Float64Array }, b: { turns: number; values: Float64Array }) =>
    a.turns > 0 && b.turns > 0 ? [a.values, b.values] : undefined;
  const side = (t: Turns) => (typeof t === 'string' ? [] : t);
  // The sides as `styletune judge` rates them, so a ratings file beside the JSONL joins by hash.
  const sides = recordSides(record, role);
  const judged = { role, sides: sides.map((s) => s.messages), of: sides.map((s) => ({ record, side: s.name })) };
  switch (record.kind) {
    case 'dialogue': {
      const m = x.measureDialogue(record.dialogue.messages, { role });
      return m.turns > 0 ? { kind: 'dialogue', rows: [m.values], judged } : noTurnsBy(role, record.dialogue.messages);
    }
    case 'pair': {
      const chosen = x.measureResponse(record.pair.chosen, record.pair.prompt, { role });
      const rows = both(chosen, x.measureResponse(record.pair.rejected, record.pair.prompt, { role }));
      return rows ? { kind: 'pair', rows, judged } : noTurnsBy(role, [...side(record.pair.chosen), ...side(record.pair.rejected)]);
    }
    case 'contrastive': {
      const human = x.measureDialogue(record.pair.human.messages, { role });
      const rows = both(human, x.measureDialogue(record.pair.ai.messages, { role }));
      return rows ? { kind: 'contrastive', rows, judged } : noTurnsBy(role, [...record.pair.human.messages, ...record.pair.ai.messages]);
    }
  }
}

/** Each candidate as `styletune score` measures it: the response after the prompt, like a pair's side. */
function measureCandidates(x: TraitExtractor, set: CandidateSet, role: string): Measured | { speakers: string[] } | undefined {
  const { prompt, responses, ranking } = set;
  const rows: Float64Array[] = [];
  for (const response of responses) {
    const m = x.measureResponse(response, prompt, { role });
    if (m.turns === 0) return noTurnsBy(role, responses.flatMap((r) => (typeof r === 'string' ? [] : r)));
    rows.push(m.values);
  }
  // The conversations as the judge's cache knows them (rated on screen: "Rate with LLM Judge (Visible Items)").
  const judged = { role, sides: responses.map((r) => responseAsMessages(r, prompt, role)) };
  return ranking ? { kind: 'candidates', rows, ranking, judged } : { kind: 'candidates', rows, judged };
}

const SIDE_NAMES: Record<'pair' | 'contrastive', [string, string]> = { pair: ['chosen', 'rejected'], contrastive: ['human', 'ai'] };

function describe(m: Pick<Measured, 'kind' | 'ranking'>, sides: { score: number; values: Float64Array; contributions: Float64Array }[], model: RewardModel): Scored {
  const { kind } = m;
  // Candidates: the traits that separate the best from the worst, as the inspector's rows show them.
  const set = kind === 'candidates' ? { scores: sides.map((s) => s.score), ...bestAndWorst(sides.map((s) => s.score)), ...(m.ranking ? { ranking: m.ranking } : {}) } : undefined;
  const [a, b] = set ? [sides[set.best - 1], sides[set.worst - 1]] : sides;
  const traits: TraitRow[] = model.traitIds.map((id, j) => {
    const at = featureIndex(id);
    const row: TraitRow = { id, ...featureInfo(id), value: a.values[at], contribution: a.contributions[j] };
    const spark = shapeSparkline(model.spec, j, a.values[at]);
    if (spark) row.shape = spark;
    if (b) {
      row.other = b.values[at];
      row.contribution -= b.contributions[j];
    }
    return row;
  });
  traits.sort((p, q) => Math.abs(q.contribution) - Math.abs(p.contribution));
  const score = b ? a.score - b.score : a.score;
  const scored: Scored = { kind, score, bias: model.bias, traits, text: '' };
  if (b && (kind === 'pair' || kind === 'contrastive')) scored.sides = { names: SIDE_NAMES[kind], scores: [a.score, b.score] };
  if (set) scored.candidates = set;
  scored.text = inlineText(scored);
  return scored;
}

function unratedItem(kind: AnnotationKind, unrated: NonNullable<Annotation['unrated']>, model: RewardModel): Scored {
  const scored: Scored = { kind, score: NaN, bias: model.bias, traits: [], text: 'reward: needs LLM-judge ratings (hover to rate)', unrated };
  if (kind === 'pair' || kind === 'contrastive') scored.sides = { names: SIDE_NAMES[kind], scores: [NaN, NaN] };
  return scored;
}

/** The command a hover offers to rate unrated items with (registered in annotations/index.ts). */
export const RATE_VISIBLE_COMMAND = 'styletune.judge.rateVisible';

/**
 * "reward −1.24 · AI self-reference −0.66 · Lowercase starts +0.41"; a pair's head is its margin
 * ("chosen − rejected +0.80"), a candidate set's its spread with every candidate's reward
 * ("best #2 − worst #1 +1.31 (#1 −0.62, #2 +0.69)").
 */
export function inlineText(a: Pick<Annotation, 'kind' | 'score' | 'traits' | 'sides' | 'candidates'>): string {
  const head = a.sides
    ? `${a.sides.names[0]} − ${a.sides.names[1]} ${signed(a.score)}`
    : a.candidates
      ? `best #${a.candidates.best} − worst #${a.candidates.worst} ${signed(a.score)} (${candidateList(a.candidates)})`
      : `reward ${signed(a.score)}`;
  const top = a.traits.filter((t) => Math.abs(t.contribution) >= 0.005).slice(0, INLINE_TRAITS);
  return [head, ...top.map((t) => `${t.label} ${signed(t.contribution)}`)].join(' · ');
}

/** "#1 −0.62, #2 +0.69; ranked #2 > #1": each candidate's reward, and the line's own ranking. */
function candidateList(c: NonNullable<Annotation['candidates']>): string {
  const scores = c.scores.map((s, i) => `#${i + 1} ${signed(s)}`).join(', ');
  return c.ranking ? `${scores}; ranked ${c.ranking.map((n) => `#${n}`).join(' > ')}` : scores;
}

const TITLES: Record<AnnotationKind, string> = {
  turn: 'this turn',
  dialogue: 'this dialogue',
  pair: 'this pair',
  contrastive: 'this contrastive pair',
  candidates: 'these candidates',
};

/** The hover: the full per-trait table, as markdown. */
export function hoverMarkdown(a: Annotation): string {
  const title = a.title ?? TITLES[a.kind];
  const out: string[] = [];
  if (a.unrated) {
    const n = a.unrated.conversations.length;
    out.push(
      `**StyleTune reward of ${title}**: not scored yet`,
      '',
      `The reward model weighs LLM-judge ratings (\`judge.hal…\` traits), and ${n === 1 ? 'this item has' : `${n} of this item's sides have`} none yet.`,
      '',
      `[Rate the visible items with the LLM judge](command:${RATE_VISIBLE_COMMAND}) (sends them to \`styletune.judge.baseUrl\`; answers are cached, so nothing is paid twice), or run **StyleTune: Rate with LLM Judge** on a JSONL file.`,
    );
    return out.join('\n');
  }
  if (a.candidates) {
    const c = a.candidates;
    const each = c.scores.map((s, i) => `#${i + 1} ${fmt(s)}${i + 1 === c.best ? ' (best)' : i + 1 === c.worst ? ' (worst)' : ''}`).join(', ');
    out.push(`**StyleTune reward of ${title}**: ${each}; spread (best − worst) **${signed(a.score)}**`, '');
    if (c.ranking) out.push(`Ranked ${c.ranking.map((n) => `#${n}`).join(' > ')}: the reward's best, #${c.best}, is ranked ${ordinal(c.ranking.indexOf(c.best) + 1)} of ${c.ranking.length}.`, '');
    out.push(`| Trait | Best #${c.best} | Worst #${c.worst} | Δ contribution |`, '|---|--:|--:|--:|');
    for (const t of a.traits) out.push(`| ${cell(t)} | ${fmt(t.value)} | ${fmt(t.other ?? 0)} | ${signed(t.contribution)} |`);
  } else if (a.sides) {
    const [p, q] = a.sides.names;
    out.push(`**StyleTune reward of ${title}**: ${p} ${fmt(a.sides.scores[0])}, ${q} ${fmt(a.sides.scores[1])}, margin **${signed(a.score)}**`, '');
    out.push(`| Trait | ${cap(p)} | ${cap(q)} | Δ contribution |`, '|---|--:|--:|--:|');
    for (const t of a.traits) out.push(`| ${cell(t)} | ${fmt(t.value)} | ${fmt(t.other ?? 0)} | ${signed(t.contribution)} |`);
  } else {
    out.push(`**StyleTune reward of ${title}**: **${signed(a.score)}** (bias ${signed(a.bias)} + contributions)`, '');
    // The shape column: the trait's fᵢ over its range, ● where this value sits (shape models only).
    const shapes = a.traits.some((t) => t.shape);
    out.push(shapes ? '| Trait | Value | Contribution | Shape (● this value) |' : '| Trait | Value | Contribution |', shapes ? '|---|--:|--:|:--|' : '|---|--:|--:|');
    for (const t of a.traits) out.push(`| ${cell(t)} | ${fmt(t.value)} | ${signed(t.contribution)} |${shapes ? ` ${t.shape ?? ''} |` : ''}`);
  }
  return out.join('\n');
}

const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
/** Markdown table cells must not contain pipes. */
const cell = (t: TraitRow) => `${t.label} \`${t.id}\``.replace(/\|/g, '\\|');
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)).replace('-', '−');
export const signed = (v: number) => (v < -0.005 ? `−${Math.abs(v).toFixed(2)}` : `+${Math.abs(v).toFixed(2)}`);

function hash(s: string): string {
  return createHash('sha1').update(s).digest('base64');
}
