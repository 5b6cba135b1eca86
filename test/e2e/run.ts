/**
 * `npm run test:e2e`: the extension in a real VS Code (code-server), two ways.
 *   1. Integration tests: mocha inside the extension host, started through @vscode/test-electron's
 *      runTests with launcher.ts standing in for the VS Code executable.
 *   2. Restricted Mode tests: the *.restricted.test.ts files the same way, with workspace trust on and
 *      the folder not trusted (what StyleTune may run or send there).
 *   3. UI tests: playwright-core clicks through the workbench and takes screenshots (ui/run.ts).
 *   4. The VSIX a user installs: packed by scripts/package.mjs, installed with code-server's
 *      --install-extension, then the UI tests that need what must ship (see PACKAGED_UI_TESTS).
 *   5. The README's first command in a fresh copy of the repository serves the workbench (freshClone.ts).
 * Each part works on its own copy of samples/workspace in a throwaway sandbox folder.
 *   STYLETUNE_E2E_ONLY=integration|restricted|ui|packaged|fresh   run one part   STYLETUNE_E2E_GREP=text   only matching tests
 *   STYLETUNE_E2E_MODEL=file.onnx        another reward model    STYLETUNE_E2E_KEEP=1      keep the sandbox
 *   STYLETUNE_E2E_VERBOSE=1              all workbench log lines
 *   STYLETUNE_E2E_UPDATE_SCREENSHOTS=1   also copy the README screenshot to media/screenshots/
 */
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { DEFAULT_MODEL_RELATIVE_PATH } from '../../src/core/score';
import { freshClone } from './freshClone';
import { chromium, codeServerEntry, launcher, node24, repoRoot, sampleWorkspace, suiteIndex } from './paths';
import { runUiTests } from './ui/run';

const log = (msg: string) => console.log(`[e2e] ${msg}`);
/** This run's temporary folder, removed at the end, also when a signal ends the run. */
let sandboxRoot: string | undefined;
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

function checkPrerequisites(): void {
  const missing = [node24, codeServerEntry, chromium].filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`not installed: ${missing.join(', ')}\nrun: bash scripts/setup-e2e.sh`);
  if (!process.env.STYLETUNE_E2E_MODEL && !existsSync(join(repoRoot, DEFAULT_MODEL_RELATIVE_PATH))) {
    throw new Error(`the shipped reward model ${DEFAULT_MODEL_RELATIVE_PATH} is missing; build it, or set STYLETUNE_E2E_MODEL`);
  }
}

/** A fresh sandbox with its own copy of the sample workspace, so tests can never change the repository's samples. */
function makeSandbox(root: string, name: string): { sandbox: string; workspace: string } {
  const sandbox = join(root, name);
  const workspace = join(sandbox, 'workspace');
  cpSync(sampleWorkspace, workspace, { recursive: true });
  return { sandbox, workspace };
}

/**
 * The mocha suite inside the extension host. `restricted`: only the *.restricted.test.ts files, in a
 * window with workspace trust on and the folder not trusted; otherwise every other file.
 */
async function integration(root: string, restricted = false): Promise<void> {
  const { sandbox, workspace } = makeSandbox(root, restricted ? 'restricted' : 'integration');
  // runTests spawns the "VS Code executable" directly; tsc does not keep the executable bit.
  chmodSync(launcher, 0o755);
  await runTests({
    vscodeExecutablePath: launcher,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: suiteIndex,
    // Explicit profile folders: runTests would otherwise default to .vscode-test/ inside the repository.
    launchArgs: [workspace, `--user-data-dir=${join(sandbox, 'user-data')}`, `--extensions-dir=${join(sandbox, 'extensions')}`],
    extensionTestsEnv: { STYLETUNE_E2E_SANDBOX: sandbox, ...(restricted ? { STYLETUNE_E2E_RESTRICTED: '1' } : {}) },
  });
}

/**
 * Between them these need everything the VSIX must carry: the bundles, the native onnxruntime binary for
 * this platform, the spelling dictionary, the default model, the webviews' scripts and styles, and the
 * trainer's Python package (the job runs it from the installed extension's folder).
 */
const PACKAGED_UI_TESTS = [
  'the workbench opens the sample workspace',
  'scoring dialogues.jsonl shows a summary and the results beside the file',
  'transcript.md shows inline annotations on its assistant turns and a hover with every trait',
  'inspector: opened from the Explorer, sorts by a trait when its column header is clicked',
  'jobs: the CodeLens starts a job; steps reach the job view and the Jobs view',
  "python: with no interpreter configured, the first job offers to set up StyleTune's environment; declining starts nothing",
];

async function packaged(root: string): Promise<void> {
  const { sandbox, workspace } = makeSandbox(root, 'packaged');
  const vsix = join(sandbox, 'styletune.vsix');
  const packed = execFileSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs'), '--out', vsix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  log(`packed ${packed.trim().split('\n').at(-1)}`);
  // An installed extension has no .venv of its own: it offers to make one (python.ui.ts checks the offer).
  // Here the tests point it at the project's, in the settings of the machine the server runs on
  // (styletune.pythonPath is machine-overridable), so no run installs torch again.
  await runUiTests({ sandbox, workspace }, { vsix, machineSettings: { 'styletune.pythonPath': join(repoRoot, '.venv', 'bin', 'python') }, only: PACKAGED_UI_TESTS });
  const extensions = join(sandbox, 'extensions');
  const installed = readdirSync(extensions).filter((d) => d.startsWith('styletune.styletune-')).map((d) => join(extensions, d));
  if (installed.length !== 1 || lstatSync(installed[0]).isSymbolicLink()) throw new Error(`expected one installed copy of the VSIX in ${extensions}, found ${installed.join(', ') || 'none'}`);
  const shipped = (path: string) => existsSync(join(installed[0], path));
  const missing = ['media/icon.png', 'models/README.md', 'dist/dict/LICENSE', 'trainer/pyproject.toml', 'schemas/tune.schema.json'].filter((f) => !shipped(f));
  if (missing.length > 0) throw new Error(`the VSIX lacks ${missing.join(', ')}`);
  // The details page renders the README from the installed folder: every relative link must resolve there.
  // vsce stores the README as readme.md.
  const readme = readdirSync(installed[0]).find((f) => /^readme\.md$/i.test(f)) ?? 'README.md';
  const broken = [readme, ...readdirSync(join(installed[0], 'docs')).map((f) => `docs/${f}`), 'models/README.md', 'trainer/README.md'].flatMap((doc) =>
    [...readFileSync(join(installed[0], doc), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((target) => !/^[a-z]+:/i.test(target) && !existsSync(join(installed[0], dirname(doc), target)))
      .map((target) => `${doc} → ${target}`),
  );
  if (broken.length > 0) throw new Error(`links in the VSIX's documents that lead nowhere: ${broken.join(', ')}`);
  const unwanted = ['src', 'test', 'webview', 'out', '.venv', 'node_modules/@vscode', 'trainer/tests'].filter(shipped);
  if (unwanted.length > 0) throw new Error(`the VSIX ships what it should not: ${unwanted.join(', ')}`);
  const platforms = readdirSync(join(installed[0], 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6'));
  if (platforms.join() !== process.platform) throw new Error(`the VSIX carries onnxruntime binaries for ${platforms.join(', ')}, expected ${process.platform} only`);
}

/**
 * Tuning jobs outlive their window by design (a detached process group, launch.json in the job folder):
 * one a test left running would go on writing into the sandbox while it is removed. Ends them all.
 */
function stopJobs(root: string): void {
  for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!rel.endsWith(`${sep}launch.json`) || !rel.includes(`${sep}jobs${sep}`)) continue;
    try {
      const { pid } = JSON.parse(readFileSync(join(root, rel), 'utf8')) as { pid?: number };
      if (typeof pid !== 'number') continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    } catch {
      // Gone already, or not a launch record.
    }
  }
}

async function main(): Promise<void> {
  checkPrerequisites();
  const only = process.env.STYLETUNE_E2E_ONLY;
  const root = mkdtempSync(join(tmpdir(), 'styletune-e2e-'));
  sandboxRoot = root;
  const started = Date.now();
  try {
    if (only === undefined || only === 'integration') {
      const t = Date.now();
      log('integration tests in code-server …');
      await integration(root);
      log(`integration tests passed (${seconds(t)})`);
    }
    if (only === undefined || only === 'restricted') {
      const t = Date.now();
      log('Restricted Mode tests in code-server …');
      await integration(root, true);
      log(`Restricted Mode tests passed (${seconds(t)})`);
    }
    if (only === undefined || only === 'ui') {
      const t = Date.now();
      log('UI tests in code-server + Chromium …');
      await runUiTests(makeSandbox(root, 'ui'));
      log(`UI tests passed (${seconds(t)})`);
    }
    if (only === undefined || only === 'packaged') {
      const t = Date.now();
      log('the packed VSIX, installed in code-server: UI tests …');
      await packaged(root);
      log(`packaged extension tests passed (${seconds(t)})`);
    }
    if (only === undefined || only === 'fresh') {
      const t = Date.now();
      log("the README's first command in a fresh copy of the repository …");
      await freshClone(join(root, 'fresh'), log);
      log(`fresh-copy start passed (${seconds(t)})`);
    }
    log(`all passed in ${seconds(started)}`);
  } finally {
    stopJobs(root);
    if (process.env.STYLETUNE_E2E_KEEP) log(`sandbox kept: ${root}`);
    else rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
}

// A signal would kill this process without its `finally`: exit normally instead, so the exit hooks
// (codeServer.ts, playwright) stop code-server's process group and Chromium. During the integration
// tests the launcher gets the signal too (runTests forwards Ctrl-C) and cleans up after itself.
const exitOnSignal = (code: number) => () => {
  // Registered last, so it runs after the hooks that kill the servers writing into the sandbox.
  process.once('exit', () => {
    if (sandboxRoot && !process.env.STYLETUNE_E2E_KEEP) rmSync(sandboxRoot, { recursive: true, force: true, maxRetries: 3 });
  });
  process.exit(code);
};
process.on('SIGINT', exitOnSignal(130));
process.on('SIGTERM', exitOnSignal(143));

main().catch((err: Error) => {
  console.error(`[e2e] FAILED: ${err.message}`);
  process.exit(1);
});
