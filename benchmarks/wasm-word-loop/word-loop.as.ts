/**
 * AssemblyScript version of the scanner's word loop, for benchmarks/wasm-word-loop/run.mjs: finds ASCII
 * words in UTF-16 text at `text`, hashes each with the extractor's two hashes (vocabulary.ts: Hash) and
 * looks it up in an open-addressing table of 32-byte records, inserting it when new. Not used by the
 * product; kept so the README's "WebAssembly" figure can be measured again.
 */
let tableBase: usize = 0;
let mask: u32 = 0;
let count: u32 = 0;

export function init(base: usize, slots: u32): void {
  tableBase = base;
  mask = slots - 1;
  count = 0;
}

export function scan(text: usize, n: i32): i32 {
  let i = 0;
  let words = 0;
  let acc = 0;
  while (i < n) {
    const ch = <u32>load<u16>(text + (<usize>i << 1));
    const f = ch | 32;
    if (!((f >= 97 && f <= 122) || (ch >= 48 && ch <= 57))) {
      i++;
      continue;
    }
    let h: u32 = 0x811c9dc5;
    let h2: u32 = 0x2545f491;
    const s = i;
    while (i < n) {
      let d = <u32>load<u16>(text + (<usize>i << 1));
      if (d >= 65 && d <= 90) d |= 32;
      else if (!((d >= 97 && d <= 122) || (d >= 48 && d <= 57))) break;
      h = (h ^ d) * 16777619;
      h2 = h2 * 0x5bd1e995 + d;
      i++;
    }
    words++;
    const len = i - s;
    for (let idx = h & mask; ; idx = (idx + 1) & mask) {
      const at = tableBase + (<usize>idx << 5);
      const id = load<i32>(at, 24);
      if (id == 0) {
        store<u32>(at, h);
        store<u32>(at, h2, 4);
        store<i32>(at, len, 8);
        store<i32>(at, ++count, 24);
        acc += count;
        break;
      }
      if (load<u32>(at) == h && load<u32>(at, 4) == h2 && load<i32>(at, 8) == len) {
        acc += id;
        store<i32>(at, 7, 16); // a stamp, as the extractor writes one per word
        break;
      }
    }
  }
  return acc + words;
}
