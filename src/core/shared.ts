/**
 * The shapes that both src/core and the webviews (webview/) use: type declarations only, no code, so a
 * webview bundle that imports them gains nothing and src/core never has to import a webview's protocol.
 * The protocols' schemas (webview/<view>/protocol.ts) are declared against these types: a field added
 * here and not there, or there and not here, fails to compile. `test/unit/layout.test.ts` checks that
 * this module stays type-only and that src/core imports nothing from webview/.
 */

/** One turn of a conversation. Roles are free-form: user/assistant/system or speaker names (agent_1). */
export interface Message {
  role: string;
  content: string;
}

/** What the annotator decided; `rank` only for three candidates or more, `1`/`2` only for two. */
export type Decision = { choice: '1' | '2' | 'tie' | 'skip' } | { choice: 'rank'; ranking: number[] };

/** One trait compared across a labeler item's candidates. */
export interface TraitDiff {
  id: string;
  label: string;
  description: string;
  /** Measured trait value per candidate, in candidate order. */
  values: number[];
  /** The reward model's contribution (w·z) per candidate; absent for traits the model does not use. */
  contributions?: number[];
}

/** One step of a tuning job's chart (src/core/jobs/points.ts). Metrics may be null (a diverged loss). */
export interface Point {
  step: number;
  time: number;
  loss: number | null;
  'rewards/chosen': number | null;
  'rewards/rejected': number | null;
  'rewards/margins': number | null;
  'rewards/accuracies': number | null;
  'logps/chosen': number | null;
  'logps/rejected': number | null;
  learning_rate: number | null;
  grad_norm: number | null;
  tokens_per_s: number | null;
  gpu_mem_bytes: number | null;
  /** From the `eval` event of this step (held-out pairs); null at steps without one. */
  'eval/loss': number | null;
  'eval/rewards/accuracies': number | null;
}
