/**
 * Output that keeps pace with its reader. A pipe takes only what fits in its kernel buffer; whatever a
 * slow or paused reader has not taken yet waits in this process's memory, so a command that streams
 * (score, eval, tune) awaits each write: past `limit` queued bytes it waits for 'drain', and a paused
 * reader pauses the command instead of filling the heap.
 *
 * A reader that goes away (`styletune score big.jsonl | head`) is not an error: the write fails with
 * EPIPE, `closed` turns true, later writes are dropped, and the command stops early and quietly (as
 * Unix tools do) instead of dying with a stack trace or scoring the rest of the file for nobody.
 */

/** Enough to keep a fast reader busy while the next batch is computed; small next to any heap. */
const DEFAULT_LIMIT = 1 << 20;

type Stream = NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean };

export class Output {
  private ended = false;

  constructor(private readonly stream: Stream, private readonly limit = DEFAULT_LIMIT) {
    // EPIPE is the reader leaving; any other error (a full disk behind `> file`) ends the output too,
    // and the CLI's own listener turns that into exit code 1.
    stream.on('error', () => {
      this.ended = true;
    });
  }

  /** True once the reader is gone: stop producing. */
  get closed(): boolean {
    return this.ended || this.stream.destroyed === true;
  }

  /** Writes `text`; resolves at once while little is queued, else when the reader has caught up. */
  write(text: string): Promise<void> {
    if (this.closed || text === '') return Promise.resolve();
    // Only a write that returned false is followed by 'drain'.
    const accepted = this.stream.write(text);
    if (accepted || (this.stream.writableLength ?? 0) <= this.limit || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
  }
}

/**
 * Joins lines into writes of about `batch` lines: one write per line would cost a system call each,
 * one per file would hold the whole output in memory.
 */
export class LineOutput {
  private lines: string[] = [];

  constructor(readonly out: Output, private readonly batch = 256) {}

  get closed(): boolean {
    return this.out.closed;
  }

  /** Adds a line (without its `\n`); awaits the reader when a full batch goes out. */
  line(text: string): Promise<void> {
    this.lines.push(text);
    return this.lines.length >= this.batch ? this.flush() : Promise.resolve();
  }

  flush(): Promise<void> {
    if (this.lines.length === 0) return Promise.resolve();
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    return this.out.write(text);
  }
}
