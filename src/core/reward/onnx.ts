/**
 * The reward model's file format: one ONNX graph that carries trait ids, order, normalization, the
 * per-trait functions and a training summary together, so a weight can never be applied to the wrong
 * trait. Two model families share the first steps:
 *
 *   traits [N, K] float64 ──(x − mean) / std──clip(±zClip)──▶ z
 *     linear:  z × weights                                   ──▶ contributions [N, K]
 *     shape:   table lookup + interpolation (shape.ts)       ──▶ contributions [N, K]
 *   ΣK + bias ──▶ score [N]
 *
 * The numbers live in graph initializers (what onnxruntime computes with); trait ids, shapes (knots and
 * values), the fitting-data summary and the training summary live in metadata_props.
 *
 * A file cannot be damaged silently. Format 2 carries a SHA-256 over everything that decides a score or
 * a message (trait ids and order, role, normalization, weights, shapes, bias, the summaries); reading
 * checks every number (finite, std > 0, z_min = −z_max), recomputes the hash, and re-encodes the
 * decoded model to check the file is byte for byte what this encoder writes (so the graph itself, its
 * operators and the initializers derived from the shapes, cannot have changed either). Format 1 files
 * (linear, no hash, written before) still load: their numbers are checked and their graph re-encoded.
 */
import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import type { DomainSummary } from './domain';
import { compileShapes, type ShapeSet } from './shape';

export const FORMAT = 'styletune-reward/2';
/** Linear models without a content hash, written before format 2. */
export const FORMAT_V1 = 'styletune-reward/1';
export const META = {
  format: 'styletune.format',
  traits: 'styletune.traits',
  role: 'styletune.role',
  training: 'styletune.training',
  shapes: 'styletune.shapes',
  domain: 'styletune.domain',
  sha256: 'styletune.sha256',
} as const;

export interface RewardSpec {
  traitIds: readonly string[];
  mean: Float64Array;
  std: Float64Array;
  /**
   * Linear models: the contribution per standard deviation (contribution = weight · z). Shape models:
   * the signed weight of evidence of each trait, for display and ordering only (shape.ts computes).
   */
  weights: Float64Array;
  /** Present for shape models: contribution = fᵢ(z). */
  shapes?: ShapeSet;
  bias: number;
  /** z-scores are clipped to ±zClip so one extreme trait value cannot dominate a score. */
  zClip: number;
  /** Whose turns the model was fitted on (default role for scoring). */
  role: string;
  /** Free-form JSON summary of how the model was made (data, folds, accuracy, date). */
  training: unknown;
  /** What the fitting data looked like, for out-of-domain warnings (domain.ts); absent in format 1. */
  domain?: DomainSummary;
}

function tensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const data = Float64Array.from(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.DOUBLE, rawData: new Uint8Array(data.buffer) };
}

function int64Tensor(name: string, values: readonly number[]): onnx.ITensorProto {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({
  opType,
  input,
  output,
  name: output[0],
  attribute,
});

const castTo = (to: onnx.TensorProto.DataType): onnx.IAttributeProto[] => [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }];

/** Nodes and initializers from `z` to `contributions` for a shape model (see shape.ts). */
function shapeGraph(shapes: ShapeSet): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  const c = compileShapes(shapes);
  const k = shapes.traits.length;
  const w = c.cells + 1;
  return {
    initializers: [
      tensor('grid_lo', [k], c.lo),
      tensor('grid_scale', [k], c.scale),
      tensor('u_min', [], [0]),
      tensor('u_max', [], [c.cells]),
      tensor('cell_max', [], [c.cells - 1]),
      int64Tensor('row_offset', Array.from({ length: k }, (_, j) => j * w)),
      tensor('table', [k * w], c.table),
      tensor('rise', [k * w], c.rise),
    ],
    nodes: [
      node('Sub', ['z', 'grid_lo'], ['shifted']),
      node('Mul', ['shifted', 'grid_scale'], ['u_raw']),
      node('Clip', ['u_raw', 'u_min', 'u_max'], ['u']),
      node('Clip', ['u', 'u_min', 'cell_max'], ['u_cell']),
      node('Cast', ['u_cell'], ['cell'], castTo(onnx.TensorProto.DataType.INT64)),
      node('Cast', ['cell'], ['cell_start'], castTo(onnx.TensorProto.DataType.DOUBLE)),
      node('Sub', ['u', 'cell_start'], ['frac']),
      node('Add', ['cell', 'row_offset'], ['index']),
      node('Gather', ['table', 'index'], ['at_cell']),
      node('Gather', ['rise', 'index'], ['rise_at']),
      node('Mul', ['frac', 'rise_at'], ['partial']),
      node('Add', ['at_cell', 'partial'], ['contributions']),
    ],
  };
}

/** What the content hash covers: every field of the spec, numbers by their bits. */
export function contentHash(spec: RewardSpec): string {
  const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  const text = [
    FORMAT,
    JSON.stringify(spec.traitIds),
    spec.role,
    bits(spec.mean),
    bits(spec.std),
    bits(spec.weights),
    bits(Float64Array.of(spec.bias, spec.zClip)),
    JSON.stringify(spec.shapes ?? null),
    JSON.stringify(spec.domain ?? null),
    JSON.stringify(spec.training ?? null),
  ].join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/** A JSON value as the file will hold it (e.g. −0 becomes 0): what a reader decodes. */
const asStored = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Serializes a reward model as ONNX bytes (IR 8, opset 12), format 2. Throws on invalid numbers. */
export function encodeReward(spec: RewardSpec): Uint8Array {
  const stored: RewardSpec = { ...spec, domain: spec.domain && asStored(spec.domain), training: asStored(spec.training ?? null) };
  if (spec.shapes) {
    // A shape model keeps its weights of evidence in the shapes' metadata, not in an initializer no
    // operator reads (onnxruntime warns about those).
    const traits = spec.shapes.traits.map((t, j) => ({ ...t, evidence: spec.weights[j] }));
    stored.shapes = asStored({ cells: spec.shapes.cells, traits });
    stored.weights = Float64Array.from(stored.shapes.traits, (t) => t.evidence);
  }
  const problem = specProblem(stored);
  if (problem) throw new Error(`cannot write the reward model: ${problem}`);
  return encode(stored, FORMAT, contentHash(stored));
}

function encode(spec: RewardSpec, format: string, hash: string | undefined): Uint8Array {
  const k = spec.traitIds.length;
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
  const shape = spec.shapes ? shapeGraph(spec.shapes) : undefined;
  const graph: onnx.IGraphProto = {
    name: shape ? 'styletune_shape_reward' : 'styletune_linear_reward',
    input: [valueInfo('traits', ['N', k])],
    output: [valueInfo('score', ['N']), valueInfo('contributions', ['N', k])],
    initializer: [
      tensor('mean', [k], spec.mean),
      tensor('std', [k], spec.std),
      ...(shape ? [] : [tensor('weights', [k], spec.weights)]),
      tensor('bias', [], [spec.bias]),
      tensor('z_min', [], [-spec.zClip]),
      tensor('z_max', [], [spec.zClip]),
      ...(shape?.initializers ?? []),
    ],
    node: [
      node('Sub', ['traits', 'mean'], ['centered']),
      node('Div', ['centered', 'std'], ['z_raw']),
      node('Clip', ['z_raw', 'z_min', 'z_max'], ['z']),
      ...(shape?.nodes ?? [node('Mul', ['z', 'weights'], ['contributions'])]),
      node('ReduceSum', ['contributions'], ['weighted_sum'], [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ]),
      node('Add', ['weighted_sum', 'bias'], ['score']),
    ],
  };
  const metadataProps: onnx.IStringStringEntryProto[] = [
    { key: META.format, value: format },
    { key: META.traits, value: JSON.stringify(spec.traitIds) },
    { key: META.role, value: spec.role },
    { key: META.training, value: JSON.stringify(spec.training ?? null) },
  ];
  if (spec.shapes) metadataProps.push({ key: META.shapes, value: JSON.stringify(spec.shapes) });
  if (spec.domain) metadataProps.push({ key: META.domain, value: JSON.stringify(spec.domain) });
  if (hash) metadataProps.push({ key: META.sha256, value: hash });
  const model: onnx.IModelProto = {
    irVersion: 8,
    // ReduceSum takes `axes` as an attribute up to opset 12; opset 12 keeps every op above valid.
    opsetImport: [{ domain: '', version: 12 }],
    producerName: 'styletune',
    producerVersion: '1',
    docString: shape
      ? 'StyleTune human-likeness reward: score = bias + Σ fᵢ(clip((traits − mean) / std)), fᵢ piecewise linear (metadata styletune.shapes)'
      : 'StyleTune human-likeness reward: score = bias + Σ weights · clip((traits − mean) / std)',
    graph,
    metadataProps,
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Why a spec's numbers cannot make a reward, or undefined. */
function specProblem(spec: RewardSpec): string | undefined {
  const k = spec.traitIds.length;
  for (const [name, arr] of [['mean', spec.mean], ['std', spec.std], ['weights', spec.weights]] as const) {
    if (arr.length !== k) return `${k} trait ids but ${arr.length} values in \`${name}\``;
    const j = arr.findIndex((v) => !Number.isFinite(v));
    if (j >= 0) return `\`${name}\` of trait ${spec.traitIds[j]} is ${arr[j]}`;
  }
  const j = spec.std.findIndex((v) => !(v > 0));
  if (j >= 0) return `the standard deviation of trait ${spec.traitIds[j]} is ${spec.std[j]}; it must be positive`;
  if (!Number.isFinite(spec.bias)) return `the bias is ${spec.bias}`;
  if (!(spec.zClip > 0 && Number.isFinite(spec.zClip))) return `the z-score clip is ${spec.zClip}; it must be a positive number`;
  return spec.shapes ? shapesProblem(spec.shapes, spec.traitIds) : undefined;
}

function shapesProblem(set: ShapeSet, ids: readonly string[]): string | undefined {
  if (!set || typeof set !== 'object' || !Array.isArray(set.traits)) return 'the shapes are not a list of traits';
  if (!Number.isInteger(set.cells) || set.cells < 2 || set.cells > 4096) return `the shapes' grid has ${set.cells} cells`;
  if (set.traits.length !== ids.length) return `${ids.length} trait ids but ${set.traits.length} shapes`;
  for (let j = 0; j < ids.length; j++) {
    const s = set.traits[j];
    const where = `the shape of trait ${ids[j]}`;
    if (!s || typeof s !== 'object' || !Array.isArray(s.knots) || !Array.isArray(s.values)) return `${where} is not {lo, hi, knots, values, evidence}`;
    if (!Number.isFinite(s.lo) || !Number.isFinite(s.hi) || !(s.hi > s.lo)) return `${where} spans [${s.lo}, ${s.hi}]`;
    if (s.values.length !== s.knots.length || s.knots.length === 0) return `${where} has ${s.knots.length} knots and ${s.values.length} values`;
    if (!s.values.every((v) => typeof v === 'number' && Number.isFinite(v))) return `${where} has a value that is not a finite number`;
    if (typeof s.evidence !== 'number' || !Number.isFinite(s.evidence)) return `${where} has no finite weight of evidence`;
    const flat = s.knots.length === 1 && s.knots[0] === 0;
    const onGrid = s.knots.every((g, l) => Number.isInteger(g) && (l === 0 ? g === 0 : g > s.knots[l - 1])) && s.knots[s.knots.length - 1] === set.cells;
    if (!flat && !onGrid) return `${where} has knots that are not increasing grid points from 0 to ${set.cells}`;
  }
  return undefined;
}

/**
 * Reads a reward model back out of ONNX bytes. Throws a plain-words Error naming the file and the
 * reason for a file that is not a StyleTune reward model, whose parts disagree, whose numbers cannot
 * make a reward, or that was changed after it was written.
 */
export function decodeReward(bytes: Uint8Array, file: string): RewardSpec {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${file} is not an ONNX model (${(err as Error).message})`);
  }
  const meta = new Map(model.metadataProps.map((p) => [p.key, p.value ?? '']));
  const format = meta.get(META.format);
  if (format !== FORMAT && format !== FORMAT_V1) {
    throw new Error(`${file} is not a StyleTune reward model (metadata ${META.format} is ${JSON.stringify(format ?? null)}, expected "${FORMAT}")`);
  }
  const json = (key: string): unknown => {
    const text = meta.get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${file}: metadata ${key} is not valid JSON`);
    }
  };
  const traitIds = json(META.traits);
  if (!Array.isArray(traitIds) || !traitIds.every((t) => typeof t === 'string')) {
    throw new Error(`${file}: metadata ${META.traits} must be a JSON list of trait ids`);
  }
  const init = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  const read = (name: string): Float64Array => {
    const t = init.get(name);
    if (!t) throw new Error(`${file}: graph has no initializer \`${name}\``);
    if (t.dataType !== onnx.TensorProto.DataType.DOUBLE) throw new Error(`${file}: initializer \`${name}\` must be float64`);
    if (t.rawData && t.rawData.length > 0) {
      if (t.rawData.length % 8 !== 0) throw new Error(`${file}: initializer \`${name}\` has ${t.rawData.length} bytes, not whole float64 values`);
      // Copy: rawData may be an unaligned view into the file buffer.
      return new Float64Array(Uint8Array.from(t.rawData).buffer);
    }
    return Float64Array.from(t.doubleData ?? []);
  };
  const scalar = (name: string): number => {
    const v = read(name);
    if (v.length !== 1) throw new Error(`${file}: initializer \`${name}\` must hold one number, holds ${v.length}`);
    return v[0];
  };
  const [zMin, zMax] = [scalar('z_min'), scalar('z_max')];
  if (zMax !== -zMin) throw new Error(`${file}: the z-score clip bounds disagree (z_min ${zMin}, z_max ${zMax}); they must be −z and +z`);
  const shapes = json(META.shapes) as ShapeSet | undefined;
  if (shapes !== undefined) {
    const problem = shapesProblem(shapes, traitIds);
    if (problem) throw new Error(`${file}: ${problem}`);
  }
  const spec: RewardSpec = {
    traitIds,
    mean: read('mean'),
    std: read('std'),
    weights: shapes ? Float64Array.from(shapes.traits, (t) => t.evidence) : read('weights'),
    bias: scalar('bias'),
    zClip: zMax,
    role: meta.get(META.role) || 'assistant',
    training: json(META.training) ?? null,
  };
  if (shapes !== undefined) spec.shapes = shapes;
  const domain = json(META.domain);
  if (domain !== undefined) spec.domain = domain as DomainSummary;
  if (format === FORMAT_V1 && (spec.shapes || spec.domain)) throw new Error(`${file}: a format 1 model cannot carry shapes or a domain summary`);
  const problem = specProblem(spec);
  if (problem) throw new Error(`${file}: ${problem}`);
  if (format === FORMAT) {
    const stored = meta.get(META.sha256);
    if (stored === undefined) throw new Error(`${file} has no content hash (${META.sha256}); a format 2 model always carries one`);
    if (stored !== contentHash(spec)) {
      throw new Error(`${file} is damaged: its content hash does not match its trait ids, order, normalization and shape parameters. Restore it or refit it (styletune fit).`);
    }
  }
  const canonical = encode(spec, format, format === FORMAT ? meta.get(META.sha256) : undefined);
  if (Buffer.compare(Buffer.from(canonical), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) !== 0) {
    throw new Error(`${file} is damaged: its graph is not the one StyleTune writes for these parameters (an operator, a name or a derived table was changed). Restore it or refit it (styletune fit).`);
  }
  return spec;
}
