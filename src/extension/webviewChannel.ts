/**
 * The part of the webview host (webviewHost.ts) that needs no VS Code: what comes in is validated before
 * anyone reads it, and what goes out waits until the page has said `ready`. Kept free of `vscode` so the
 * unit tests exercise it as it runs (test/unit/webview-channel.test.ts).
 */

/** A message from a page: every webview protocol's view-to-host messages carry a `type`. */
export interface TypedMessage {
  type: string;
}

/**
 * At most this many messages wait for a page that has not said `ready` (one that never loads, say, while a
 * job streams points). Every panel posts its whole state again on `ready`, so what a long wait drops is
 * sent again then.
 */
export const MAX_WAITING = 1000;

export interface ChannelOptions<In extends TypedMessage, Out> {
  /** For log lines: "Inspector", "Blind vote". */
  name: string;
  /** The protocol's own check of what the page sent (the page is a page like any other: never trust it). */
  validate: (m: unknown) => m is In;
  /** A valid message; on `ready` it runs after the waiting messages went out. A rejection is `fail`ed. */
  receive: (m: In) => void | Promise<unknown>;
  /**
   * The owner posts its whole state again on every `ready`: what it posts before the page listens is
   * dropped instead of queued (a page that streams progress would get each step twice, the last one late).
   */
  resendsOnReady?: boolean;
  /** Posts to the page (webview.postMessage). */
  send: (m: Out) => void;
  /** An invalid message, already described for the log. */
  invalid: (description: string) => void;
  /** What `receive` threw or rejected with. */
  fail: (err: Error) => void;
}

/** The start of what an invalid message held, for the log (never the whole of it: it may be huge). */
export function describeMessage(raw: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch {
    // A cycle or a BigInt cannot come through postMessage's JSON, but a test may hand one in.
  }
  return (text ?? String(raw)).slice(0, 200);
}

export class WebviewChannel<In extends TypedMessage, Out> {
  private waiting: Out[] = [];
  private isReady = false;
  /** Messages from the page that failed validation (tests read it). */
  invalidCount = 0;

  constructor(private readonly o: ChannelOptions<In, Out>) {}

  /** Whether the page has said `ready` (it says so again each time it loads). */
  get ready(): boolean {
    return this.isReady;
  }

  /** Sends now when the page is listening, else keeps the message (in order) for its `ready`. */
  post(m: Out): void {
    if (this.isReady) {
      this.o.send(m);
      return;
    }
    if (this.o.resendsOnReady) return;
    this.waiting.push(m);
    if (this.waiting.length > MAX_WAITING) this.waiting.shift();
  }

  /** How many messages wait for `ready`. */
  get pending(): number {
    return this.waiting.length;
  }

  /** What the page sent: validated, then handed on; `ready` first lets out what waited. */
  receive(raw: unknown): void {
    if (!this.o.validate(raw)) {
      this.invalidCount++;
      this.o.invalid(describeMessage(raw));
      return;
    }
    if (raw.type === 'ready') {
      this.isReady = true;
      const waiting = this.waiting;
      this.waiting = [];
      for (const m of waiting) this.o.send(m);
    }
    let result: void | Promise<unknown>;
    try {
      result = this.o.receive(raw);
    } catch (err) {
      this.o.fail(asError(err));
      return;
    }
    if (result instanceof Promise) result.catch((err: unknown) => this.o.fail(asError(err)));
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
