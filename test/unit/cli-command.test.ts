/** The pattern every `styletune` command follows (src/cli/command.ts): parse, help, usage mistakes and exit codes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT, parseCommand, runCommand, UsageError, usageFor, writeHelp } from '../../src/cli/command';

function capture() {
  let text = '';
  return { write: (s: string) => void (text += s), text: () => text };
}

const HELP = 'Usage: styletune demo FILE --out OUT';

test('a usage mistake prints "<prefix>: <message>", a blank line and the help, and exits 2; one without help prints the message alone', async () => {
  const err = capture();
  assert.equal(await runCommand('styletune demo', err, () => { throw usageFor(HELP)('demo needs --out OUT'); }), EXIT.usage);
  assert.equal(err.text(), `styletune demo: demo needs --out OUT\n\n${HELP}\n`);
  const bare = capture();
  assert.equal(await runCommand('styletune', bare, () => { throw new UsageError('--out is for merge'); }), 2);
  assert.equal(bare.text(), 'styletune: --out is for merge\n');
});

test('an unknown option is a usage mistake with the help; a command may word it its own way', async () => {
  const err = capture();
  assert.equal(await runCommand('styletune', err, () => parseCommand(['--bogus'], { out: { type: 'string' } }, HELP).positionals.length), 2);
  assert.match(err.text(), /^styletune: Unknown option '--bogus'.*\n\nUsage: styletune demo/s);
  assert.throws(() => parseCommand(['--out'], { out: { type: 'string' } }, HELP, (e) => `reworded (${e.code})`),
    (e: unknown) => e instanceof UsageError && e.message === 'reworded (ERR_PARSE_ARGS_INVALID_OPTION_VALUE)' && e.help === HELP);
});

test('-h and --help are every command\'s; the help ends in exactly one newline; other errors pass through or are handled', async () => {
  assert.equal(parseCommand(['-h'], {}, HELP).values.help, true);
  const out = capture();
  assert.equal(writeHelp(out, HELP), EXIT.ok);
  assert.equal(writeHelp(out, HELP + '\n'), 0);
  assert.equal(out.text(), `${HELP}\n${HELP}\n`);
  await assert.rejects(runCommand('styletune', capture(), () => { throw new Error('disk full'); }), /disk full/);
  assert.equal(await runCommand('styletune', capture(), () => { throw new Error('disk full'); }, () => EXIT.failed), 1);
});
