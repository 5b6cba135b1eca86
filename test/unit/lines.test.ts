/** The line splitter every child process's output and every followed events file goes through (src/core/lines.ts). */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { completeLines, lines } from '../../src/core/lines';

test('complete lines come off the buffer without \\n or \\r; a half line stays for the next piece', () => {
  assert.deepEqual(completeLines('a\r\nb\n\nc'), { lines: ['a', 'b', ''], rest: 'c' });
  assert.deepEqual(completeLines('no newline yet'), { lines: [], rest: 'no newline yet' });
  assert.deepEqual(completeLines('x\n'), { lines: ['x'], rest: '' });
});

test('a stream cut anywhere (inside \\r\\n, inside a UTF-8 character) gives the same lines, the unterminated last one too', async () => {
  const pipe = new PassThrough();
  const seen: string[] = [];
  const ended = new Promise((resolve) => pipe.once('end', resolve));
  lines(pipe, (line) => void seen.push(line));
  const e = Buffer.from('é');
  for (const piece of [Buffer.from('a\r'), Buffer.from('\nb'), Buffer.concat([Buffer.from('c'), e.subarray(0, 1)]), Buffer.concat([e.subarray(1), Buffer.from('\n\nd')])]) pipe.write(piece);
  pipe.end();
  await ended;
  assert.deepEqual(seen, ['a', 'bcé', '', 'd']);
});
