/**
 * A loaded reward model: the ONNX graph run by onnxruntime-node, plus the trait ids it was fitted on.
 *
 *   const model = await RewardModel.load('models/default.onnx');
 *   const { score, contributions } = await model.scoreRows([measureDialogue(messages).values]);
 *
 * Rows passed in are trait values in the engine's catalog order; the model picks its own columns by id,
 * so a model fitted on an older catalog keeps working, and one naming an unknown trait is refused, as is
 * a file whose numbers or graph were damaged (onnx.ts checks both on load).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../atomic';
import { TRAITS } from '../traits/catalog';
import { FEATURE_COUNT, featureIndex, isJudgeTrait } from '../judge/traits';
import { decodeReward, encodeReward, type RewardSpec } from './onnx';

export interface ScoredRows {
  /** One score (the logit) per row. */
  score: Float64Array;
  /** Row-major [rows, model.traitIds.length]: each trait's contribution fᵢ; score = bias + Σ row. */
  contributions: Float64Array;
}

/** Rows per onnxruntime call: large enough to amortize the ~15 µs call overhead, small enough to stream. */
const BATCH = 4096;

export class RewardModel {
  private constructor(
    readonly file: string,
    readonly spec: RewardSpec,
    private readonly session: ort.InferenceSession,
    /** For each model column, the trait's position in the engine's catalog. */
    private readonly columns: Int32Array,
  ) {}

  static async load(file: string): Promise<RewardModel> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `reward model not found: ${file}` : `cannot read reward model ${file}: ${(err as Error).message}`);
    }
    return RewardModel.fromBytes(bytes, file);
  }

  static async fromSpec(spec: RewardSpec, file = '<in memory>'): Promise<RewardModel> {
    return RewardModel.fromBytes(encodeReward(spec), file);
  }

  static async fromBytes(bytes: Uint8Array, file: string): Promise<RewardModel> {
    const spec = decodeReward(bytes, file);
    const unknown = spec.traitIds.filter((id) => featureIndex(id) < 0);
    if (unknown.length > 0) {
      throw new Error(
        `${file} uses trait${unknown.length > 1 ? 's' : ''} this version of StyleTune does not know: ${unknown.join(', ')}. ` +
          `Update StyleTune or refit the model (styletune fit).`,
      );
    }
    const dup = spec.traitIds.find((id, i) => spec.traitIds.indexOf(id) !== i);
    if (dup) throw new Error(`${file} names trait ${dup} twice`);
    let session: ort.InferenceSession;
    try {
      // One thread: the graph is a few vector ops per row; thread pools would cost more than they save.
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (err) {
      throw new Error(`${file}: onnxruntime cannot load the model: ${(err as Error).message}`);
    }
    return new RewardModel(file, spec, session, Int32Array.from(spec.traitIds, featureIndex));
  }

  get traitIds(): readonly string[] {
    return this.spec.traitIds;
  }

  /** True when the model weighs LLM-judge ratings: its rows need them (see judge/traits.ts). */
  get usesJudge(): boolean {
    return this.spec.traitIds.some(isJudgeTrait);
  }

  get bias(): number {
    return this.spec.bias;
  }

  /** One line for logs and the status bar. */
  get summary(): string {
    const t = this.spec.training as { name?: string; cvAccuracy?: Record<string, number> } | null;
    const name = t?.name ?? this.file;
    return `${name} (${this.spec.traitIds.length} traits)`;
  }

  /** Writes the model as an ONNX file, atomically. */
  async save(file: string): Promise<void> {
    await saveSpec(this.spec, file);
  }

  /** Scores rows of engine-order trait values (Float64Array of TRAITS.length each, or FEATURE_COUNT with judge ratings). */
  async scoreRows(rows: readonly Float64Array[]): Promise<ScoredRows> {
    const columns = this.columns;
    const k = columns.length;
    const n = rows.length;
    const score = new Float64Array(n);
    const contributions = new Float64Array(n * k);
    // Once per call, not per row: it looks up every trait id.
    const usesJudge = this.usesJudge;
    for (let start = 0; start < n; start += BATCH) {
      const m = Math.min(BATCH, n - start);
      const input = new Float64Array(m * k);
      for (let r = 0; r < m; r++) {
        const row = rows[start + r];
        if (row.length !== TRAITS.length && row.length !== FEATURE_COUNT) throw new Error(`row ${start + r} has ${row.length} trait values, expected ${TRAITS.length}`);
        if (row.length < FEATURE_COUNT && usesJudge) throw new Error(`${this.file} weighs LLM-judge ratings, which these rows lack; rate the data first (styletune judge) and score with --judge-ratings`);
        for (let j = 0; j < k; j++) input[r * k + j] = row[columns[j]];
      }
      const out = await this.session.run({ traits: new ort.Tensor('float64', input, [m, k]) });
      score.set(out.score.data as Float64Array, start);
      contributions.set(out.contributions.data as Float64Array, start * k);
    }
    return { score, contributions };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Writes raw ONNX bytes without a session (used by `styletune fit`). */
export async function saveSpec(spec: RewardSpec, file: string): Promise<void> {
  await writeFileAtomic(file, encodeReward(spec));
}
