/**
 * The one wait of every test: polls `read` until `ok` holds and returns what it read. Pages, the
 * extension host and job folders all change asynchronously, so a test waits for the state it needs,
 * never for a fixed time.
 *
 *   const view = await until(() => openJob(dir), (v) => (v?.renderedStep ?? 0) >= 3, 'steps drawn');
 *
 * Throws after `timeoutMs`, naming `what` and the last value read (through `show`, when the value is
 * large), or at once when `hopeless` says the value can no longer become what is awaited (a job that
 * failed will not finish).
 */
export interface UntilOptions<T> {
  timeoutMs?: number;
  intervalMs?: number;
  hopeless?: (v: T) => boolean;
  show?: (v: T) => unknown;
}

export async function until<T>(read: () => T | PromiseLike<T>, ok: (v: T) => boolean, what: string, options: UntilOptions<T> = {}): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 100, hopeless, show = (v: T) => v } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (hopeless?.(v)) throw new Error(`waiting for ${what}, it can no longer happen: ${JSON.stringify(show(v))}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last read ${JSON.stringify(show(v))}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
