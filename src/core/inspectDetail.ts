/**
 * One line of a dataset explained for the inspector's detail pane: the conversation, where each trait
 * fired (evidence spans) and what each trait adds to the score. Measured with evidence on, which is
 * slower than bulk scoring: only ever for the line the user selected.
 */
import { toScorable, turnsToMessages } from './formats';
import type { RewardModel } from './reward/model';
import { bestAndWorst } from './score';
import type { RatingsSource } from './judge/known';
import { joinRatings } from './judge/score';
import { featureIndex } from './judge/traits';
import { shapeSparkline } from './reward/shape';
import { TraitExtractor, type Evidence, type Measurement } from './traits/extract';
import type { Message, Turns } from './types';

export interface DetailSide {
  /** "dialogue", "chosen", "rejected", "human", "ai". */
  label: string;
  /** Shown before the measured turns and not measured (a pair's prompt). */
  context: Message[];
  messages: Message[];
  score: number;
  /** Model traits: contribution to the score and the measured value (shape models: where it sits on fᵢ). */
  traits: { id: string; value: number; contribution: number; shape?: string }[];
  /** Spans in `messages[turn].content`, only for the model's traits. */
  evidence: Evidence[];
}

export interface LineDetail {
  line: number;
  kind: 'dialogue' | 'pair' | 'contrastive' | 'candidates';
  sides: DetailSide[];
}

/** `lineText` is the raw JSONL line; returns undefined when it is not a valid record. */
/** With `judge`, each side's judge ratings join its lexical traits (a model that weighs judge traits needs them). */
export async function explainLine(lineText: string, line: number, model: RewardModel, role?: string, judge?: RatingsSource): Promise<LineDetail | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(lineText);
  } catch {
    return undefined;
  }
  const parsed = toScorable(value, '', line);
  if (!('record' in parsed)) return undefined;
  const r = parsed.record;
  const who = role ?? model.spec.role;
  const x = new TraitExtractor();
  const opts = { role: who, evidence: true };
  const sides: { label: string; context: Message[]; messages: Message[]; m: Measurement }[] = [];
  switch (r.kind) {
    case 'dialogue':
      sides.push({ label: 'dialogue', context: [], messages: r.dialogue.messages, m: x.measureDialogue(r.dialogue.messages, opts) });
      break;
    case 'pair': {
      const context = r.pair.prompt === undefined ? [] : turnsToMessages(r.pair.prompt, 'user');
      const side = (label: string, t: Turns) => ({ label, context, messages: turnsToMessages(t, who), m: x.measureResponse(t, r.pair.prompt, opts) });
      sides.push(side('chosen', r.pair.chosen), side('rejected', r.pair.rejected));
      break;
    }
    case 'contrastive':
      sides.push({ label: 'human', context: [], messages: r.pair.human.messages, m: x.measureDialogue(r.pair.human.messages, opts) });
      sides.push({ label: 'ai', context: [], messages: r.pair.ai.messages, m: x.measureDialogue(r.pair.ai.messages, opts) });
      break;
    case 'candidates': {
      const { prompt, responses } = r.candidates;
      const context = prompt === undefined ? [] : turnsToMessages(prompt, 'user');
      responses.forEach((t, i) => sides.push({ label: `candidate ${i + 1}`, context, messages: turnsToMessages(t, who), m: x.measureResponse(t, prompt, opts) }));
      break;
    }
  }
  let rows = sides.map((s) => s.m.values);
  if (judge) {
    if (r.kind === 'candidates') throw new Error('candidate replies have no LLM-judge ratings, which this reward model weighs');
    const joined = await joinRatings(r, who, rows, judge);
    if (typeof joined === 'string') throw new Error(joined);
    rows = joined;
  }
  const scored = await model.scoreRows(rows);
  if (r.kind === 'candidates') {
    // Which candidate the reward puts first and last, and where the line's own ranking puts each.
    const { best, worst } = bestAndWorst(scored.score);
    const ranking = r.candidates.ranking;
    sides.forEach((s, i) => {
      const notes = [i === best - 1 ? 'best' : i === worst - 1 ? 'worst' : '', ranking ? `ranked ${ranking.indexOf(i + 1) + 1} of ${ranking.length}` : ''].filter(Boolean);
      if (notes.length) s.label += ` (${notes.join(', ')})`;
    });
  }
  const ids = model.traitIds;
  const k = ids.length;
  const known = new Set(ids);
  return {
    line,
    kind: r.kind,
    sides: sides.map((s, i) => ({
      label: s.label,
      context: s.context,
      messages: s.messages,
      score: scored.score[i],
      traits: ids.map((id, j) => {
        const value = rows[i][featureIndex(id)];
        const shape = shapeSparkline(model.spec, j, value);
        return { id, value, contribution: scored.contributions[i * k + j], ...(shape ? { shape } : {}) };
      }),
      evidence: (s.m.evidence ?? []).filter((e) => known.has(e.trait)),
    })),
  };
}
