/**
 * Starts code-server (VS Code's server + web workbench) on a free loopback port, isolated in a sandbox
 * folder, and stops it with its whole process group. Desktop VS Code cannot be downloaded on these
 * machines; code-server from npm is the real VS Code that can (see the e2e notes).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { codeServerEntry, node24 } from './paths';

export interface CodeServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Folder that receives everything code-server, the extension host and their children write. */
  sandbox: string;
  userDataDir?: string;
  extensionsDir?: string;
  /** Receives code-server's own output, line by line (the extension host's goes to the browser). */
  log?: (line: string) => void;
  /** User settings on top of the harness's quiet defaults. */
  settings?: Record<string, unknown>;
  /**
   * Settings of the machine the server runs on ("Remote [code-server]" in the settings editor): the
   * workbench is a remote window, so machine-scoped settings (styletune.pythonPath) count only here.
   */
  machineSettings?: Record<string, unknown>;
  /**
   * Lets the workbench URL carry an extensionTestsPath/extensionDevelopmentPath payload (integration tests).
   * It also hides notification toasts, so UI tests leave it off and install the extension instead.
   */
  smokeTestDriver?: boolean;
  /** An extension folder to install by linking it into the extensions folder (see linkExtension). */
  linkExtension?: string;
  /** A VSIX to install the way a user does (see installVsix), instead of linking a folder. */
  installVsix?: string;
  /** Workspace trust on, with the folder left untrusted (Restricted Mode); off by default. */
  restricted?: boolean;
}

/**
 * Environment that keeps HOME, TMPDIR and the XDG folders inside the sandbox, so a run leaves nothing in
 * the user's home folder and two runs never share state.
 */
export function sandboxEnv(sandbox: string): NodeJS.ProcessEnv {
  const dirs = { HOME: 'home', TMPDIR: 'tmp', XDG_CONFIG_HOME: 'config', XDG_DATA_HOME: 'data', XDG_CACHE_HOME: 'cache' };
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, sub] of Object.entries(dirs)) {
    env[name] = join(sandbox, sub);
    mkdirSync(env[name]!, { recursive: true });
  }
  // Set inside a VS Code terminal: code-server would then hand the folder to that instance instead of starting.
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  for (const [what, file] of [['Node 24', node24], ['code-server', codeServerEntry]]) {
    if (!existsSync(file)) throw new Error(`${what} is not installed (${file}): run scripts/setup-e2e.sh`);
  }
  const userDataDir = opts.userDataDir ?? join(opts.sandbox, 'user-data');
  const extensionsDir = opts.extensionsDir ?? join(opts.sandbox, 'extensions');
  // Trust on and never asked about: the folder opens in Restricted Mode and stays there.
  const trust = opts.restricted ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' } : {};
  writeUserSettings(userDataDir, { ...trust, ...opts.settings });
  if (opts.machineSettings) {
    mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
    writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(opts.machineSettings, null, 2));
  }
  mkdirSync(extensionsDir, { recursive: true });
  if (opts.linkExtension) linkExtension(opts.linkExtension, extensionsDir);
  if (opts.installVsix) installVsix(opts.installVsix, { sandbox: opts.sandbox, userDataDir, extensionsDir });

  const port = await freePort();
  const config = join(opts.sandbox, 'code-server.yaml');
  // A config file instead of flags: otherwise code-server reads (and creates) ~/.config/code-server/config.yaml.
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    codeServerEntry,
    '--config', config,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.restricted ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    // Without the smoke-test driver a built workbench ignores the URL's payload.
    ...(opts.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ];
  // detached: its own process group, so stop() reaches the extension host and file watchers too.
  const child = spawn(node24, args, { env: sandboxEnv(opts.sandbox), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        opts.log?.(line);
      }
    });
  }
  const killGroup = () => killProcessGroup(child, 'SIGKILL');
  // Last resort when the harness itself dies (uncaught error, process.exit): no orphaned servers.
  process.once('exit', killGroup);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, 60_000);
  } catch (err) {
    killGroup();
    throw new Error(`${(err as Error).message}\ncode-server output:\n${output.slice(-30).join('\n')}`);
  }
  return {
    url,
    async stop() {
      process.removeListener('exit', killGroup);
      await stopProcessGroup(child, 5_000);
    },
  };
}

/**
 * Settings the harness's environment asks for: STYLETUNE_E2E_MODEL runs the tests with another reward
 * model (a freshly trained one, say) instead of the shipped models/default.onnx.
 */
export function settingsFromEnv(): Record<string, unknown> {
  const model = process.env.STYLETUNE_E2E_MODEL;
  return model ? { 'styletune.rewardModelPath': resolve(model) } : {};
}

/** The workbench URL that opens `folder` with the extension under development loaded (and tests, if given). */
export function workbenchUrl(server: string, p: { folder: string; extensionDevelopmentPath: string; extensionTestsPath?: string }): string {
  // code-server rejects --extensionDevelopmentPath on its command line; the workbench takes it from the URL.
  const remote = (path: string) => `vscode-remote://remote${path}`;
  const payload: [string, string][] = [['extensionDevelopmentPath', remote(p.extensionDevelopmentPath)]];
  if (p.extensionTestsPath) payload.push(['extensionTestsPath', remote(p.extensionTestsPath)]);
  return `${server}/?folder=${encodeURIComponent(p.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Installs an unpacked extension folder as `<publisher>.<name>-<version>` in a fresh extensions folder.
 * With no extensions.json yet, code-server scans the folder on first start and registers what it finds,
 * so a symlink installs the working tree as it is: no VSIX to pack, and a rebuild plus a window reload
 * picks up changes.
 */
export function linkExtension(extensionDir: string, extensionsDir: string): void {
  const manifest = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const link = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  if (!existsSync(link)) symlinkSync(extensionDir, link, 'dir');
}

/** Installs a VSIX with code-server's own `--install-extension`, as a user installs a downloaded one. */
export function installVsix(vsix: string, p: { sandbox: string; userDataDir: string; extensionsDir: string }): void {
  execFileSync(node24, [codeServerEntry, '--install-extension', vsix, '--extensions-dir', p.extensionsDir, '--user-data-dir', p.userDataDir], {
    env: sandboxEnv(p.sandbox),
    stdio: 'pipe',
    timeout: 120_000,
  });
}

function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}): void {
  // A quiet, deterministic workbench: no welcome page, tips, trust prompts or update checks.
  const settings = {
    'workbench.startupEditor': 'none',
    // 'none' also keeps StyleTune's walkthrough shut (src/extension/welcome.ts); the welcome UI test
    // starts a server of its own with another startup editor to see it open.
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'git.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.colorTheme': 'Default Dark Modern',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'window.zoomLevel': 0,
    ...extra,
  };
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM the group, then SIGKILL what is left after `graceMs`: killing only the main PID leaves children running. */
async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  killProcessGroup(child, 'SIGTERM');
  const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  await Promise.race([exited, timer]);
  // Children (extension host, watchers) may outlive the main process: sweep the group regardless.
  killProcessGroup(child, 'SIGKILL');
}
