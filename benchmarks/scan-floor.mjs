/**
 * The floor under the scoring benchmark's ratio (benchmarks/README.md): what one preference-pair response costs
 * to decode and parse, against loops over its reply that do less and less of what the trait scanner
 * does. Strings and bytes are in memory, so no I/O is timed; best of 10 passes, per response.
 *
 *   taskset -c 0 node benchmarks/scan-floor.mjs
 *
 * "find words only" is the least any word-based scanner must do: it measures nothing.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(here, '..', '..', 'shared', 'data');
const bytes = readFileSync(resolve(shared, 'human-like-dpo', 'pairs.dev.jsonl'));
const spans = [];
for (let start = 0, nl = bytes.indexOf(10); nl !== -1; start = nl + 1, nl = bytes.indexOf(10, start)) {
  if (nl > start) spans.push([start, nl]);
}
const texts = spans
  .map(([s, e]) => JSON.parse(bytes.toString('utf8', s, e)))
  .flatMap((r) => [r.chosen, r.rejected])
  .map((t) => (typeof t === 'string' ? t : t.map((m) => m.content).join(' ')));
const responses = texts.length; // two per line

const isWordStart = (ch) => {
  const f = ch | 32;
  return (f >= 97 && f <= 122) || (ch >= 48 && ch <= 57);
};

function findWords(text) {
  const n = text.length;
  let i = 0;
  let words = 0;
  while (i < n) {
    if (!isWordStart(text.charCodeAt(i))) {
      i++;
      continue;
    }
    while (i < n) {
      const d = text.charCodeAt(i);
      if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d >= 48 && d <= 57))) break;
      i++;
    }
    words++;
  }
  return words;
}

function findAndHash(text) {
  const n = text.length;
  let i = 0;
  let acc = 0;
  while (i < n) {
    if (!isWordStart(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let h = 0x811c9dc5 | 0;
    let h2 = 0x2545f491 | 0;
    while (i < n) {
      let d = text.charCodeAt(i);
      if (d >= 65 && d <= 90) d |= 32;
      else if (!((d >= 97 && d <= 122) || (d >= 48 && d <= 57))) break;
      h = Math.imul(h ^ d, 16777619);
      h2 = (Math.imul(h2, 0x5bd1e995) + d) | 0;
      i++;
    }
    acc += h ^ h2;
  }
  return acc;
}

function sumCodes(text) {
  let acc = 0;
  for (let i = 0; i < text.length; i++) acc += text.charCodeAt(i);
  return acc;
}

const passes = {
  'decode + JSON.parse (per response)': () => {
    let n = 0;
    for (const [s, e] of spans) n += JSON.parse(bytes.toString('utf8', s, e)) ? 2 : 0;
    return n;
  },
  'read each character of the reply': () => texts.reduce((a, t) => a + sumCodes(t), 0),
  'find words only': () => texts.reduce((a, t) => a + findWords(t), 0),
  'find words + hash them': () => texts.reduce((a, t) => a + findAndHash(t), 0),
};
const chars = texts.reduce((a, t) => a + t.length, 0);
console.log(`node ${process.version}; ${responses} replies of ${Math.round(chars / responses)} characters on average`);
for (let round = 0; round < 2; round++) {
  for (const [name, pass] of Object.entries(passes)) {
    let best = Infinity;
    for (let k = 0; k < 10; k++) {
      const t = process.hrtime.bigint();
      if (pass() === -1) console.log('');
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e3 / responses);
    }
    if (round === 1) console.log(`${name.padEnd(38)} ${best.toFixed(2)} µs a response`);
  }
}
