/**
 * Comparisons (winner, loser) for fitting, in bounded memory: each side's trait values as float32 in
 * fixed-size chunks (a million pairs of 50 traits is 400 MB, not the ~2 GB of one Float64Array and one
 * object per side), the source, breakdown group and fold group of each as small integers.
 *
 *   const t = new ComparisonTable(TRAITS.length);
 *   t.push(winnerValues, loserValues, 'games.jsonl', 'eliza', ['game 17']);
 *   t.finish();
 *   t.value(r, 0, j)   // trait j of comparison r's winner (side 1: loser)
 *
 * Plain data inside, so a table crosses to a worker thread with its buffers transferred, not copied
 * (`transferList`, then `ComparisonTable.revive` on the other side).
 */

/** One comparison as objects (tests, small tools); the table is what fitting reads. */
export interface Comparison {
  winner: ArrayLike<number>;
  loser: ArrayLike<number>;
  source: string;
  /** Value of the breakdown field (e.g. the AI witness model), if any. */
  group?: string;
  /** Values that tie comparisons together for cross-validation (same game, same prompt). */
  foldKeys?: readonly string[];
}

/** Comparisons per chunk of values. */
const CHUNK = 4096;

interface TableData {
  width: number;
  n: number;
  chunks: Float32Array[];
  source: Uint16Array;
  group: Int32Array;
  /** Union-find parents over comparisons (fold keys); after finish(), each comparison's root. */
  parent: Int32Array;
  sources: string[];
  groups: string[];
  /** Whether any comparison named a fold key. */
  grouped: boolean;
}

export class ComparisonTable {
  private d: TableData;
  /** Fold key (hashed) → the first comparison that named it; dropped by finish(). */
  private keyOwner: Map<number, number> | undefined = new Map();
  private readonly sourceIndex = new Map<string, number>();
  private readonly groupIndex = new Map<string, number>();

  constructor(width: number) {
    this.d = { width, n: 0, chunks: [], source: new Uint16Array(256), group: new Int32Array(256), parent: new Int32Array(256), sources: [], groups: [], grouped: false };
  }

  static from(comparisons: readonly Comparison[]): ComparisonTable {
    const t = new ComparisonTable(comparisons[0]?.winner.length ?? 0);
    for (const c of comparisons) t.push(c.winner, c.loser, c.source, c.group, c.foldKeys);
    t.finish();
    return t;
  }

  /** A table received from another thread (its prototype does not travel). */
  static revive(data: unknown): ComparisonTable {
    const d = (data as { d: TableData }).d;
    const t = Object.create(ComparisonTable.prototype) as ComparisonTable;
    Object.assign(t, { d, keyOwner: undefined, sourceIndex: new Map(d.sources.map((s, i) => [s, i])), groupIndex: new Map(d.groups.map((g, i) => [g, i])) });
    return t;
  }

  /** Buffers to transfer with postMessage (the table is unusable here afterwards). */
  transferList(): ArrayBuffer[] {
    const d = this.d;
    return [...d.chunks.map((c) => c.buffer as ArrayBuffer), d.source.buffer as ArrayBuffer, d.group.buffer as ArrayBuffer, d.parent.buffer as ArrayBuffer];
  }

  get n(): number {
    return this.d.n;
  }

  /** Trait values per side. */
  get width(): number {
    return this.d.width;
  }

  get sources(): readonly string[] {
    return this.d.sources;
  }

  get groups(): readonly string[] {
    return this.d.groups;
  }

  push(winner: ArrayLike<number>, loser: ArrayLike<number>, source: string, group?: string, foldKeys?: readonly string[]): void {
    const d = this.d;
    if (winner.length !== d.width || loser.length !== d.width) throw new Error(`a comparison has ${winner.length} and ${loser.length} trait values, expected ${d.width}`);
    const r = d.n;
    if (r % CHUNK === 0) d.chunks.push(new Float32Array(CHUNK * 2 * d.width));
    if (r === d.source.length) {
      d.source = grow(d.source) as Uint16Array;
      d.group = grow(d.group) as Int32Array;
      d.parent = grow(d.parent) as Int32Array;
    }
    const chunk = d.chunks[d.chunks.length - 1];
    const at = (r % CHUNK) * 2 * d.width;
    chunk.set(winner, at);
    chunk.set(loser, at + d.width);
    d.source[r] = indexOf(this.sourceIndex, d.sources, source);
    if (d.sources.length > 0xffff) throw new Error('more than 65,535 source files');
    d.group[r] = group === undefined ? -1 : indexOf(this.groupIndex, d.groups, group);
    d.parent[r] = r;
    if (foldKeys && foldKeys.length > 0) {
      if (!this.keyOwner) throw new Error('the table is finished');
      d.grouped = true;
      for (const key of foldKeys) {
        const h = hashKey(key);
        const owner = this.keyOwner.get(h);
        if (owner === undefined) this.keyOwner.set(h, r);
        else union(d.parent, owner, r);
      }
    }
    d.n = r + 1;
  }

  /** Resolves fold groups; call once every comparison is in. */
  finish(): void {
    const p = this.d.parent;
    for (let r = 0; r < this.d.n; r++) p[r] = find(p, r);
    this.keyOwner = undefined;
  }

  /** Trait j of comparison r's winner (side 0) or loser (side 1). */
  value(r: number, side: 0 | 1, j: number): number {
    const d = this.d;
    return d.chunks[(r / CHUNK) | 0][(r % CHUNK) * 2 * d.width + side * d.width + j];
  }

  /** The chunk holding comparison r and the offset of its winner's values (the loser's follow). */
  chunkOf(r: number): { values: Float32Array; offset: number } {
    const d = this.d;
    return { values: d.chunks[(r / CHUNK) | 0], offset: (r % CHUNK) * 2 * d.width };
  }

  /** One comparison as objects (views into the table). */
  comparison(r: number): Comparison {
    const d = this.d;
    const { values, offset } = this.chunkOf(r);
    const g = d.group[r];
    return { winner: values.subarray(offset, offset + d.width), loser: values.subarray(offset + d.width, offset + 2 * d.width), source: d.sources[d.source[r]], group: g < 0 ? undefined : d.groups[g] };
  }

  sourceOf(r: number): number {
    return this.d.source[r];
  }

  groupOf(r: number): number {
    return this.d.group[r];
  }

  /** Per comparison, the first comparison of its fold group (itself when it shares no key); undefined without fold keys. */
  foldGroups(): Int32Array | undefined {
    return this.d.grouped ? this.d.parent.subarray(0, this.d.n) : undefined;
  }
}

function grow(a: Uint16Array | Int32Array): Uint16Array | Int32Array {
  const b = new (a.constructor as Uint16ArrayConstructor | Int32ArrayConstructor)(a.length * 2);
  b.set(a);
  return b;
}

function indexOf(index: Map<string, number>, list: string[], name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = list.length;
    list.push(name);
    index.set(name, i);
  }
  return i;
}

function find(parent: Int32Array, r: number): number {
  let root = r;
  while (parent[root] !== root) root = parent[root];
  while (parent[r] !== root) {
    const next = parent[r];
    parent[r] = root;
    r = next;
  }
  return root;
}

/** Joins two groups under the smaller root, so a group's root is its first comparison. */
function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}

/**
 * A 53-bit hash of a fold key: a million distinct prompts cost a number each, not a string each, and
 * two keys collide with odds of ~n²/2⁵⁴ (a false tie only makes a fold group larger).
 */
function hashKey(key: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}
