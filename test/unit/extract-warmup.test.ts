/**
 * The extractor warms its scanners at import (see warmUp in src/core/traits/extract.ts); that must stay
 * cheap: no spelling dictionary load, and no trace in later measurements (golden.test.ts pins values).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { measureDialogue } from '../../src/core/traits/extract';
import { dictionaryLoaded } from '../../src/core/traits/spelling';

test('importing the extractor does not load the spelling dictionary', () => {
  assert.equal(dictionaryLoaded(), false);
  // A word off every list goes to the spelling check, which loads it.
  measureDialogue([{ role: 'assistant', content: 'Nothing unusual here, friend.' }]);
  assert.equal(dictionaryLoaded(), true);
});

/**
 * Common shapes of casual text must not deoptimize the scanner once V8 has optimized it: each deopt
 * throws away the optimized scanTurn and compiles it again (~0.1 s of CPU), in every process that scores.
 * Runs a child node with --trace-deopt (compiling on the main thread, so optimization cannot lag behind
 * the loop on a busy machine) on turns that end in ".", in an emoticon, in "<3", with a lone
 * lowercase "i" and spelled-out laughter (an out-of-bounds charCodeAt or a branch the warm-up never took
 * showed up here before).
 */
test('common casual text does not deoptimize the optimized scanner', () => {
  const script = `
    const { TraitExtractor } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'core', 'traits', 'extract.js'))});
    const x = new TraitExtractor();
    const out = new Float64Array(64);
    const turns = ['ok. i think so.', 'lol hahahahah that was fun :)', 'yeah i know', 'sure thing!', 'nice, see you at 10:30', 'Fine.', 'nah i dunno lol', 'ok :P', 'we should go... i guess.'];
    for (let round = 0; round < 50000; round++) x.measureResponseInto(out, 0, turns[round % turns.length], 'so what did you do today?', 'assistant');
  `;
  const r = spawnSync(process.execPath, ['--trace-opt', '--trace-deopt', '--no-concurrent-recompilation', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /completed (optimizing|compiling) [^\n]*scanTurn/, 'scanTurn was never optimized: the test proves nothing');
  const deopts = r.stdout.split('\n').filter((l) => l.startsWith('[bailout') && /JSFunction (scanTurn|scanResponse|emoticonAt|markdownLineStart|nextNonSpace|matchPhrases) /.test(l));
  assert.deepEqual(deopts, []);
});
