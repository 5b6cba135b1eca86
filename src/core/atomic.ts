/**
 * Every write to a user file goes through here, so a crash, a full disk or a killed process leaves
 * either the old file or the new one, never half of each: the data goes to a temp file in the same
 * directory (so the rename cannot cross file systems), is fsynced, renamed over the target, and the
 * directory is fsynced so the rename itself survives a power loss.
 *
 * Writes to one path are serialized within this process, so concurrent appends never lose lines.
 * Other processes are not locked out: two processes appending to the same file at once can still
 * lose one side's lines (last rename wins).
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ioError } from './jsonl';

const COPY_CHUNK = 1 << 20;

export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return serialized(file, () => replace(file, (out) => out.writeFile(data)));
}

/**
 * Like writeFileAtomic for output too large to hold as one string (a pairs file of whole dialogues can
 * pass Node's string limit): the chunks are written one after another into the temp file.
 */
export function writeChunksAtomic(file: string, chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  return serialized(file, () =>
    replace(file, async (out) => {
      // writeFile on an open handle writes at the current position and retries short writes.
      for await (const chunk of chunks) await out.writeFile(chunk);
    }),
  );
}

/**
 * Appends `lines` (each without its `\n`) to a JSONL file, adding the newline the file may lack at
 * its end first. The existing content is copied, not appended in place, so a failure midway cannot
 * leave a partial line behind. Creates the file if missing; no lines is a no-op.
 */
export async function appendLinesAtomic(file: string, lines: string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    if (line.includes('\n')) throw new Error(`line ${i + 1} to append contains a newline`);
  }
  if (lines.length === 0) return;
  return serialized(file, () =>
    replace(file, async (out, target) => {
      const endsWithNewline = await copyInto(target, out);
      await out.writeFile((endsWithNewline ? '' : '\n') + lines.join('\n') + '\n');
    }),
  );
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

const queues = new Map<string, Promise<void>>();

/** Runs `task` after every earlier task for the same absolute path has settled. */
function serialized<T>(file: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(file);
  const result = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  // Forget the path once its queue drains, so long sessions do not accumulate entries.
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return result;
}

/**
 * Writes a new version of `file` with `fill` into a temp file beside it and renames it into place.
 * `fill` gets the temp file and the real target path (symlinks resolved, so a link stays a link).
 */
async function replace(file: string, fill: (out: FileHandle, target: string) => Promise<void>): Promise<void> {
  try {
    await replaceUnchecked(file, fill);
  } catch (err) {
    // System messages would name the temp file; the user only knows the file they asked to write.
    throw ioError('cannot write', file, err);
  }
}

async function replaceUnchecked(file: string, fill: (out: FileHandle, target: string) => Promise<void>): Promise<void> {
  const target = await realTarget(resolve(file));
  const mode = await existingMode(target);
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.styletune-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': a name collision must fail rather than clobber someone else's temp file.
  const out = await open(temp, 'wx', mode ?? 0o666);
  try {
    try {
      await fill(out, target);
      // open() applied the umask; an existing file's mode is restored exactly.
      if (mode !== undefined) await out.chmod(mode);
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

async function realTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return path;
    throw err;
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

/** Copies `source` (if it exists) into `out`; says whether it was empty or ended with a newline. */
async function copyInto(source: string, out: FileHandle): Promise<boolean> {
  let src: FileHandle;
  try {
    src = await open(source, 'r');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return true;
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    let last = 0x0a;
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return last === 0x0a;
      for (let done = 0; done < bytesRead; ) done += (await out.write(buf, done, bytesRead - done)).bytesWritten;
      last = buf[bytesRead - 1];
    }
  } finally {
    await src.close();
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
