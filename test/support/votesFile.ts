/**
 * A large votes file and its items, generated the same way every time: 2,000 items × 4 systems, the
 * comparisons running through (annotator, item, pair of systems) in order, 2 % of the votes a repeat
 * of the comparison before (a changed mind). For the votes report's memory test and benchmark.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { promptHash } from '../../src/core/votes/items';
import { mulberry32 } from '../../src/core/random';

const SYSTEMS = ['base', 'tuned-a', 'tuned-b', 'tuned-c'];

export async function generateVotes(dir: string, votes: number): Promise<{ votesFile: string; itemsFile: string }> {
  const items = 2000;
  const itemsFile = join(dir, 'items.jsonl');
  const prompts = Array.from({ length: items }, (_, i) => `What would you do on a free afternoon number ${i}?`);
  writeFileSync(itemsFile, prompts.map((prompt, i) => JSON.stringify({ id: `item-${i}`, prompt, responses: Object.fromEntries(SYSTEMS.map((s) => [s, `${s} says something about ${i}`])) })).join('\n') + '\n');
  const hashes = prompts.map((p) => promptHash(p));
  const votesFile = join(dir, 'big.votes.jsonl');
  const out = createWriteStream(votesFile);
  const next = mulberry32(17);
  const pairs = SYSTEMS.flatMap((a, i) => SYSTEMS.slice(i + 1).map((b) => [a, b]));
  // Comparisons run through (annotator, item, pair) in order, so they are unique but for the repeats.
  for (let n = 0, k = 0; n < votes; n++) {
    const repeat = next() < 0.02 && k > 0;
    const c = repeat ? k - 1 : k++;
    const pair = pairs[c % pairs.length];
    const item = Math.floor(c / pairs.length) % items;
    const annotator = `annotator-${Math.floor(c / (pairs.length * items))}`;
    const [A, B] = next() < 0.5 ? pair : [pair[1], pair[0]];
    const r = next();
    const winner = r < 0.1 ? 'tie' : r < 0.6 ? (A === 'base' ? B : A) : A === 'base' ? A : B;
    const line = JSON.stringify({ item_id: `item-${item}`, prompt_hash: hashes[item], systems: { A, B }, winner, confidence: r < 0.3 ? 'certainly' : r < 0.7 ? 'likely' : null, annotator, time: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(), session: `session-${annotator}`, seed: 1234 });
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { votesFile, itemsFile };
}
