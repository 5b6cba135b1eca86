import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count, counted } from '../../src/core/counted';

test('counts group thousands the same on every machine', () => {
  assert.equal(count(0), '0');
  assert.equal(count(999), '999');
  assert.equal(count(21504), '21,504');
  assert.equal(count(1234567), '1,234,567');
});

test('one thing is singular, every other count plural, irregular plurals given', () => {
  assert.equal(counted(1, 'pair'), '1 pair');
  assert.equal(counted(0, 'pair'), '0 pairs');
  assert.equal(counted(2, 'pair'), '2 pairs');
  assert.equal(counted(4948, 'comparison'), '4,948 comparisons');
  assert.equal(counted(1, 'line has', 'lines have'), '1 line has');
  assert.equal(counted(3, 'line has', 'lines have'), '3 lines have');
  assert.equal(counted(1, 'empty reply'), '1 empty reply');
  assert.equal(counted(2, 'empty reply', 'empty replies'), '2 empty replies');
});
