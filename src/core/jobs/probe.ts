/**
 * The style probe of a DPO job (trainer/styletune_trainer/watch.py): at step 0 and every probe_steps the
 * worker answers the same prompts greedily and emits a `probe` event. Here the replies are scored with the
 * reward model, and the traits that moved most since step 0 are picked out, so the job view and
 * `styletune tune` can show reward hacking (replies growing longer, slang flooding in) while the job runs.
 *
 *   const steps = await scoreProbes(events, model);          // one ProbeStep per probe event, by step
 *   movedTraits(steps[0], steps.at(-1)!)                      // what changed most since step 0
 *   probeLine(steps.at(-1)!, steps[0])                        // one line for the CLI
 */
import type { RewardModel } from '../reward/model';
import { TRAITS } from '../traits/catalog';
import { counted } from '../counted';
import { saysNothing } from '../speakers';
import { measureResponse } from '../traits/extract';
import type { ProbeEvent, WorkerEvent } from '../worker/events';

export interface ScoredReply {
  index: number;
  /** The prompt as text (the last user turn of a message list). */
  prompt: string;
  text: string;
  tokens: number;
  truncated: boolean;
  /** Null for an empty reply: nothing to score (see saysNothing), so it is shown as empty, not rewarded. */
  reward: number | null;
}

export interface ProbeStep {
  step: number;
  totalSteps: number;
  /** Mean reward of the replies that say something; null when every reply was empty. */
  reward: number | null;
  /** Replies with nothing in them (a model that stops answering): not scored, counted here. */
  empty: number;
  /** Mean reply length in tokens. */
  tokens: number;
  /** Replies cut off at max_new_tokens. */
  truncated: number;
  maxNewTokens: number;
  /** Mean value of every trait over the replies, by id (catalog order). */
  traits: Record<string, number>;
  /** Mean contribution to the reward of each of the model's traits over the scored replies, by id. */
  contributions: Record<string, number>;
  replies: ScoredReply[];
}

export interface MovedTrait {
  id: string;
  label: string;
  from: number;
  to: number;
  /** to − from. */
  delta: number;
  /** |delta| as a share of the trait's range: what ranks the traits (a word count and a share compare). */
  moved: number;
  /** Change of the trait's mean contribution to the reward; undefined for traits the model does not weigh. */
  rewardDelta?: number;
}

export function promptText(p: ProbeEvent['replies'][number]['prompt']): string {
  if (typeof p === 'string') return p;
  const users = p.filter((m) => m.role === 'user');
  return (users[users.length - 1] ?? p[p.length - 1])?.content ?? '';
}

/** Scores one probe event's replies: each reply's reward and trait values, and their means. */
export async function scoreProbe(e: ProbeEvent, model: RewardModel): Promise<ProbeStep> {
  const measured = e.replies.map((r) => measureResponse(r.text, r.prompt));
  const { score, contributions } = measured.length ? await model.scoreRows(measured.map((m) => m.values)) : { score: new Float64Array(), contributions: new Float64Array() };
  const n = Math.max(1, e.replies.length);
  // Trait means over every reply (an empty one truly has no words); rewards only of replies with text.
  const traits: Record<string, number> = {};
  TRAITS.forEach((t, k) => {
    traits[t.id] = measured.reduce((s, m) => s + m.values[k], 0) / n;
  });
  const said = e.replies.map((r) => !saysNothing(r.text, 'assistant'));
  const scored = said.filter(Boolean).length;
  const ids = model.traitIds;
  const contrib: Record<string, number> = {};
  ids.forEach((id, j) => {
    let s = 0;
    for (let r = 0; r < e.replies.length; r++) if (said[r]) s += contributions[r * ids.length + j];
    contrib[id] = s / Math.max(1, scored);
  });
  const replies = e.replies.map((r, i) => ({
    index: r.index, prompt: promptText(r.prompt), text: r.text, tokens: r.tokens, truncated: r.truncated, reward: said[i] ? score[i] : null,
  }));
  return {
    step: e.step, totalSteps: e.total_steps, maxNewTokens: e.max_new_tokens,
    reward: scored ? replies.reduce((s, r) => s + (r.reward ?? 0), 0) / scored : null,
    empty: e.replies.length - scored,
    tokens: replies.reduce((s, r) => s + r.tokens, 0) / n,
    truncated: replies.filter((r) => r.truncated).length,
    traits, contributions: contrib, replies,
  };
}

/**
 * Every probe event of `events` scored, one per step in step order. A resumed run that repeats a step
 * probes it again: the later event wins, as for the training curves.
 */
export async function scoreProbes(events: readonly WorkerEvent[], model: RewardModel): Promise<ProbeStep[]> {
  const byStep = new Map<number, ProbeEvent>();
  for (const e of events) if (e.event === 'probe') byStep.set(e.step, e);
  const out: ProbeStep[] = [];
  for (const e of [...byStep.values()].sort((a, b) => a.step - b.step)) out.push(await scoreProbe(e, model));
  return out;
}

/** The traits whose mean moved most from `base` to `now`, relative to each trait's range; at most `top`, none that did not move. */
export function movedTraits(base: ProbeStep, now: ProbeStep, top = 3): MovedTrait[] {
  const out: MovedTrait[] = [];
  for (const t of TRAITS) {
    const from = base.traits[t.id] ?? 0;
    const to = now.traits[t.id] ?? 0;
    const width = t.range[1] - t.range[0] || 1;
    const moved = Math.abs(to - from) / width;
    if (!(moved > 1e-9)) continue;
    const rewardDelta = t.id in now.contributions ? now.contributions[t.id] - (base.contributions[t.id] ?? 0) : undefined;
    out.push({ id: t.id, label: t.label, from, to, delta: to - from, moved, rewardDelta });
  }
  return out.sort((a, b) => b.moved - a.moved || a.id.localeCompare(b.id)).slice(0, top);
}

const signed = (v: number, digits: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

/**
 * One line per probe step for `styletune tune` (stderr):
 * `probe step 4/10: reward 1.23 (+0.40 since step 0) · 1/3 empty (not scored) · 31 tokens (+12) · 1/3 cut off · moved: Reply length +1.10, Slang +0.25`
 */
export function probeLine(now: ProbeStep, base?: ProbeStep): string {
  const parts = [`probe step ${now.step}/${now.totalSteps}: reward ${now.reward === null ? '– (every reply empty)' : now.reward.toFixed(2)}`];
  if (base && base !== now && now.reward !== null && base.reward !== null) parts[0] += ` (${signed(now.reward - base.reward, 2)} since step ${base.step})`;
  if (now.empty && now.reward !== null) parts.push(`${now.empty}/${now.replies.length} empty (not scored)`);
  parts.push(`${counted(Math.round(now.tokens), 'token')}${base && base !== now ? ` (${signed(now.tokens - base.tokens, 0)})` : ''}`);
  if (now.truncated) parts.push(`${now.truncated}/${now.replies.length} cut off at ${now.maxNewTokens}`);
  if (base && base !== now) {
    const moved = movedTraits(base, now);
    parts.push(moved.length ? `moved: ${moved.map((m) => `${m.label} ${signed(m.delta, 2)}`).join(', ')}` : 'no trait moved');
  }
  return parts.join(' · ');
}
