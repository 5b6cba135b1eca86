/**
 * What the labeler shows beside the candidates: every candidate measured with the trait engine and scored
 * by the reward model, reduced to the traits that differ most and the model's preferred candidate.
 */
import { turnsToMessages } from '../../core/formats';
import type { LabelItem } from '../../core/labeling';
import type { RewardModel } from '../../core/reward/model';
import { saysNothing } from '../../core/speakers';
import { TRAITS } from '../../core/traits/catalog';
import { TraitExtractor } from '../../core/traits/extract';
import type { RewardHint, TraitDiff } from '../../../webview/labeling/protocol';

/** Enough to see why candidates differ without turning the view into the inspector's table. */
const SHOWN_TRAITS = 6;

export interface Analysis {
  traits: TraitDiff[];
  hint?: RewardHint;
  /** Why there is no hint (the model could not be loaded, or a candidate is empty). */
  hintError?: string;
}

const extractor = new TraitExtractor();

export async function analyze(item: LabelItem, role: string, model: RewardModel | undefined): Promise<Analysis> {
  const rows = item.candidates.map((c) => extractor.measureResponse(c, item.prompt, { role }).values);
  const scored = model ? await model.scoreRows(rows) : undefined;
  const k = model?.traitIds.length ?? 0;
  const column = new Map(model?.traitIds.map((id, j) => [id, j]));

  const diffs = TRAITS.map((t, i) => {
    const values = rows.map((r) => r[i]);
    const j = column.get(t.id);
    const contributions = scored && j !== undefined ? rows.map((_, r) => scored.contributions[r * k + j]) : undefined;
    // Traits the model weighs are ranked by how far apart they move the score; the others by their
    // spread relative to the trait's range, scaled down so a weighted trait that matters comes first.
    const spread = contributions ? range(contributions) : 0.1 * (range(values) / (t.range[1] - t.range[0] || 1));
    const diff: TraitDiff = { id: t.id, label: t.label, description: t.description, values };
    if (contributions) diff.contributions = contributions;
    return { diff, spread };
  });
  const traits = diffs
    .filter((d) => d.spread > 1e-9)
    .sort((a, b) => b.spread - a.spread)
    .slice(0, SHOWN_TRAITS)
    .map((d) => d.diff);

  if (!model || !scored) return { traits };
  // An empty candidate has no style to score (see saysNothing): no hint rather than one that prefers nothing.
  const empty = item.candidates.map((c, i) => (saysNothing(c, role) ? i + 1 : 0)).filter(Boolean);
  if (empty.length) return { traits, hintError: `candidate ${empty.join(' and ')} ${empty.length === 1 ? 'is' : 'are'} empty: the reward model does not score ${empty.length === 1 ? 'it' : 'them'}` };
  const scores = [...scored.score];
  const preferred = scores.indexOf(Math.max(...scores)) + 1;
  return { traits, hint: { scores, preferred, model: model.summary } };
}

function range(xs: readonly number[]): number {
  return Math.max(...xs) - Math.min(...xs);
}

/** The prompt as messages for display; a string prompt is the partner's turn. */
export function promptMessages(item: LabelItem): Array<{ role: string; content: string }> {
  return item.prompt === undefined ? [] : turnsToMessages(item.prompt, 'user').map((m) => ({ role: m.role, content: m.content }));
}
