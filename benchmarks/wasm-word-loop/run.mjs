/**
 * The "WebAssembly" figure of benchmarks/README.md: the scanner's word loop (find words, hash, look up) in WebAssembly
 * against the same loop in JavaScript, on the preference-pair replies, per reply, best of 8 passes.
 *
 *   npx -y -p assemblyscript@0.28 asc benchmarks/wasm-word-loop/word-loop.as.ts -O3 --runtime stub \
 *     --initialMemory 512 -o /tmp/word-loop.wasm
 *   taskset -c 0 node benchmarks/wasm-word-loop/run.mjs /tmp/word-loop.wasm
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(here, '..', '..', '..', 'shared', 'data');
const lines = readFileSync(resolve(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const texts = lines.flatMap((r) => [r.chosen, r.rejected]).map((t) => (typeof t === 'string' ? t : t.map((m) => m.content).join(' ')));

const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(process.argv[2] ?? '/tmp/word-loop.wasm')), { env: { abort() {} } }).exports;
const TEXT = 1 << 20;
wasm.init(1 << 22, 1 << 18);
const u16 = new Uint16Array(wasm.memory.buffer);
const copy = (t) => {
  for (let i = 0; i < t.length; i++) u16[(TEXT >> 1) + i] = t.charCodeAt(i);
  return t.length;
};

// The same loop in JavaScript, with a table of the same layout.
const table = new Int32Array(8 << 18);
let count = 0;
function scanJs(text) {
  let i = 0;
  let words = 0;
  let acc = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    const f = ch | 32;
    if (!((f >= 97 && f <= 122) || (ch >= 48 && ch <= 57))) {
      i++;
      continue;
    }
    let h = 0x811c9dc5 | 0;
    let h2 = 0x2545f491 | 0;
    const s = i;
    while (i < n) {
      let d = text.charCodeAt(i);
      if (d >= 65 && d <= 90) d |= 32;
      else if (!((d >= 97 && d <= 122) || (d >= 48 && d <= 57))) break;
      h = Math.imul(h ^ d, 16777619);
      h2 = (Math.imul(h2, 0x5bd1e995) + d) | 0;
      i++;
    }
    words++;
    const len = i - s;
    for (let idx = h & 0x3ffff; ; idx = (idx + 1) & 0x3ffff) {
      const at = idx << 3;
      if (table[at + 6] === 0) {
        table[at] = h;
        table[at + 1] = h2;
        table[at + 2] = len;
        table[at + 6] = ++count;
        acc += count;
        break;
      }
      if (table[at] === h && table[at + 1] === h2 && table[at + 2] === len) {
        acc += table[at + 6];
        table[at + 4] = 7;
        break;
      }
    }
  }
  return acc + words;
}

const passes = {
  'JavaScript word loop': (t) => scanJs(t),
  'copy into WASM memory only': (t) => copy(t),
  'copy + WASM word loop': (t) => wasm.scan(TEXT, copy(t)),
};
for (let round = 0; round < 2; round++) {
  for (const [name, fn] of Object.entries(passes)) {
    let best = Infinity;
    for (let k = 0; k < 8; k++) {
      const t = process.hrtime.bigint();
      let sink = 0;
      for (let rep = 0; rep < 5; rep++) for (const text of texts) sink += fn(text);
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e3 / (texts.length * 5));
      if (sink === -1) console.log(sink);
    }
    if (round === 1) console.log(`${name.padEnd(28)} ${best.toFixed(2)} µs a reply`);
  }
}
