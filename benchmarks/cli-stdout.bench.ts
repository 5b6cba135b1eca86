/**
 * `styletune score` end to end, output included: the built CLI (dist/cli.js) scores 100,000 responses
 * with its stdout read at full speed through a pipe, and into /dev/null. With --baseline, another
 * build runs the same passes in turn (A, B, A, B, …), so a change to the output path is compared side
 * by side at the same moments of a shared machine, and both outputs are checked to be byte-identical.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/cli-stdout.bench.js --rounds 3 \
 *     --baseline /tmp/baseline-dist/cli.js        # e.g. a build of main before the change
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { builds, option, repoRoot, runBenchmark, type Measured } from './child';

const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

runBenchmark('styletune-bench-stdout-', async (dir, meter) => {
  const rounds = Math.max(1, Number(option('rounds') ?? 3));
  const model = join(repoRoot, 'models', 'default.onnx');
  const lines = readFileSync(join(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const pairs = 50_000; // two responses a line
  const file = join(dir, 'pairs.jsonl');
  writeFileSync(file, Array.from({ length: pairs }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
  console.log(`node ${process.version}; ${(pairs * 2).toLocaleString('en')} responses; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const best = new Map<string, Measured>();
  const shas = new Set<string>();
  for (let round = 1; round <= rounds; round++) {
    for (const sink of ['pipe', 'null'] as const) {
      for (const [name, cli] of builds()) {
        const p = await meter.run(cli, ['score', file, '--model', model], { stdout: sink });
        if (p.code !== 0) throw new Error(`${cli} exited with ${p.code}`);
        if (sink === 'pipe') shas.add(p.sha);
        console.log(`round ${round}  ${name.padEnd(8)} stdout→${sink.padEnd(4)}  wall ${p.wall.toFixed(2)} s  CPU ${p.cpu.toFixed(2)} s  peak RSS ${p.maxRssMb.toFixed(0)} MB${sink === 'pipe' ? `  ${(p.bytes / 1e6).toFixed(0)} MB out` : ''}`);
        const key = `${name} ${sink}`;
        const b = best.get(key);
        if (!b || p.cpu < b.cpu) best.set(key, p);
      }
    }
  }
  if (shas.size !== 1) throw new Error('the builds printed different output');
  console.log(`best of ${rounds} by CPU:`);
  for (const [key, p] of best) console.log(`  ${key.padEnd(14)} CPU ${p.cpu.toFixed(2)} s (${Math.round((pairs * 2) / p.cpu).toLocaleString('en')} responses/s)  wall ${p.wall.toFixed(2)} s`);
  if (builds().length > 1) {
    for (const sink of ['pipe', 'null']) {
      console.log(`  current / baseline, stdout→${sink}: CPU ${(best.get(`current ${sink}`)!.cpu / best.get(`baseline ${sink}`)!.cpu).toFixed(3)}x`);
    }
    console.log('  outputs byte-identical');
  }
});
