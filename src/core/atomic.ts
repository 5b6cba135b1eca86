/**
 * Every write to a user file goes through here, so a crash, a full disk or a killed process leaves
 * either the old file or the new one, never half of each, and concurrent writers lose nothing.
 *
 * Replacing: the data goes to a temp file in the same directory (so the rename cannot cross file
 * systems), is fsynced, renamed over the target, and the directory is fsynced so the rename itself
 * survives a power loss.
 *
 * Appending: one O_APPEND write of all the lines, then fsync, under the target's cross-process lock
 * (fileLock.ts). On a local file system O_APPEND alone already keeps two processes' records from
 * overwriting each other, whatever their size (Linux, macOS and Windows serialize writes to one file;
 * PIPE_BUF only bounds pipes); the lock adds NFS, where O_APPEND is not atomic, and makes the rest
 * exact: the newline a file lacks at its end is added once, and a write that fails midway (a full
 * disk) is truncated away, as nobody else appended meanwhile. Only a kill or power loss in the middle
 * of the write can leave a partial last line, which the next append puts on a line of its own, where
 * readers report it. (The file is not copied: an append costs the new lines, not the file's size.)
 *
 * Writes to one file are queued within this process by its real path, so a symlink and its target
 * share one queue, and then take the lock. Each write also removes temp files that processes which
 * died mid-write left beside that target (never a live process's).
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { withFileLock } from './fileLock';
import { isProcessAlive } from './jobs/process';
import { ioError } from './jsonl';

export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return serialized(file, (target) => replace(file, target, (out) => out.writeFile(data)));
}

/**
 * Like writeFileAtomic for output too large to hold as one string (a pairs file of whole dialogues can
 * pass Node's string limit): the chunks are written one after another into the temp file.
 */
export function writeChunksAtomic(file: string, chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  return serialized(file, (target) =>
    replace(file, target, async (out) => {
      // writeFile on an open handle writes at the current position and retries short writes.
      for await (const chunk of chunks) await out.writeFile(chunk);
    }),
  );
}

/**
 * Rewrites a file from its current text (undoing a vote): `edit` gets the text (empty for a missing
 * file) and returns the new one, or undefined to leave the file alone. Reading and replacing happen
 * under the lock, so no other process's append can land in between and be lost. Says whether it wrote.
 */
export function editFileAtomic(file: string, edit: (text: string) => string | undefined): Promise<boolean> {
  return serialized(file, (target) =>
    guarded(file, () =>
      withFileLock(target, async () => {
        let text = '';
        try {
          text = await readFileText(target);
        } catch (err) {
          if (!isCode(err, 'ENOENT')) throw err;
        }
        const next = edit(text);
        if (next === undefined) return false;
        await replaceLocked(target, (out) => out.writeFile(next));
        return true;
      }),
    ),
  );
}

/**
 * Appends `lines` (each without its `\n`) to a JSONL file, adding the newline the file may lack at
 * its end first. Creates the file if missing; no lines is a no-op.
 */
export async function appendLinesAtomic(file: string, lines: string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    if (line.includes('\n')) throw new Error(`line ${i + 1} to append contains a newline`);
  }
  if (lines.length === 0) return;
  return serialized(file, (target) => guarded(file, () => withFileLock(target, () => appendLocked(target, lines.join('\n') + '\n'))));
}

/** Async, so that JSON.stringify's own throws (a BigInt, a cycle) arrive as rejections too. */
export async function appendJsonlAtomic(file: string, values: unknown[]): Promise<void> {
  const lines: string[] = [];
  for (const [i, value] of values.entries()) {
    const line: string | undefined = JSON.stringify(value);
    if (line === undefined) throw new TypeError(`value ${i + 1} cannot be written as JSON`);
    lines.push(line);
  }
  return appendLinesAtomic(file, lines);
}

async function appendLocked(target: string, text: string): Promise<void> {
  await removeStaleTemps(target);
  const created = !(await exists(target));
  // 'a+': O_APPEND, and readable, to see whether the file ends with a newline.
  const fh = await open(target, 'a+');
  try {
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const data = Buffer.from(prefix + text);
    try {
      // One write, normally; a short one is continued (each write goes to the end).
      for (let done = 0; done < data.length; ) done += (await fh.write(data, done, data.length - done)).bytesWritten;
      await fh.sync();
    } catch (err) {
      // Under the lock nobody appended after us: cut our partial line off again.
      await fh.truncate(size).catch(() => undefined);
      throw err;
    }
  } finally {
    await fh.close();
  }
  if (created) await syncDir(dirname(target));
}

const queues = new Map<string, Promise<void>>();

/**
 * Runs `task` with the real path of `file` after every earlier task for the same real path has
 * settled. Real paths are found one at a time per spelling of the path, so calls through one
 * spelling keep their order.
 */
function serialized<T>(file: string, task: (target: string) => Promise<T>): Promise<T> {
  const named = resolve(file);
  const target = enqueue(`name:${named}`, () => realTarget(named));
  return target.then((t) => enqueue(`real:${t}`, () => task(t)), (err: unknown) => {
    throw ioError('cannot write', file, err);
  });
}

function enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
  const result = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  // Forget the key once its queue drains, so long sessions do not accumulate entries.
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}

/** System messages would name the temp or lock file; the user only knows the file they asked to write. */
async function guarded<T>(file: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw ioError('cannot write', file, err);
  }
}

/**
 * Writes a new version of `target` with `fill` into a temp file beside it and renames it into place
 * under the lock. `target` is the real path (symlinks resolved, so a link stays a link).
 */
function replace(file: string, target: string, fill: (out: FileHandle) => Promise<void>): Promise<void> {
  return guarded(file, async () => {
    const temp = await fillTemp(target, fill);
    try {
      await withFileLock(target, async () => {
        await removeStaleTemps(target, temp);
        await rename(temp, target);
      });
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await syncDir(dirname(target));
  });
}

/** replace() for a caller that holds the lock already. */
async function replaceLocked(target: string, fill: (out: FileHandle) => Promise<void>): Promise<void> {
  await removeStaleTemps(target);
  const temp = await fillTemp(target, fill);
  try {
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(target));
}

const TEMP_SUFFIX = /^\.(.+)\.styletune-(\d+)-[0-9a-f]+\.tmp$/;

/** The new content in a fsynced temp file beside `target`, with the target's permission bits. */
async function fillTemp(target: string, fill: (out: FileHandle) => Promise<void>): Promise<string> {
  const mode = await existingMode(target);
  const temp = join(dirname(target), `.${basename(target)}.styletune-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': a name collision must fail rather than clobber someone else's temp file.
  const out = await open(temp, 'wx', mode ?? 0o666);
  try {
    try {
      await fill(out);
      // open() applied the umask; an existing file's mode is restored exactly.
      if (mode !== undefined) await out.chmod(mode);
      await out.sync();
    } finally {
      await out.close();
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return temp;
}

/** A temp file this young may belong to a writer on another host (or in another PID namespace), whose pid means nothing here. */
export const STALE_TEMP_MS = 60_000;

/**
 * Removes the temp files of `target` that a process left when it died mid-write: their pid (in the
 * name) no longer runs here, and they are older than STALE_TEMP_MS. Called under the lock, so no
 * other StyleTune writer of this target is between writing a temp file and renaming it, and this
 * process runs one write per target at a time: its own leftovers go too, but `ours`, the temp file
 * about to be renamed.
 */
async function removeStaleTemps(target: string, ours?: string): Promise<void> {
  const dir = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = TEMP_SUFFIX.exec(entry);
    if (!m || m[1] !== name || join(dir, entry) === ours) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    const path = join(dir, entry);
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
  }
}

/**
 * The file a write to `path` lands in: symlinks resolved, also a dangling one (O_CREAT follows it) and
 * for a file that does not exist yet (its folder resolved), so every spelling of one file has one key.
 */
async function realTarget(path: string, hops = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
  const link = await lstat(path).then((s) => s.isSymbolicLink(), () => false);
  if (link && hops < 40) return realTarget(resolve(dirname(path), await readlink(path)), hops + 1);
  const dir = dirname(path);
  if (dir === path) return path;
  return join(await realTarget(dir, hops), basename(path));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: unknown) => {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    },
  );
}

async function readFileText(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

async function existingMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Some platforms (Windows) and file systems refuse to open or fsync a directory; that is not a failed write. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!isCode(err, 'EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF')) throw err;
  } finally {
    await fh?.close();
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
