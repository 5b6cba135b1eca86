/**
 * Runs a build of the CLI as a child process and measures it from the inside: CPU time and peak RSS
 * are the child's own (process.cpuUsage and resourceUsage at its exit, written by a preloaded script),
 * wall time is measured here. Shared by the benchmarks that compare builds side by side.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..');

export interface Measured {
  wall: number;
  cpu: number;
  maxRssMb: number;
  /** stdout's size and hash when it was read ('pipe'), to check builds print the same. */
  bytes: number;
  sha: string;
  code: number | null;
}

export class ChildMeter {
  private readonly dir = mkdtempSync(join(tmpdir(), 'styletune-meter-'));
  private readonly preload = join(this.dir, 'usage.js');
  private readonly usage = join(this.dir, 'usage.json');

  constructor() {
    writeFileSync(this.preload, "process.on('exit', () => { const c = process.cpuUsage(); require('fs').writeFileSync(process.env.STYLETUNE_BENCH_USAGE, JSON.stringify({ cpu: (c.user + c.system) / 1e6, maxRss: process.resourceUsage().maxRSS })); });\n");
  }

  /** `node [flags] cli args…`; stdout read at full speed here ('pipe') or sent to /dev/null. */
  run(cli: string, args: string[], o: { stdout: 'pipe' | 'null'; nodeFlags?: string[] }): Promise<Measured> {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...(o.nodeFlags ?? []), '--require', this.preload, cli, ...args], {
      stdio: ['ignore', o.stdout === 'pipe' ? 'pipe' : 'ignore', 'ignore'],
      // A baseline build outside the checkout still finds onnxruntime-node.
      env: { ...process.env, NODE_PATH: join(repoRoot, 'node_modules'), STYLETUNE_BENCH_USAGE: this.usage },
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
        const u = JSON.parse(readFileSync(this.usage, 'utf8')) as { cpu: number; maxRss: number };
        ok({ wall: Number(process.hrtime.bigint() - started) / 1e9, cpu: u.cpu, maxRssMb: u.maxRss / 1024, bytes, sha: hash.digest('hex'), code });
      });
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The builds a benchmark compares, in the order each round runs them: another build's CLI with
 * `--baseline FILE`, then this checkout's (`dist/cli.js`, or `--cli FILE`). */
export function builds(): Array<['baseline' | 'current', string]> {
  const current = resolve(option('cli') ?? join(repoRoot, 'dist', 'cli.js'));
  const baseline = option('baseline');
  return baseline ? [['baseline', resolve(baseline)], ['current', current]] : [['current', current]];
}

/** Runs a benchmark's body with its own temporary folder and child meter, removed afterwards however it
 * ends; a failure is printed and sets the exit code. */
export function runBenchmark(prefix: string, body: (dir: string, meter: ChildMeter) => Promise<void>): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const meter = new ChildMeter();
  body(dir, meter)
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => {
      rmSync(dir, { recursive: true, force: true });
      meter.dispose();
    });
}
