// normalizeForScan: what detectors see (NFKC, no invisible characters) and the way back to the original.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeForScan } from '../../../src/inspect/normalize.js';

function originalOf(input: string, start: number, end: number): string {
  const n = normalizeForScan(input);
  const o = n.toOriginal(start, end);
  return input.slice(o.start, o.end);
}

test('ASCII text is returned as it is, with the identity map', () => {
  const n = normalizeForScan('plain ASCII text 123');
  assert.equal(n.identity, true);
  assert.equal(n.text, 'plain ASCII text 123');
  assert.deepEqual(n.toOriginal(6, 11), { start: 6, end: 11 });
});

test('fullwidth digits and zero-width characters are normalised and map back to the original span', () => {
  const input = 'card ４１１１\u200b１１１１ end';
  const n = normalizeForScan(input);
  assert.equal(n.text, 'card 41111111 end');
  const start = n.text.indexOf('4');
  assert.equal(originalOf(input, start, start + 8), '４１１１\u200b１１１１');
});

test('a base letter and its combining mark become one character that maps to both', () => {
  const input = 'cafe\u0301 ok';
  const n = normalizeForScan(input);
  assert.equal(n.text, 'café ok');
  assert.equal(originalOf(input, 3, 4), 'e\u0301');
});

test('a ligature expands to two characters that both map to the ligature', () => {
  const input = 'ﬁle';
  const n = normalizeForScan(input);
  assert.equal(n.text, 'file');
  assert.equal(originalOf(input, 0, 1), 'ﬁ');
  assert.equal(originalOf(input, 1, 2), 'ﬁ');
  assert.equal(originalOf(input, 0, 4), 'ﬁle');
});

test('bidi controls, BOM and Unicode tag characters are removed', () => {
  const input = '\ufeffa\u202eb\udb40\udc41c';
  assert.equal(normalizeForScan(input).text, 'abc');
});

test('every normalised range maps into the original text, in order (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(), fc.nat(), (input, a, b) => {
      const n = normalizeForScan(input);
      const len = n.text.length;
      const start = len === 0 ? 0 : a % (len + 1);
      const end = start + (len - start === 0 ? 0 : b % (len - start + 1));
      const o = n.toOriginal(start, end);
      assert.ok(o.start >= 0 && o.start <= o.end && o.end <= input.length);
      if (end > start) assert.ok(o.end > o.start);
    }),
    { numRuns: 500 },
  );
});

test('normalisation is idempotent on its own output (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (input) => {
      const once = normalizeForScan(input).text;
      assert.equal(normalizeForScan(once).text, once);
    }),
    { numRuns: 300 },
  );
});
