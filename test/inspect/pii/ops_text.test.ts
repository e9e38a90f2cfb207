// Precision on operational text, which is what tool outputs through the gateway mostly are: a unit after
// a number is not a title before a name ("42 ms later"), while real titles still introduce names.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectPii } from '../../../src/inspect/pii/index.js';

const people = (text: string) =>
  detectPii(text)
    .filter((f) => f.type === 'PERSON')
    .map((f) => text.slice(f.start, f.end));

test('"ms", "dr" and "mr" after a number are units or abbreviations, not titles', () => {
  assert.deepEqual(people('Restarted web-01: pid 20654 serving again 42 ms later'), []);
  assert.deepEqual(people('p99 latency was 840 ms yesterday and 12 ms today'), []);
});

test('titles still introduce names: capitalised, dotted, or in text with no capitals at all', () => {
  assert.deepEqual(people('Ms. Lopez approved the change'), ['Lopez']);
  assert.deepEqual(people('Ask Dr Okafor before the migration'), ['Okafor']);
  assert.deepEqual(people('we met dr. smith at noon'), ['smith']);
});
