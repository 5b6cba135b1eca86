#!/usr/bin/env node
/**
 * Stands in for the VS Code executable in @vscode/test-electron's runTests (`vscodeExecutablePath`):
 * takes the arguments it would give VS Code, starts code-server and opens the workbench in Chromium
 * with the same extension development and tests paths, prints the extension host's output and exits
 * with the test run's exit code. So the standard runTests API works with a VS Code we can install offline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openWorkbench, type Workbench } from './browser';
import { sandboxEnv, settingsFromEnv, startCodeServer, workbenchUrl, type CodeServer } from './codeServer';

interface LaunchArgs {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  folder: string;
  userDataDir?: string;
  extensionsDir?: string;
}

/** test-electron passes `--name=value` flags plus the folder to open; desktop-only flags are ignored. */
function parseArgs(argv: string[]): LaunchArgs {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const arg of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) flags.set(m[1]!, m[2]!);
    else if (!arg.startsWith('-')) positional.push(arg);
  }
  const need = (name: string) => {
    const v = flags.get(name);
    if (!v) throw new Error(`launcher: missing --${name}=…`);
    return resolve(v);
  };
  if (positional.length !== 1) throw new Error(`launcher: expected one folder to open, got ${JSON.stringify(positional)}`);
  return {
    extensionDevelopmentPath: need('extensionDevelopmentPath'),
    extensionTestsPath: need('extensionTestsPath'),
    folder: resolve(positional[0]!),
    userDataDir: flags.get('user-data-dir'),
    extensionsDir: flags.get('extensions-dir'),
  };
}

const log = (msg: string) => console.log(`[launcher] ${msg}`);

// runTests forwards Ctrl-C as SIGINT; SIGTERM comes from CI timeouts. Both must still run main()'s cleanup,
// so they settle the run instead of exiting: process.exit() here would skip the `finally`.
let interrupt!: (code: number) => void;
const interrupted = new Promise<number>((r) => (interrupt = r));
process.on('SIGINT', () => interrupt(130));
process.on('SIGTERM', () => interrupt(143));
// A parent killed outright (SIGKILL, or SIGTERM, which runTests does not forward) leaves this process
// reparented: stop then rather than keep a browser and a server running until the timeout.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && interrupt(129), 1_000).unref();

/**
 * The workbench log carries the extension host's console (mocha's report) together with the workbench's
 * own chatter. Known chatter of an offline, signed-out workbench is dropped unless STYLETUNE_E2E_VERBOSE is
 * set; anything unknown is printed, so a new message is never hidden.
 */
const offlineChatter = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^\[(reconnection-grace-time|Service Worker|AgentHost:remote|AccountPolicyGate)\]/,
  /^Updating additional builtin extensions cache/,
  /^Creation of workbench contribution '.*' took \d+ms/,
  /authentication provider 'github'/,
  /ENOTFOUND open-vsx\.org/,
];

function printWorkbenchLog(level: string, line: string): void {
  if (!process.env.STYLETUNE_E2E_VERBOSE && offlineChatter.some((re) => re.test(line))) return;
  console.log(level === 'info' ? line : `[${level}] ${line}`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const timeoutMs = Number(process.env.STYLETUNE_E2E_TIMEOUT_MS ?? 600_000);
  const sandbox = process.env.STYLETUNE_E2E_SANDBOX ?? mkdtempSync(join(tmpdir(), 'styletune-e2e-'));
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  try {
    server = await startCodeServer({
      sandbox,
      userDataDir: args.userDataDir,
      extensionsDir: args.extensionsDir,
      settings: settingsFromEnv(),
      smokeTestDriver: true,
      restricted: process.env.STYLETUNE_E2E_RESTRICTED === '1',
    });
    log(`code-server on ${server.url}`);
    let finish!: (code: number) => void;
    const exited = new Promise<number>((r) => (finish = r));
    workbench = await openWorkbench(workbenchUrl(server.url, args), {
      onExit: (code) => finish(code),
      onLog: printWorkbenchLog,
      env: sandboxEnv(sandbox),
    });
    workbench.page.on('pageerror', (err) => log(`page error: ${err.message}`));
    const timer = setTimeout(() => {
      log(`no result from the extension host after ${timeoutMs / 1000} s`);
      finish(124);
    }, timeoutMs);
    const code = await Promise.race([exited, interrupted]);
    clearTimeout(timer);
    return code;
  } finally {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    if (!process.env.STYLETUNE_E2E_SANDBOX && !process.env.STYLETUNE_E2E_KEEP) rmSync(sandbox, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[launcher] ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
