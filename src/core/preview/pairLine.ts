/**
 * A preview as a line of a pairs file, closing the loop: preview → label → train on it.
 *
 * By default the line is the pair labeler's unlabeled item, `{"prompt", "responses": [base, tuned],
 * "preview": {…}}`: nothing trains on it until someone picks a side in the labeler (formats.ts reports
 * it as "unlabeled" rather than reading it as a pair). When the user already decided in the preview,
 * the line is written exactly as the labeler writes a decision (`chosen`/`rejected` + `label`, and
 * `responses` kept so the label can be changed later), which is a TRL pair the trainer reads.
 *
 * The form follows the prompt: a text prompt gives text responses; a conversation gives message lists
 * (the trainer refuses lines that mix the two).
 */
import { applyDecision, unlabeledLine } from '../labeling';
import type { Turns } from '../types';

export type PairForm = 'text' | 'conversational';

/** Who is preferred, if the user said so in the preview. */
export type PairChoice = 'unlabeled' | 'tuned' | 'base';

export interface PreviewPairInput {
  prompt: Turns;
  base: string;
  tuned: string;
  meta: {
    model: string;
    adapter: string;
    seed: number;
    /** Reward of base and tuned, in that order. */
    rewards: [number, number];
    rewardModel: string;
    /** Where the prompt came from: a file relative to the workspace and 1-based line. */
    source?: { file: string; line: number };
  };
}

export interface PairLineOptions {
  choice: PairChoice;
  /** The form of the pairs already in the file, so the new line does not mix forms. */
  form?: PairForm;
  /** For a decided line: when and by whom (the labeler's `label` fields). */
  label?: { time: string; annotator: string };
}

/** The candidates' order in `responses`: base first, as the preview shows them (left, right). */
export const PREVIEW_SOURCES = ['base', 'adapter'] as const;

export function previewPairLine(p: PreviewPairInput, o: PairLineOptions): string {
  const form = o.form ?? (typeof p.prompt === 'string' || (p.prompt.length === 1 && p.prompt[0].role === 'user') ? 'text' : 'conversational');
  let prompt: Turns;
  let responses: Turns[];
  if (form === 'text') {
    if (typeof p.prompt !== 'string' && !(p.prompt.length === 1 && p.prompt[0].role === 'user')) {
      throw new Error('this prompt is a conversation of several turns; it can only be written as a conversational pair');
    }
    prompt = typeof p.prompt === 'string' ? p.prompt : p.prompt[0].content;
    responses = [p.base, p.tuned];
  } else {
    prompt = typeof p.prompt === 'string' ? [{ role: 'user', content: p.prompt }] : p.prompt;
    responses = [p.base, p.tuned].map((content) => [{ role: 'assistant', content }]);
  }
  const { source, ...meta } = p.meta;
  const extra: Record<string, unknown> = { prompt };
  if (source) extra.source = source;
  extra.preview = { ...meta, sources: PREVIEW_SOURCES };
  const line = unlabeledLine(responses, extra);
  if (o.choice === 'unlabeled') return line;
  if (!o.label) throw new Error('a decided pair needs the label time and annotator');
  return applyDecision(line, { choice: o.choice === 'base' ? '1' : '2' }, o.label);
}

/**
 * The form of the first pair in a pairs file's text (TRL pairs and the labeler's items), or undefined
 * for a file without one. A pair's form is its response's: strings are text, message lists conversational.
 */
export function pairsFileForm(text: string): PairForm | undefined {
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const o = v as Record<string, unknown>;
    const response = Array.isArray(o.responses) ? o.responses[0] : o.chosen;
    if (typeof response === 'string') return 'text';
    if (Array.isArray(response)) return 'conversational';
  }
  return undefined;
}
