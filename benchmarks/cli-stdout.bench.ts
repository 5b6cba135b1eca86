/**
 * `styletune score` end to end, output included: the built CLI (dist/cli.js) scores ~100,000 responses
 * with its stdout read at full speed through a pipe, and into /dev/null. With --baseline, another
 * build runs the same passes in turn (A, B, A, B, …), so a change to the output path is compared side
 * by side at the same moments of a shared machine, and both outputs are checked to be byte-identical.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/cli-stdout.bench.js --rounds 3 \
 *     --baseline /tmp/baseline-dist/cli.js        # e.g. a build of main before the change
 *
 * CPU time and peak RSS are the child's own (process.cpuUsage and resourceUsage at its exit).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..');
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

interface Pass {
  wall: number;
  cpu: number;
  maxRssMb: number;
  bytes: number;
  sha: string;
}

/** Runs the CLI once; `sink` 'pipe' reads its stdout here as fast as it comes, 'null' sends it to /dev/null. */
function run(cli: string, file: string, model: string, sink: 'pipe' | 'null', usageFile: string, preload: string): Promise<Pass> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--require', preload, cli, 'score', file, '--model', model], {
    stdio: ['ignore', sink === 'pipe' ? 'pipe' : 'ignore', 'inherit'],
    // A baseline build outside the checkout still finds onnxruntime-node.
    env: { ...process.env, NODE_PATH: join(repoRoot, 'node_modules'), STYLETUNE_BENCH_USAGE: usageFile },
  });
  const hash = createHash('sha256');
  let bytes = 0;
  child.stdout?.on('data', (b: Buffer) => {
    bytes += b.length;
    hash.update(b);
  });
  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('close', (code) => {
      if (code !== 0) return fail(new Error(`${cli} exited with ${code}`));
      const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { cpu: number; maxRss: number };
      ok({ wall: Number(process.hrtime.bigint() - started) / 1e9, cpu: u.cpu, maxRssMb: u.maxRss / 1024, bytes, sha: hash.digest('hex') });
    });
  });
}

async function main(): Promise<void> {
  const rounds = Math.max(1, Number(option('rounds') ?? 3));
  const current = resolve(option('cli') ?? join(repoRoot, 'dist', 'cli.js'));
  const baseline = option('baseline') && resolve(option('baseline')!);
  const model = join(repoRoot, 'models', 'default.onnx');
  const dir = mkdtempSync(join(tmpdir(), 'styletune-bench-stdout-'));
  try {
    const text = readFileSync(join(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8');
    const lines = text.split('\n').filter((l) => l.trim());
    const pairs = 50_000; // two responses a line
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, Array.from({ length: pairs }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
    const preload = join(dir, 'usage.js');
    writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.STYLETUNE_BENCH_USAGE, JSON.stringify({ cpu: (process.cpuUsage().user + process.cpuUsage().system) / 1e6, maxRss: process.resourceUsage().maxRSS })));\n");
    const builds = baseline ? [['baseline', baseline], ['current', current]] : [['current', current]];
    console.log(`node ${process.version}; ${(pairs * 2).toLocaleString('en')} responses; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const best = new Map<string, Pass>();
    const shas = new Set<string>();
    for (let round = 1; round <= rounds; round++) {
      for (const sink of ['pipe', 'null'] as const) {
        for (const [name, cli] of builds) {
          const p = await run(cli, file, model, sink, join(dir, 'usage.json'), preload);
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
    if (baseline) {
      for (const sink of ['pipe', 'null']) {
        console.log(`  current / baseline, stdout→${sink}: CPU ${(best.get(`current ${sink}`)!.cpu / best.get(`baseline ${sink}`)!.cpu).toFixed(3)}x`);
      }
      console.log('  outputs byte-identical');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
