/**
 * The extractor warms its scanners at import (see warmUp in src/core/traits/extract.ts); that must stay
 * cheap: no spelling dictionary load, and no trace in later measurements (golden.test.ts pins values).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureDialogue } from '../../src/core/traits/extract';
import { dictionaryLoaded } from '../../src/core/traits/spelling';

test('importing the extractor does not load the spelling dictionary', () => {
  assert.equal(dictionaryLoaded(), false);
  // A word off every list goes to the spelling check, which loads it.
  measureDialogue([{ role: 'assistant', content: 'Nothing unusual here, friend.' }]);
  assert.equal(dictionaryLoaded(), true);
});
