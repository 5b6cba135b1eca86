/**
 * Inline annotations on a 5,000-turn markdown transcript (2,500 assistant turns) and a 5,000-line
 * dialogue JSONL: what one refresh costs in the extension host. Prints milliseconds; the tests only
 * check behaviour, so a slow machine cannot fail them.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/annotations.bench.js
 *
 *   cold screen    first refresh of one screen plus the margin the extension computes (~260 lines)
 *   warm screen    the same again (all cached: what scrolling back and most keystrokes cost)
 *   after an edit  one turn changed in a new document version: parse again, score one turn
 *   whole file     every turn of the document, cold (the worst case, never done by the extension)
 */
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RewardModel } from '../src/core/reward/model';
import { AnnotationEngine, type DocumentFormat, type LineRange, type LineSource } from '../src/extension/annotations/engine';

const repoRoot = resolve(__dirname, '..', '..');
const TURNS = 5_000;
/** What the extension asks for: about 60 visible lines plus 100 above and below. */
const SCREEN: LineRange = { start: 2_400, end: 2_660 };

const USER = ['hey, how was the weekend?', 'did you watch anything good?', 'ugh mondays', 'Can you recommend a book?', 'what are you up to tonight'];
const ASSISTANT = [
  'honestly pretty chill lol, went hiking sat and slept most of sunday. you?',
  'Certainly! I would be happy to share some recommendations. As an AI, I do not watch television myself.',
  'right?? my bus was 20 min late this morning too',
  'One highly regarded option is "To Kill a Mockingbird" by Harper Lee, which explores themes of justice.',
  "prob just leftovers and a movie, my roommate keeps pushing some horror thing so we'll see",
];

function transcript(turns: number): string[] {
  const out = ['# Benchmark transcript', ''];
  for (let i = 0; i < turns; i++) {
    // Numbered so that no two turns share a cache entry: every turn is really measured.
    const text = i % 2 === 0 ? `${USER[(i / 2) % USER.length]} (${i})` : `${ASSISTANT[((i - 1) / 2) % ASSISTANT.length]} #${i}`;
    out.push(`**${i % 2 === 0 ? 'User' : 'Assistant'}:** ${text}`, '');
  }
  return out;
}

function jsonl(lines: number): string[] {
  return Array.from({ length: lines }, (_, i) =>
    JSON.stringify({ messages: [{ role: 'user', content: `${USER[i % USER.length]} (${i})` }, { role: 'assistant', content: ASSISTANT[i % ASSISTANT.length] }] }),
  );
}

const source = (lines: string[], id: string): LineSource & { id: string } => ({ id, lineCount: lines.length, lineAt: (i) => lines[i] });

/** The longest time the event loop was blocked during the last `ms` call: what a user would feel. */
let lastBlock = 0;

async function ms(fn: () => Promise<unknown>): Promise<number> {
  // A 1 ms ticker: the longest gap between its ticks is the longest the event loop was blocked.
  let last = performance.now();
  let max = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  const t = performance.now();
  await fn();
  const elapsed = performance.now() - t;
  clearInterval(ticker);
  lastBlock = Math.max(max, performance.now() - last);
  return elapsed;
}

const block = () => `, longest block ${lastBlock.toFixed(0)} ms`;

async function scenario(name: string, format: DocumentFormat, lines: string[], model: RewardModel): Promise<void> {
  const all: LineRange = { start: 0, end: lines.length };
  const engine = new AnnotationEngine();
  let count = 0;
  const cold = await ms(async () => (count = (await engine.annotate(format, source(lines, 'v1'), [SCREEN], model, 'm', 'assistant')).length));
  const coldBlock = block();
  const warm = await ms(() => engine.annotate(format, source(lines, 'v1'), [SCREEN], model, 'm', 'assistant'));
  const edited = [...lines];
  const at = SCREEN.start + 21 - (SCREEN.start % 2);
  if (format === 'jsonl') edited[at] = lines[at].replace('"}]}', ' edited"}]}');
  else edited[at] = `${lines[at]} edited`;
  const edit = await ms(() => engine.annotate(format, source(edited, 'v2'), [SCREEN], model, 'm', 'assistant'));
  const editBlock = block();
  let total = 0;
  const whole = await ms(async () => (total = (await new AnnotationEngine().annotate(format, source(lines, 'w'), [all], model, 'm', 'assistant')).length));
  console.log(`${name}: ${lines.length} lines, ${total} annotated items`);
  console.log(`  cold screen   ${cold.toFixed(1)} ms (${count} items${coldBlock})`);
  console.log(`  warm screen   ${warm.toFixed(1)} ms`);
  console.log(`  after an edit ${edit.toFixed(1)} ms (${editBlock.slice(2)})`);
  console.log(`  whole file    ${whole.toFixed(1)} ms per ${TURNS.toLocaleString('en')} turns (${((1000 * whole) / total).toFixed(0)} µs per item${block()})`);
}

async function main(): Promise<void> {
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  console.log(`node ${process.version}; model ${model.summary}`);
  // A first pass warms the JIT, the spelling memo and onnxruntime; the figures below are the second.
  await new AnnotationEngine().annotate('markdown', source(transcript(400), 'warmup'), [{ start: 0, end: 800 }], model, 'm', 'assistant');
  await scenario(`markdown transcript, ${TURNS.toLocaleString('en')} turns`, 'markdown', transcript(TURNS), model);
  await scenario(`dialogue JSONL, ${TURNS.toLocaleString('en')} lines`, 'jsonl', jsonl(TURNS), model);
  await model.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
