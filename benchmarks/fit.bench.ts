/**
 * `styletune fit` on a large pairs file: the human-like-dpo development pairs repeated to N lines
 * (default 1,000,000, ~1.6 GB), 5-fold cross-validation as by default. Prints wall and CPU time (all
 * threads) and the child's peak RSS; with --baseline, another build's CLI runs the same in turn, and the
 * builds are compared on time and memory only. `--linear` fits one weight per trait with the current
 * build; a baseline from before shapes (78b3144^) fits that family anyway and is given no flag.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/fit.bench.js [--pairs 200000] [--rounds 1]
 *     [--baseline /tmp/base/dist/cli.js] [--linear]
 *
 * Issue 17's target: ≤ 1 GB peak RSS for 1 M pairs. Needs ../shared/data (STYLETUNE_SHARED_DATA).
 */
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { builds, option, repoRoot, runBenchmark } from './child';

const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');

async function writePairs(file: string, count: number): Promise<void> {
  const lines = readFileSync(join(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    // Waiting for drain keeps this script's own memory flat while it writes a 1.6 GB file.
    if (!out.write(lines[i % lines.length] + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

runBenchmark('styletune-bench-fit-', async (dir, meter) => {
  const count = Number(option('pairs') ?? 1_000_000);
  const rounds = Math.max(1, Number(option('rounds') ?? 1));
  const extra = process.argv.includes('--linear') ? ['--linear'] : [];
  const pairs = join(dir, 'pairs.jsonl');
  await writePairs(pairs, count);
  console.log(`node ${process.version}; fit on ${count.toLocaleString('en')} pairs, ${(statSync(pairs).size / 1e6).toFixed(0)} MB ${extra.join(' ')}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (let round = 1; round <= rounds; round++) {
    for (const [name, cli] of builds()) {
      const args = ['fit', pairs, '--out', join(dir, `${name}.onnx`), ...(name === 'current' ? extra : [])];
      const m = await meter.run(cli, args, { stdout: 'pipe' });
      if (m.code !== 0) throw new Error(`${name} exited with ${m.code}`);
      console.log(`round ${round}  ${name.padEnd(8)}  wall ${m.wall.toFixed(1)} s  CPU ${m.cpu.toFixed(1)} s  peak RSS ${m.maxRssMb.toFixed(0)} MB  (load ${loadavg()[0].toFixed(2)})`);
    }
  }
});
