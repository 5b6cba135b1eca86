/**
 * A trait's shape: the reward's contribution fᵢ as a piecewise-linear function of the trait's z-score,
 * and how the ONNX graph evaluates it.
 *
 * Knots sit on a uniform grid of `cells` steps from `lo` to `hi` (z units): the fit places them at the
 * fitting data's quantiles and snaps them to the grid, so the function is exactly linear between grid
 * points. That lets the graph look a value up instead of summing one term per knot:
 *
 *   u = clip((z − lo) · scale, 0, cells)      scale = cells / (hi − lo)
 *   i = ⌊min(u, cells − 1)⌋,  f = table[i] + (u − i) · rise[i]
 *
 * with `table` the function at every grid point and rise[i] = table[i + 1] − table[i]. Beyond the end
 * knots the function is flat. `contribution` below is the same arithmetic in the same order as the graph
 * (onnx.ts), so the inspector's numbers and onnxruntime's agree to the last bit.
 */
import type { RewardSpec } from './onnx';

export interface TraitShape {
  /** z-score of grid point 0 and of grid point `cells`. */
  lo: number;
  hi: number;
  /** Grid points of the knots, strictly increasing from 0 to `cells`; a single 0 for a flat shape. */
  knots: number[];
  /** fᵢ at each knot. */
  values: number[];
  /** The signed weight of evidence (RewardSpec.weights of a shape model): for display and ordering. */
  evidence: number;
}

export interface ShapeSet {
  /** Grid steps between lo and hi, the same for every trait (one graph for all). */
  cells: number;
  traits: TraitShape[];
}

/** Grid steps: 64 puts a snapped knot within 1/128 of the knot range of its quantile. */
export const SHAPE_CELLS = 64;

/** Per-trait lookup tables, as the graph's initializers hold them. */
export interface CompiledShapes {
  cells: number;
  lo: Float64Array;
  scale: Float64Array;
  /** [k, cells + 1] row-major: f at every grid point. */
  table: Float64Array;
  /** [k, cells + 1]: table[i + 1] − table[i]; the last of each row is 0 (never read). */
  rise: Float64Array;
}

/** The z-score of grid point g. */
export const gridZ = (s: TraitShape, cells: number, g: number): number => s.lo + ((s.hi - s.lo) * g) / cells;

/** The lookup tables of a shape set (what the ONNX graph computes with). */
export function compileShapes(set: ShapeSet): CompiledShapes {
  const { cells, traits } = set;
  const w = cells + 1;
  const out: CompiledShapes = {
    cells,
    lo: new Float64Array(traits.length),
    scale: new Float64Array(traits.length),
    table: new Float64Array(traits.length * w),
    rise: new Float64Array(traits.length * w),
  };
  traits.forEach((s, j) => {
    out.lo[j] = s.lo;
    // A flat shape (one knot) reads table[0] whatever z is.
    out.scale[j] = s.knots.length > 1 ? cells / (s.hi - s.lo) : 0;
    for (let g = 0; g <= cells; g++) out.table[j * w + g] = valueAtGrid(s, g);
    for (let g = 0; g < cells; g++) out.rise[j * w + g] = out.table[j * w + g + 1] - out.table[j * w + g];
  });
  return out;
}

/** f at grid point g: linear interpolation between the knots around it. */
function valueAtGrid(s: TraitShape, g: number): number {
  const { knots, values } = s;
  if (knots.length === 1 || g <= knots[0]) return values[0];
  for (let l = 1; l < knots.length; l++) {
    if (g <= knots[l]) {
      if (g === knots[l]) return values[l];
      const t = (g - knots[l - 1]) / (knots[l] - knots[l - 1]);
      return values[l - 1] + t * (values[l] - values[l - 1]);
    }
  }
  return values[values.length - 1];
}

const compiled = new WeakMap<ShapeSet, CompiledShapes>();

/** compileShapes, once per shape set. */
export function compiledShapes(set: ShapeSet): CompiledShapes {
  let c = compiled.get(set);
  if (!c) compiled.set(set, (c = compileShapes(set)));
  return c;
}

/** clip((x − mean) / std, ±zClip): the z-score every model family starts from. */
export function zScore(spec: RewardSpec, j: number, x: number): number {
  const z = (x - spec.mean[j]) / spec.std[j];
  return z < -spec.zClip ? -spec.zClip : z > spec.zClip ? spec.zClip : z;
}

/** fᵢ at z (already clipped), exactly as the graph computes it. */
export function shapeAt(c: CompiledShapes, j: number, z: number): number {
  const cells = c.cells;
  const raw = (z - c.lo[j]) * c.scale[j];
  const u = raw < 0 ? 0 : raw > cells ? cells : raw;
  const i = Math.trunc(u > cells - 1 ? cells - 1 : u);
  const at = j * (cells + 1) + i;
  return c.table[at] + (u - i) * c.rise[at];
}

/** What trait j adds to the score at trait value x, for either model family, as the graph does. */
export function contribution(spec: RewardSpec, j: number, x: number): number {
  const z = zScore(spec, j, x);
  return spec.shapes ? shapeAt(compiledShapes(spec.shapes), j, z) : spec.weights[j] * z;
}

/** Block characters from low to high, for text sparklines. */
const BLOCKS = '▁▂▃▄▅▆▇█';
/** Cells of a shape sparkline: enough to see a rise and a fall, short enough for a table cell. */
export const SPARK_CELLS = 12;

/**
 * Where trait value x sits on trait j's shape, as text: fᵢ over its knot range in block characters,
 * the cell holding x shown as ● (a value beyond the knots sits at the end it is past; fᵢ is flat there).
 * Undefined for linear models (one slope, nothing to show) and flat shapes.
 */
export function shapeSparkline(spec: RewardSpec, j: number, x: number, cells = SPARK_CELLS): string | undefined {
  const s = spec.shapes?.traits[j];
  if (!spec.shapes || !s || s.knots.length < 2) return undefined;
  const raw = (g: number) => spec.mean[j] + gridZ(s, spec.shapes!.cells, g) * spec.std[j];
  const x0 = raw(s.knots[0]);
  const x1 = raw(s.knots[s.knots.length - 1]);
  if (!(x1 > x0)) return undefined;
  const f = Array.from({ length: cells }, (_, i) => contribution(spec, j, x0 + ((i + 0.5) * (x1 - x0)) / cells));
  const lo = Math.min(...f);
  const hi = Math.max(...f);
  if (hi - lo < 1e-9) return undefined;
  const at = Math.min(cells - 1, Math.max(0, Math.floor(((x - x0) / (x1 - x0)) * cells)));
  return f.map((v, i) => (i === at ? '●' : BLOCKS[Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))])).join('');
}
