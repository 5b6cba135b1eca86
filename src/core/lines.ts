/**
 * The one line splitter for text that arrives in pieces: a child process's stdout and stderr (the
 * worker's events, pip's log) and a file followed while another process appends to it (events.jsonl).
 * A line ends at \n, its \r (Windows output) dropped; what follows the last \n is kept until more
 * comes, since it may be half a line.
 */

/** Splits the complete lines off `buf`; returns them and the unfinished rest. */
export function completeLines(buf: string): { lines: string[]; rest: string } {
  const end = buf.lastIndexOf('\n');
  if (end < 0) return { lines: [], rest: buf };
  return { lines: buf.slice(0, end).split('\n').map((l) => l.replace(/\r$/, '')), rest: buf.slice(end + 1) };
}

/**
 * Calls `onLine` with each line of a text stream (without its \n or \r\n), the last one too. While
 * promises it returned are pending, the stream is paused (not read on): a slow consumer holds the writer.
 */
export function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => unknown): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const split = completeLines(rest + chunk);
    rest = split.rest;
    const pending: Promise<unknown>[] = [];
    for (const line of split.lines) {
      const wait = onLine(line);
      if (wait instanceof Promise) pending.push(wait);
    }
    if (pending.length > 0) {
      stream.pause();
      const resume = (): void => void stream.resume();
      void Promise.all(pending).then(resume, resume);
    }
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
    rest = '';
  });
}
