/**
 * The README's first command, run the way a newcomer runs it: in a fresh copy of the repository with
 * nothing installed (no node_modules, dist or out), it must serve the workbench, and the URL it prints
 * must answer HTTP 200. The copy holds what `git clone` would give of the working tree (tracked files
 * plus new ones git does not ignore), so uncommitted work is checked too. Only the Node 24 and
 * code-server install is shared (the copy's .cache links to this checkout's): downloading them again
 * would take minutes and proves nothing about the repository. ../shared/tools/fresh-start.sh does the
 * same by hand on a real clone of HEAD, without that shortcut.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir, repoRoot } from './paths';

/** The first shell command in a fenced block of the README, as a reader would copy it (comment dropped). */
export function readmeFirstCommand(readme: string): string | undefined {
  const blocks = [...readme.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  for (const line of blocks.flatMap((b) => b.split('\n'))) {
    if (/^(bash|npm|node|make|\.\/)/.test(line)) return line.replace(/#.*/, '').trim();
  }
  return undefined;
}

function copyWorkingTree(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && existsSync(join(repoRoot, f))); // a tracked file deleted in the working tree is not there
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(to, f));
  }
}

const URL_PATTERN = /http:\/\/(?:127\.0\.0\.1|localhost):\d+\S*/;

export async function freshClone(sandbox: string, log: (msg: string) => void): Promise<void> {
  const clone = join(sandbox, 'clone');
  mkdirSync(clone, { recursive: true });
  copyWorkingTree(clone);
  if (existsSync(join(clone, 'node_modules')) || existsSync(join(clone, 'dist'))) throw new Error('the copy is not fresh: it has node_modules or dist');
  symlinkSync(cacheDir, join(clone, '.cache'), 'dir');
  const command = readmeFirstCommand(readFileSync(join(clone, 'README.md'), 'utf8'));
  if (!command) throw new Error('no first command found in README.md');
  log(`running '${command}' in a fresh copy of the repository`);

  const started = Date.now();
  // detached: its own process group, so the server and everything it started end together.
  const child = spawn('bash', ['-c', command], { cwd: clone, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (output += chunk));
  }
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const killOnExit = () => kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    // npm ci and a build on a busy 2-core machine: minutes, not seconds.
    const deadline = Date.now() + 10 * 60_000;
    let url: string | undefined;
    while (!url) {
      if (child.exitCode !== null) throw new Error(`'${command}' exited with ${child.exitCode} before printing a URL; it printed:\n${output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`'${command}' printed no URL within 10 minutes; it printed:\n${output.slice(-3000)}`);
      url = URL_PATTERN.exec(output)?.[0];
      if (!url) await new Promise((r) => setTimeout(r, 500));
    }
    const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
    if (!/<html/i.test(body)) throw new Error(`${url} answered 200 without a page: ${body.slice(0, 200)}`);
    for (const made of ['node_modules/.package-lock.json', 'dist/extension.js']) {
      if (!existsSync(join(clone, made))) throw new Error(`'${command}' served the workbench without making ${made}`);
    }
    log(`'${command}' served ${url.replace(/\?.*/, '')} (HTTP 200) ${((Date.now() - started) / 1000).toFixed(1)} s after a fresh copy`);
  } finally {
    process.removeListener('exit', killOnExit);
    kill('SIGTERM');
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    kill('SIGKILL');
  }
}
