/**
 * Scoring with a reward model that weighs judge traits: each side's lexical traits plus its judge
 * ratings from a RatingsSource (a ratings file; in the editor also the judge cache). A side without
 * ratings is a per-line diagnostic, never a silent 0.
 *
 * The lexical-only path (score.ts) stays the fast one; this path is for the (much rarer) judge models,
 * where the judge call, not the arithmetic, is what costs.
 */
import { readRecords, type ScorableItem } from '../formats';
import type { RewardModel } from '../reward/model';
import type { LineResult, TraitScore } from '../score';
import { TRAITS } from '../traits/catalog';
import { TraitExtractor } from '../traits/extract';
import type { DataRecord } from '../types';
import type { RatingsSource } from './known';
import { missingRatings, recordSides, type RatingsTable } from './ratings';
import { JUDGE_TRAITS, withRatings } from './traits';

/**
 * Each side's lexical row (in recordSides order) with its judge ratings appended, or the plain reason
 * a side has none. Scoring and the inspector's detail pane both join through here.
 */
export async function joinRatings(record: DataRecord, role: string, rows: readonly Float64Array[], source: RatingsSource): Promise<Float64Array[] | string> {
  const sides = recordSides(record, role);
  const out: Float64Array[] = [];
  for (let i = 0; i < sides.length; i++) {
    const ratings = await source.find(sides[i].messages, role, { record, side: sides[i].name });
    if (!ratings) return missingRatings(record, sides[i].name);
    out.push(withRatings(rows[i], ratings));
  }
  return out;
}

export function scoreWithJudgeRatings(file: string, model: RewardModel, table: RatingsTable, opts: { role?: string; signal?: AbortSignal } = {}): AsyncGenerator<LineResult> {
  return scoreRecordsWithJudge(readRecords(file, { signal: opts.signal }), file, model, table, opts);
}

/** The same over records already read (the inspector parses the editor's text, unsaved edits included). */
export async function* scoreRecordsWithJudge(
  items: AsyncIterable<ScorableItem> | Iterable<ScorableItem>,
  file: string,
  model: RewardModel,
  source: RatingsSource,
  opts: { role?: string; signal?: AbortSignal } = {},
): AsyncGenerator<LineResult> {
  const role = opts.role ?? model.spec.role;
  const x = new TraitExtractor();
  for await (const item of items) {
    if (opts.signal?.aborted) return;
    if ('diagnostic' in item) {
      yield { line: item.line, kind: 'diagnostic', diagnostic: item.diagnostic };
      continue;
    }
    const { line, record } = item;
    const problem = (message: string): LineResult => ({ line, kind: 'diagnostic', diagnostic: { file, line, column: 1, severity: 'error', message } });
    if (record.kind === 'candidates') {
      // Judge ratings are made for dialogue, pair and human/ai lines (styletune judge): none exist for these.
      yield problem('candidate replies have no LLM-judge ratings, which this reward model weighs: score them with a lexical model, or label the line first');
      continue;
    }
    const lexical: Float64Array[] = [];
    let failure: string | undefined;
    for (const side of recordSides(record, role)) {
      // Measured exactly as fitting measures it (train.ts): a pair side is its response after the prompt.
      const m =
        record.kind === 'pair' ? x.measureResponse(side.name === 'chosen' ? record.pair.chosen : record.pair.rejected, record.pair.prompt, { role }) : x.measureDialogue(side.messages, { role });
      if (m.turns === 0) {
        failure = `${side.name === 'dialogue' ? 'the dialogue' : `\`${side.name}\``} has no turns by \`${role}\` to score; choose the role (--role)`;
        break;
      }
      lexical.push(m.values);
    }
    const rows = failure === undefined ? await joinRatings(record, role, lexical, source) : failure;
    if (typeof rows === 'string') {
      yield problem(rows);
      continue;
    }
    const scored = await model.scoreRows(rows);
    const k = model.traitIds.length;
    const result = (r: number): TraitScore => {
      const traits: Record<string, number> = {};
      TRAITS.forEach((t, j) => (traits[t.id] = rows[r][j]));
      JUDGE_TRAITS.forEach((t, j) => (traits[t.id] = rows[r][TRAITS.length + j]));
      const contributions: Record<string, number> = {};
      model.traitIds.forEach((id, j) => (contributions[id] = scored.contributions[r * k + j]));
      return { score: scored.score[r], bias: model.bias, traits, contributions };
    };
    if (record.kind === 'dialogue') yield { line, kind: 'dialogue', result: result(0) };
    else if (record.kind === 'pair') {
      const chosen = result(0);
      const rejected = result(1);
      yield { line, kind: 'pair', result: { chosen, rejected, margin: chosen.score - rejected.score } };
    } else {
      const human = result(0);
      const ai = result(1);
      yield { line, kind: 'contrastive', result: { human, ai, margin: human.score - ai.score } };
    }
  }
}
