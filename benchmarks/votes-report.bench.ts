/**
 * `styletune votes report` on a large generated votes file (default 1.5 million votes, ~360 MB, from
 * test/support/votesFile.ts: 2,000 items × 4 systems, 125 annotators, 2 % repeats) with its items file,
 * text and --json. Prints wall and CPU time and the child's peak RSS; with --baseline, another build
 * runs the same in turn and the two reports are checked to be identical.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/votes-report.bench.js --baseline /tmp/baseline-dist/cli.js
 *   node out/benchmarks/votes-report.bench.js --votes 200000 --rounds 3
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateVotes } from '../test/support/votesFile';
import { builds, option, repoRoot, runBenchmark } from './child';

runBenchmark('styletune-bench-votes-', async (dir, meter) => {
  const count = Number(option('votes') ?? 1_500_000);
  const rounds = Math.max(1, Number(option('rounds') ?? 1));
  const { votesFile, itemsFile } = await generateVotes(dir, count);
  console.log(`node ${process.version}; ${count.toLocaleString('en')} votes, ${(statSync(votesFile).size / 1e6).toFixed(0)} MB; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const json of [false, true]) {
    const shas = new Set<string>();
    for (let round = 1; round <= rounds; round++) {
      for (const [name, cli] of builds()) {
        const args = ['votes', 'report', votesFile, '--items', itemsFile, '--model', join(repoRoot, 'models', 'default.onnx'), ...(json ? ['--json'] : [])];
        const m = await meter.run(cli, args, { stdout: 'pipe' });
        if (m.code !== 0) throw new Error(`${name} exited with ${m.code}`);
        shas.add(m.sha);
        console.log(`${json ? '--json' : 'text  '}  round ${round}  ${name.padEnd(8)}  wall ${m.wall.toFixed(1)} s  CPU ${m.cpu.toFixed(1)} s  peak RSS ${m.maxRssMb.toFixed(0)} MB`);
      }
    }
    if (shas.size !== 1) throw new Error(`the builds printed different reports (${json ? 'json' : 'text'})`);
  }
  if (builds().length > 1) console.log('reports identical');
});
