/**
 * The reward model's file format: one ONNX graph that carries trait ids, order, normalization, weights
 * and a training summary together, so a weight can never be applied to the wrong trait.
 *
 *   traits [N, K] float64 ──(x − mean) / std──clip(±zClip)──× weights──▶ contributions [N, K]
 *                                                          ΣK + bias ──▶ score [N]
 *
 * The numbers live in graph initializers (what onnxruntime computes with); the trait ids and the
 * summary live in the model's metadata_props. Loading cross-checks both (see model.ts).
 */
import { onnx } from 'onnx-proto';

export const FORMAT = 'styletune-reward/1';
export const META = {
  format: 'styletune.format',
  traits: 'styletune.traits',
  role: 'styletune.role',
  training: 'styletune.training',
} as const;

export interface LinearRewardSpec {
  traitIds: readonly string[];
  mean: Float64Array;
  std: Float64Array;
  weights: Float64Array;
  bias: number;
  /** z-scores are clipped to ±zClip so one extreme trait value cannot dominate a score. */
  zClip: number;
  /** Whose turns the model was fitted on (default role for scoring). */
  role: string;
  /** Free-form JSON summary of how the model was made (data, folds, accuracy, date). */
  training: unknown;
}

const INITIALIZERS = ['mean', 'std', 'weights', 'bias', 'z_min', 'z_max'] as const;

function tensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const data = Float64Array.from(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.DOUBLE, rawData: new Uint8Array(data.buffer) };
}

/** Serializes a linear reward as ONNX bytes (IR 8, opset 13). */
export function encodeLinearReward(spec: LinearRewardSpec): Uint8Array {
  const k = spec.traitIds.length;
  for (const [name, arr] of [['mean', spec.mean], ['std', spec.std], ['weights', spec.weights]] as const) {
    if (arr.length !== k) throw new Error(`${name} has ${arr.length} values for ${k} traits`);
  }
  const D = onnx.TensorProto.DataType.DOUBLE;
  const valueInfo = (name: string, dims: (string | number)[]): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: D,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
  const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({
    opType,
    input,
    output,
    name: output[0],
    attribute,
  });
  const graph: onnx.IGraphProto = {
    name: 'styletune_linear_reward',
    input: [valueInfo('traits', ['N', k])],
    output: [valueInfo('score', ['N']), valueInfo('contributions', ['N', k])],
    initializer: [
      tensor('mean', [k], spec.mean),
      tensor('std', [k], spec.std),
      tensor('weights', [k], spec.weights),
      tensor('bias', [], [spec.bias]),
      tensor('z_min', [], [-spec.zClip]),
      tensor('z_max', [], [spec.zClip]),
    ],
    node: [
      node('Sub', ['traits', 'mean'], ['centered']),
      node('Div', ['centered', 'std'], ['z_raw']),
      node('Clip', ['z_raw', 'z_min', 'z_max'], ['z']),
      node('Mul', ['z', 'weights'], ['contributions']),
      node('ReduceSum', ['contributions'], ['weighted_sum'], [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ]),
      node('Add', ['weighted_sum', 'bias'], ['score']),
    ],
  };
  const model: onnx.IModelProto = {
    irVersion: 8,
    // ReduceSum takes `axes` as an attribute up to opset 12; opset 12 keeps every op above valid.
    opsetImport: [{ domain: '', version: 12 }],
    producerName: 'styletune',
    producerVersion: '1',
    docString: 'StyleTune human-likeness reward: score = bias + Σ weights · clip((traits − mean) / std)',
    graph,
    metadataProps: [
      { key: META.format, value: FORMAT },
      { key: META.traits, value: JSON.stringify(spec.traitIds) },
      { key: META.role, value: spec.role },
      { key: META.training, value: JSON.stringify(spec.training ?? null) },
    ],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * Reads the linear reward's parameters back out of ONNX bytes. Throws a plain-words Error for a file
 * that is not a StyleTune reward model or whose parts disagree (e.g. 40 trait ids but 41 weights).
 */
export function decodeLinearReward(bytes: Uint8Array, file: string): LinearRewardSpec {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${file} is not an ONNX model (${(err as Error).message})`);
  }
  const meta = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  if (meta.get(META.format) !== FORMAT) {
    throw new Error(`${file} is not a StyleTune reward model (metadata ${META.format} is ${JSON.stringify(meta.get(META.format) ?? null)}, expected "${FORMAT}")`);
  }
  let traitIds: unknown;
  try {
    traitIds = JSON.parse(meta.get(META.traits) ?? 'null');
  } catch {
    traitIds = null;
  }
  if (!Array.isArray(traitIds) || !traitIds.every((t) => typeof t === 'string')) {
    throw new Error(`${file}: metadata ${META.traits} must be a JSON list of trait ids`);
  }
  const init = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  const read = (name: (typeof INITIALIZERS)[number]): Float64Array => {
    const t = init.get(name);
    if (!t) throw new Error(`${file}: graph has no initializer \`${name}\``);
    if (t.dataType !== onnx.TensorProto.DataType.DOUBLE) throw new Error(`${file}: initializer \`${name}\` must be float64`);
    if (t.rawData && t.rawData.length > 0) {
      // Copy: rawData may be an unaligned view into the file buffer.
      return new Float64Array(Uint8Array.from(t.rawData).buffer);
    }
    return Float64Array.from(t.doubleData ?? []);
  };
  const [mean, std, weights, bias, zMin] = [read('mean'), read('std'), read('weights'), read('bias'), read('z_min')];
  const k = traitIds.length;
  for (const [name, arr] of [['mean', mean], ['std', std], ['weights', weights]] as const) {
    if (arr.length !== k) throw new Error(`${file}: ${k} trait ids but ${arr.length} values in \`${name}\``);
  }
  let training: unknown = null;
  try {
    training = JSON.parse(meta.get(META.training) ?? 'null');
  } catch {
    training = null;
  }
  return { traitIds, mean, std, weights, bias: bias[0] ?? 0, zClip: -(zMin[0] ?? -Infinity), role: meta.get(META.role) || 'assistant', training };
}
