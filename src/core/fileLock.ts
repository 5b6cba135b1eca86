/**
 * One writer at a time per file, across processes: two VS Code windows or two annotators voting into
 * one `<items>.votes.jsonl`, a CLI run beside the extension. The lock is a file beside the target,
 * `.NAME.styletune.lock`, created with O_EXCL (atomic on every local file system, and on NFS v3+ where
 * O_APPEND alone is not), holding who took it: pid, the process's start time and the host.
 *
 * A lock outlives a process that was killed while holding it. It is stale, and taken over, when its
 * process is gone (same host; the start time tells a reused pid apart), or, for a lock from another
 * host whose process cannot be checked, when it has not changed for FOREIGN_STALE_MS (locks are held
 * for one append or one rename: milliseconds). Removing a stale lock is done by one process at a time
 * (a second, short-lived `.break` lock), after checking it is still the same file, so two processes
 * that both found it stale cannot remove a fresh lock taken in between.
 *
 * Advisory: it excludes StyleTune's own writers, not an editor saving the file or a shell's `>>`.
 */
import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive, processStartToken } from './jobs/process';

/** Another host's lock untouched for this long is taken for the leftover of a crash. */
export const FOREIGN_STALE_MS = 120_000;
/** How long to wait for a live holder before giving up with a message that names it. */
export const LOCK_WAIT_MS = 60_000;
/** A `.break` lock lives for a stat and an unlink; one this old belongs to a process that died in between. */
const BREAK_STALE_MS = 10_000;

interface Owner {
  pid: number;
  host: string;
  /** processStartToken(pid), where the platform has one. */
  token?: string;
}

let me: Owner | undefined;
function self(): Owner {
  me ??= { pid: process.pid, host: hostname(), token: processStartToken(process.pid) };
  return me;
}

export function lockPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.styletune.lock`);
}

/**
 * Runs `task` holding the lock of `target` (a real path: callers resolve symlinks first, so a link
 * and its target share one lock). Callers in one process must not nest or overlap calls for one
 * target (atomic.ts queues them): a lock naming this very process is taken for a leak and broken.
 */
export async function withFileLock<T>(target: string, task: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
  const lock = lockPath(target);
  await acquire(lock, target, opts.waitMs ?? LOCK_WAIT_MS);
  try {
    return await task();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

async function acquire(lock: string, target: string, waitMs: number): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      try {
        await fh.writeFile(JSON.stringify({ ...self(), time: new Date().toISOString() }));
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if (!isCode(err, 'EEXIST')) throw err;
    }
    const held = await inspect(lock);
    if (held === undefined || (held.stale && (await breakLock(lock, held.ino)))) continue;
    if (Date.now() - started > waitMs) {
      const who = held.owner ? `process ${held.owner.pid} on ${held.owner.host}` : 'another process';
      throw new Error(`${target} is being written by ${who} (lock ${lock}, held for ${Math.round((Date.now() - held.mtimeMs) / 1000)} s); if nothing is writing it, delete the lock file`);
    }
    await new Promise((r) => setTimeout(r, Math.min(100, 2 ** attempt)));
  }
}

interface Held {
  ino: number;
  mtimeMs: number;
  owner?: Owner;
  stale: boolean;
}

/** The lock as it is now, or undefined when it is gone. */
async function inspect(lock: string): Promise<Held | undefined> {
  let ino: number;
  let mtimeMs: number;
  let text: string;
  try {
    ({ ino, mtimeMs } = await stat(lock));
    text = await readFile(lock, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  let owner: Owner | undefined;
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string') owner = { pid: o.pid, host: o.host, token: typeof o.token === 'string' ? o.token : undefined };
  } catch {
    // Empty or cut short: its maker is between creating and writing it, or died there.
  }
  const local = owner?.host === self().host;
  const stale = local ? owner!.pid === process.pid || !isProcessAlive(owner!.pid, owner!.token) : Date.now() - mtimeMs > FOREIGN_STALE_MS;
  return { ino, mtimeMs, owner, stale };
}

/** Removes the stale lock `ino` if it is still the one at `lock`; says whether to try again at once. */
async function breakLock(lock: string, ino: number): Promise<boolean> {
  const breaker = `${lock}.break`;
  try {
    await (await open(breaker, 'wx')).close();
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
    const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > BREAK_STALE_MS) await unlink(breaker).catch(() => undefined);
    return false;
  }
  try {
    const now = await inspect(lock);
    if (now && now.ino === ino && now.stale) await unlink(lock).catch(() => undefined);
    return true;
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
