/**
 * The dataset inspector on a 100,000-pair file (human-like-dpo pairs repeated), two ways:
 *
 *   workbench  the real VS Code (code-server + headless Chromium, as the UI tests drive it): time from the
 *              click on "Open Dataset Inspector" in the Explorer's context menu to the first row painted in
 *              the panel (`.row[data-line="1"]`) and to the status reading "100,000 pairs" (all scored).
 *              The panel's code is loaded first (the inspector opened once on a small file), then each
 *              round closes all editors and opens the big file.
 *   host       the extension host's pipeline alone, in this process: read + score + hand over the chunks,
 *              the sequential path (decode the whole file, scoreTextInChunks) against the pool
 *              (readSource + InspectPool), in turns.
 *
 * With `--baseline <extension folder>` (another build of StyleTune, e.g. a worktree of main before the
 * pool, built with `node scripts/build.mjs`) the workbench part runs both builds, one round each in turn,
 * each in its own code-server, so both sides see the same moments of a shared machine. Every figure is
 * printed with the load average at that moment; the summary is the median of the rounds.
 *
 *   node scripts/build.mjs --tests && node out/benchmarks/inspector.bench.js [--rounds 3] [--only host|workbench]
 *     [--baseline /tmp/base]
 *
 * Needs ../shared/data and, for the workbench part, scripts/setup-e2e.sh (code-server, Chromium).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { InspectPool, readSource } from '../src/core/inspectPool';
import { scoreTextInChunks } from '../src/core/inspectScoring';
import { RewardModel } from '../src/core/reward/model';
import { openWorkbench, type Workbench } from '../test/e2e/browser';
import { sandboxEnv, startCodeServer, type CodeServer } from '../test/e2e/codeServer';
import { sampleWorkspace } from '../test/e2e/paths';
import { explorerItem, runCommand } from '../test/e2e/ui/workbench';

const repoRoot = resolve(__dirname, '..', '..');
const shared = process.env.STYLETUNE_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
const PAIRS = 100_000;
const BIG = 'inspect-100k.jsonl';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const rounds = Number(arg('rounds') ?? 3);
const only = arg('only');
const baseline = arg('baseline');

const load = () => loadavg()[0].toFixed(2);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** The first 100,000 lines of the real pairs file repeated: the file the issue measured on. */
function bigFile(dir: string): string {
  const lines = readFileSync(join(shared, 'human-like-dpo', 'pairs.dev.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const file = join(dir, BIG);
  writeFileSync(file, Array.from({ length: PAIRS }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
  return file;
}

interface Figure {
  first: number;
  all: number;
  load: string;
  /**
   * CPU seconds, all threads: of this process (host part), or of the code-server session (server,
   * extension host and its scoring threads; workbench part). On a shared machine the wall time mostly
   * says how much CPU the neighbours left; this is what the work cost.
   */
  cpu?: number;
}

/** CPU seconds used so far by every process of the session (process group leader) that `marker` names on its command line. */
function sessionCpu(marker: string): number {
  const tick = 100; // USER_HZ on Linux
  const stat = (pid: string) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which may hold spaces: state is field 3.
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { sid: Number(f[3]), cpu: (Number(f[11]) + Number(f[12])) / tick };
    } catch {
      return undefined;
    }
  };
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  let sid: number | undefined;
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) {
        sid = stat(pid)?.sid;
        if (sid !== undefined) break;
      }
    } catch {
      // Gone already.
    }
  }
  if (sid === undefined) return Number.NaN;
  let cpu = 0;
  for (const pid of pids) {
    const st = stat(pid);
    if (st?.sid === sid) cpu += st.cpu;
  }
  return cpu;
}

function summary(name: string, figures: Figure[]): string {
  const f = figures.map((x) => `${s(x.first)} / ${s(x.all)}${x.cpu === undefined ? '' : `, CPU ${x.cpu.toFixed(2)} s`} (load ${x.load})`).join(';  ');
  return `  ${name.padEnd(10)} first rows ${s(median(figures.map((x) => x.first)))}, all rows ${s(median(figures.map((x) => x.all)))} (median of ${figures.length});  rounds: ${f}`;
}

// ---- host-side pipeline ---------------------------------------------------------------------------

async function host(file: string): Promise<void> {
  const model = await RewardModel.load(join(repoRoot, 'models', 'default.onnx'));
  const pool = new InspectPool(join(__dirname, '..', 'src', 'core', 'inspectWorker.js'));
  try {
    // The panel's host has its model and dictionary loaded: so does this process before timing.
    await scoreTextInChunks(readFileSync(file, 'utf8').split('\n').slice(0, 300).join('\n'), file, model, { onChunk: () => undefined });
    const old: Figure[] = [];
    const pooled: Figure[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? ['pool', 'sequential'] : ['sequential', 'pool']) {
        const l = load();
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        let first = -1;
        let rows = 0;
        const onChunk = (c: { rows: unknown[] }) => {
          if (first < 0) first = performance.now() - t0;
          rows += c.rows.length;
        };
        if (which === 'sequential') {
          // What the panel did before the pool: the whole file as a string, scored on this thread.
          const text = new TextDecoder().decode(readFileSync(file));
          await scoreTextInChunks(text, file, model, { onChunk });
        } else {
          await pool.score(await readSource(file), file, model, { onChunk });
        }
        const all = performance.now() - t0;
        const used = process.cpuUsage(cpu0);
        const cpu = (used.user + used.system) / 1e6;
        if (rows !== PAIRS) throw new Error(`${which}: ${rows} rows, expected ${PAIRS}`);
        (which === 'pool' ? pooled : old).push({ first, all, load: l, cpu });
        console.log(`  host round ${r + 1} ${which.padEnd(10)}: first rows ${s(first)}, all rows ${s(all)}, CPU ${cpu.toFixed(2)} s (all threads)  (load ${l})`);
      }
    }
    console.log(summary('sequential', old));
    console.log(summary('pool', pooled));
    console.log(`  ratio (sequential / pool, medians): all rows ${(median(old.map((x) => x.all)) / median(pooled.map((x) => x.all))).toFixed(2)}x`);
  } finally {
    pool.dispose();
    await model.dispose();
  }
}

// ---- the real workbench ---------------------------------------------------------------------------

/** The inspector's page: the inner frame of the visible webview (as test/e2e/ui/inspector.ui.ts finds it). */
function inspector(page: Page): FrameLocator {
  return page.locator('iframe.webview.ready').filter({ visible: true }).contentFrame().locator('iframe#active-frame').contentFrame();
}

/**
 * Right-clicks `name` in the Explorer until our entry shows (contributions arrive after the window):
 * in the StyleTune submenu where there is one, else in the menu itself (builds before the submenu).
 */
async function menuEntry(page: Page, name: string) {
  const menus = page.locator('.context-view .monaco-menu');
  const submenu = menus.first().locator('.action-label', { hasText: /^StyleTune$/ });
  const flat = menus.first().locator('.action-label', { hasText: 'Open Dataset Inspector' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    await explorerItem(page, name).click({ button: 'right' });
    try {
      await submenu.or(flat).first().waitFor({ timeout: 2_000 });
      if (await flat.isVisible()) return flat;
      await submenu.hover();
      const entry = menus.nth(1).locator('.action-label', { hasText: 'Open Dataset Inspector' });
      await entry.waitFor({ timeout: 2_000 });
      return entry;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw err;
      await page.waitForTimeout(500);
    }
  }
}

interface Build {
  name: string;
  dir: string;
  sandbox?: string;
  server?: CodeServer;
  workbench?: Workbench;
  figures: Figure[];
}

async function open(build: Build, root: string): Promise<void> {
  const sandbox = join(root, build.name.replace(/ /g, '-'));
  build.sandbox = sandbox;
  const workspace = join(sandbox, 'workspace');
  cpSync(sampleWorkspace, workspace, { recursive: true });
  bigFile(workspace);
  build.server = await startCodeServer({ sandbox, linkExtension: build.dir });
  build.workbench = await openWorkbench(`${build.server.url}/?folder=${encodeURIComponent(workspace)}`, { env: sandboxEnv(sandbox) });
  const page = build.workbench.page;
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await explorerItem(page, BIG).waitFor({ timeout: 60_000 });
  // The panel's code loaded once: the inspector on a small file, then closed.
  const entry = await menuEntry(page, 'pairs.jsonl');
  await entry.click();
  for (let i = 0; i < 5 && (await entry.isVisible()); i++) {
    await page.waitForTimeout(300);
    if (await entry.isVisible()) await entry.click().catch(() => undefined);
  }
  await inspector(page).locator('.row[data-line="1"]').waitFor({ timeout: 60_000 });
  await runCommand(page, 'View: Close All Editors');
}

async function measure(build: Build): Promise<Figure> {
  const page = build.workbench!.page;
  await runCommand(page, 'View: Close All Editors');
  await page.waitForTimeout(1_000);
  const entry = await menuEntry(page, BIG);
  const l = load();
  const cpu0 = sessionCpu(build.sandbox!);
  const t0 = Date.now();
  await entry.click();
  // A click that lands while the menu is still animating in can be ignored: click until it closes.
  for (let i = 0; i < 5 && (await entry.isVisible()); i++) {
    await page.waitForTimeout(100);
    if (await entry.isVisible()) await entry.click().catch(() => undefined);
  }
  const frame = inspector(page);
  await frame.locator('.row[data-line="1"]').waitFor({ timeout: 60_000 });
  const first = Date.now() - t0;
  await frame.locator('.status', { hasText: /^100,000 pairs$/ }).waitFor({ timeout: 300_000 });
  const all = Date.now() - t0;
  return { first, all, load: l, cpu: sessionCpu(build.sandbox!) - cpu0 };
}

async function workbench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'styletune-inspector-bench-'));
  const builds: Build[] = [{ name: 'this build', dir: repoRoot, figures: [] }];
  if (baseline) builds.push({ name: 'baseline', dir: resolve(baseline), figures: [] });
  try {
    for (const b of builds) await open(b, root);
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always meets the same moment of the machine.
      for (const b of r % 2 ? [...builds].reverse() : builds) {
        const f = await measure(b);
        b.figures.push(f);
        console.log(`  workbench round ${r + 1} ${b.name.padEnd(10)}: first rows ${s(f.first)}, all rows ${s(f.all)}, CPU of its code-server ${f.cpu!.toFixed(2)} s  (load ${f.load})`);
      }
    }
    for (const b of builds) console.log(summary(b.name, b.figures));
    if (builds.length === 2) {
      const [now, base] = builds;
      const ratio = (k: 'first' | 'all') => (median(base.figures.map((x) => x[k])) / median(now.figures.map((x) => x[k]))).toFixed(2);
      console.log(`  ratio (baseline / this build, medians): first rows ${ratio('first')}x, all rows ${ratio('all')}x`);
    }
  } catch (err) {
    for (const b of builds) {
      const shot = join(tmpdir(), `inspector-bench-failed-${b.name.replace(/ /g, '-')}.png`);
      if (await b.workbench?.page.screenshot({ path: shot }).then(() => true, () => false)) console.error(`screenshot: ${shot}`);
    }
    throw err;
  } finally {
    for (const b of builds) {
      await b.workbench?.close().catch(() => undefined);
      await b.server?.stop();
    }
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${PAIRS.toLocaleString('en')} human-like-dpo pairs, ${rounds} rounds`);
  if (only !== 'workbench') {
    const dir = mkdtempSync(join(tmpdir(), 'styletune-inspector-host-'));
    try {
      console.log('host-side pipeline (read + score + hand over), sequential and pool in turns:');
      await host(bigFile(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only !== 'host') {
    console.log(`real workbench (code-server): click on "Open Dataset Inspector" to the first row painted and to "100,000 pairs"${baseline ? `; baseline ${baseline}` : ''}:`);
    await workbench();
  }
}

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
