/**
 * Scoring throughput: responses per second through the whole scoring path (stream read, JSON parse,
 * validation, trait measurement, onnxruntime), against a pass that only reads and JSON-parses the
 * same file. Prints the figures; benchmarks/README.md keeps the measured ones.
 *
 *   npm run bench                     # builds, then runs on ../shared/data
 *   node out/benchmarks/score.bench.js --repeat 11
 *   taskset -c 0 node out/benchmarks/score.bench.js --warm 3    # best of 3 passes: for a busy machine
 *
 * Pass `taskset -c 0` in front to pin to one core; the work is single-threaded either way (onnxruntime
 * runs with one thread).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readJsonl } from '../src/core/jsonl';
import { RewardModel } from '../src/core/reward/model';
import { lineResultToJsonText, scoreJsonlFile } from '../src/core/score';

const repoRoot = resolve(__dirname, '..', '..');
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

interface Scenario {
  name: string;
  source: string;
  /** Responses (scored texts or dialogues) per line. */
  perLine: number;
  role?: string;
  target: number;
}

const scenarios: Scenario[] = [
  { name: 'preference pairs (human-like-dpo, 2 replies/line)', source: 'human-like-dpo/pairs.dev.jsonl', perLine: 2, target: 100_000 },
  { name: 'Turing games (human + ai dialogue/line)', source: 'turing/games.dev.jsonl', perLine: 2, target: 100_000 },
  { name: 'dialogues (topical-chat, agent_1 turns)', source: 'topical-chat/dialogues.jsonl', perLine: 1, role: 'agent_1', target: 100_000 },
];

/** Wall and CPU seconds (all threads: onnxruntime's included). On a shared machine wall time mostly
 * measures the neighbours; CPU time is what the work costs. */
async function time<T>(fn: () => Promise<T>): Promise<[{ wall: number; cpu: number }, T]> {
  const t = process.hrtime.bigint();
  const u = process.cpuUsage();
  const r = await fn();
  const du = process.cpuUsage(u);
  return [{ wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: (du.user + du.system) / 1e6 }, r];
}

async function main() {
  const warm = Math.max(1, arg('warm', 1));
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const dir = mkdtempSync(join(tmpdir(), 'styletune-bench-'));
  console.log(`node ${process.version}, ${process.arch}; model ${model.summary}`);
  try {
    for (const s of scenarios) {
      const text = readFileSync(join(shared, s.source), 'utf8');
      const lines = text.split('\n').filter((l) => l.trim()).length;
      // A dialogue "response" is all of one speaker's turns: say how many single replies that is.
      const turnsPerPass = s.role ? text.split('\n').filter((l) => l.trim()).reduce((n, l) => n + (JSON.parse(l) as { messages: { role: string }[] }).messages.filter((m) => m.role === s.role).length, 0) : 0;
      const repeat = arg('repeat', Math.ceil(s.target / (lines * s.perLine)));
      const file = join(dir, 'bench.jsonl');
      writeFileSync(file, (text.endsWith('\n') ? text : text + '\n').repeat(repeat));
      const responses = lines * repeat * s.perLine;
      const mb = statSync(file).size / 1e6;

      // Warm-up pass, so both measurements see a warm page cache and JIT.
      for await (const _ of readJsonl(file)) void _;
      const parsePass = () =>
        time(async () => {
          let n = 0;
          for await (const item of readJsonl(file)) if ('value' in item) n++;
          return n;
        });
      // With `print`, also what `styletune score` does per line besides scoring: the JSON line it prints
      // (~3 KB a pair); a pass that printed nothing counts -1 lines.
      const scorePass = (print = false) =>
        time(async () => {
          let n = 0;
          let chars = 0;
          for await (const r of scoreJsonlFile(file, model, { role: s.role })) {
            if (print) chars += lineResultToJsonText(r).length;
            if (r.kind !== 'diagnostic') n++;
          }
          return print && chars === 0 ? -1 : n;
        });
      // The first scoring pass of the process also loads the spelling dictionary and builds the
      // vocabulary (a real user's first file pays that); the warm ones show the steady state. With
      // --warm N, N rounds each run a parse-only, a scoring and a printing pass in turn, so both sides
      // of the ratio see the same heap and the same moment of a shared host; the figures are the best
      // of N by CPU time, and each round's own ratio is printed to show the spread.
      const [firstS, scored] = await scorePass();
      type Timed = [{ wall: number; cpu: number }, number];
      const faster = (a: Timed | undefined, b: Timed) => (a === undefined || b[0].cpu < a[0].cpu ? b : a);
      let parseBest: Timed | undefined;
      let scoreBest: Timed | undefined;
      let outputBest: Timed | undefined;
      const roundRatios: string[] = [];
      for (let round = 0; round < warm; round++) {
        const p = await parsePass();
        const sc = await scorePass();
        const o = await scorePass(true);
        roundRatios.push((sc[0].cpu / p[0].cpu).toFixed(2));
        parseBest = faster(parseBest, p);
        scoreBest = faster(scoreBest, sc);
        outputBest = faster(outputBest, o);
      }
      const [parseS, parsed] = parseBest!;
      const [scoreS] = scoreBest!;
      const [outputS, printed] = outputBest!;
      if (parsed !== lines * repeat || scored !== lines * repeat || printed !== lines * repeat) throw new Error(`${s.name}: parsed ${parsed}, scored ${scored}, printed ${printed}, expected ${lines * repeat}`);
      const rate = (sec: number) => `${Math.round(responses / sec).toLocaleString('en')} responses/s`;
      const row = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s  (${rate(t.wall)});  CPU ${t.cpu.toFixed(2)} s  (${rate(t.cpu)})`;
      console.log(
        [
          `${s.name}: ${responses.toLocaleString('en')} responses, ${mb.toFixed(0)} MB`,
          `  parse only:          ${row(parseS)}`,
          `  scoring, first pass: ${row(firstS)}`,
          `  scoring, warm:       ${row(scoreS)}`,
          `  + JSON lines (CLI):  ${row(outputS)}`,
          ...(turnsPerPass ? [`  that is ${Math.round((turnsPerPass * repeat) / scoreS.cpu).toLocaleString('en')} ${s.role} turns/s warm (CPU), ${(turnsPerPass / lines).toFixed(1)} turns per dialogue`] : []),
          `  scoring / parse-only: ${(firstS.wall / parseS.wall).toFixed(2)}x first pass, ${(scoreS.wall / parseS.wall).toFixed(2)}x warm;` +
            `  CPU ${(firstS.cpu / parseS.cpu).toFixed(2)}x first pass, ${(scoreS.cpu / parseS.cpu).toFixed(2)}x warm` +
            (warm > 1 ? `  (CPU, round by round: ${roundRatios.join(', ')})` : ''),
        ].join('\n'),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await model.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
