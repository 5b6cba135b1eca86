import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { percent, share } from '../../src/core/percent';

test('a share is 100 % or 0 % only when it is all or none', () => {
  assert.equal(share(4944, 4948), '99.92 %');
  assert.equal(share(4, 4948), '0.08 %');
  assert.equal(share(4948, 4948), '100.0 %');
  assert.equal(share(0, 4948), '0.0 %');
  assert.equal(share(99_999, 100_000), '99.999 %');
  assert.equal(share(1, 100_000), '0.001 %');
  assert.equal(share(734, 1000), '73.4 %');
  assert.equal(share(1, 3), '33.3 %');
  assert.equal(share(3, 0), '–');
  assert.equal(percent(0.5, 0), '50 %');
  assert.equal(percent(NaN), '–');
});

test('property: a partial share never reads as all or none', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (whole, raw) => {
      const part = raw % (whole + 1);
      const text = share(part, whole);
      const value = Number(text.replace(' %', ''));
      if (part === whole) assert.equal(text, '100.0 %');
      else if (part === 0) assert.equal(text, '0.0 %');
      else assert.ok(value > 0 && value < 100, `${part} of ${whole}: ${text}`);
    }),
  );
});
