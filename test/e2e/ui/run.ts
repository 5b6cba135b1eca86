/**
 * UI tests: the real workbench in headless Chromium, driven like a user (clicks, F1, typing), with
 * screenshots in test-results/screenshots/. Runs from run.ts, or alone: `node out/test/e2e/ui/run.js`.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench, type Workbench } from '../browser';
import { sandboxEnv, settingsFromEnv, startCodeServer, type CodeServer } from '../codeServer';
import { repoRoot, sampleWorkspace, screenshotsDir } from '../paths';
import { annotationsTests } from './annotations.ui';
import { inspectorTests } from './inspector.ui';
import { jobsTests } from './jobs.ui';
import { judgeTests } from './judge.ui';
import { labelingTests } from './labeling.ui';
import { pairsTests } from './pairs.ui';
import { previewTests } from './preview.ui';
import { pythonTests } from './python.ui';
import { scoreCurrentFileTests } from './scoreCurrentFile.ui';
import { votesTests } from './votes.ui';
import { welcomeTests } from './welcome.ui';

export interface UiTest {
  name: string;
  /** Only for the installed VSIX (the packaged run): what a linked checkout, with its .venv, never meets. */
  packagedOnly?: boolean;
  run(page: Page, ctx: { workspace: string }): Promise<void>;
}

const log = (msg: string) => console.log(`[ui] ${msg}`);

/**
 * `vsix`: install that file instead of linking the working tree, with `machineSettings` for the server's
 * machine (the packaged run, run.ts). `only`: the tests to run, by name; STYLETUNE_E2E_UI_GREP narrows
 * either set.
 */
export async function runUiTests(p: { sandbox: string; workspace: string }, opts: { vsix?: string; machineSettings?: Record<string, unknown>; only?: readonly string[] } = {}): Promise<void> {
  mkdirSync(screenshotsDir, { recursive: true });
  rmSync(join(screenshotsDir, 'FAILED.png'), { force: true });
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let current = 'startup';
  try {
    // Installed, not loaded as a development extension: that needs the smoke-test driver, which hides
    // notification toasts. This way the workbench is the one a user gets.
    const install = opts.vsix ? { installVsix: opts.vsix } : { linkExtension: repoRoot };
    server = await startCodeServer({ sandbox: p.sandbox, settings: settingsFromEnv(), machineSettings: opts.machineSettings, ...install });
    workbench = await openWorkbench(`${server.url}/?folder=${encodeURIComponent(p.workspace)}`, { env: sandboxEnv(p.sandbox) });
    // STYLETUNE_E2E_UI_GREP=text runs only the UI tests whose name contains it.
    // A regular expression, so that tests whose order matters can run together ('jobs: Start|judge:').
    const grep = process.env.STYLETUNE_E2E_UI_GREP ? new RegExp(process.env.STYLETUNE_E2E_UI_GREP) : undefined;
    const all = [...scoreCurrentFileTests, ...labelingTests, ...annotationsTests, ...inspectorTests, ...previewTests, ...votesTests, ...pairsTests, ...jobsTests, ...judgeTests, ...pythonTests, ...welcomeTests];
    const missing = opts.only?.filter((name) => !all.some((t) => t.name === name)) ?? [];
    if (missing.length > 0) throw new Error(`no UI test named: ${missing.join('; ')}`);
    for (const test of all.filter((t) => (opts.vsix || !t.packagedOnly) && (!opts.only || opts.only.includes(t.name)) && (!grep || grep.test(t.name)))) {
      current = test.name;
      const t = Date.now();
      await test.run(workbench.page, { workspace: p.workspace });
      log(`✔ ${test.name} (${Date.now() - t} ms)`);
    }
  } catch (err) {
    const shot = join(screenshotsDir, 'FAILED.png');
    await workbench?.page.screenshot({ path: shot }).catch(() => undefined);
    throw new Error(`UI test "${current}" failed: ${(err as Error).message}\n(screenshot: ${shot})`);
  } finally {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
  }
}

if (require.main === module) {
  // A signal would kill this process without its `finally`: exit normally instead, so the exit hooks
  // (codeServer.ts, playwright) stop code-server's process group and Chromium.
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  const root = mkdtempSync(join(tmpdir(), 'styletune-ui-'));
  const workspace = join(root, 'workspace');
  cpSync(sampleWorkspace, workspace, { recursive: true });
  runUiTests({ sandbox: root, workspace })
    .then(
      () => log('all passed'),
      (err: Error) => {
        console.error(`[ui] FAILED: ${err.message}`);
        process.exitCode = 1;
      },
    )
    .finally(() => rmSync(root, { recursive: true, force: true }));
}
