// createPiiStream: text split into chunks anywhere gives exactly the findings of one detectPii call,
// what push() releases is final, and at most one segment plus the context carry is held back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CONTEXT_CARRY,
  createPiiStream,
  detectPii,
  MAX_SEGMENT,
  type PiiFinding,
  redactPii,
} from '../../../src/inspect/pii/index.js';

function streamed(text: string, cuts: number[], redact = false): { findings: PiiFinding[]; text: string } {
  const stream = createPiiStream({ includeText: true, ...(redact ? { redaction: {} } : {}) });
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const findings: PiiFinding[] = [];
  let out = '';
  let at = 0;
  for (const p of [...points, text.length]) {
    const r = stream.push(text.slice(at, p));
    findings.push(...r.findings);
    out += r.text;
    at = p;
  }
  const last = stream.end();
  return { findings: [...findings, ...last.findings], text: out + last.text };
}

test('an entity split across chunks is found as in one call', () => {
  const text = 'Contact: Jane Doe, card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32.';
  const cut = text.indexOf('1111 1111 1111') + 7;
  const { findings } = streamed(text, [cut, cut + 3, text.indexOf('WEST') + 2]);
  assert.deepEqual(findings, detectPii(text, { includeText: true }));
  assert.ok(findings.some((f) => f.type === 'CREDIT_CARD' && f.text === '4111 1111 1111 1111'));
});

const PIECES = [
  'John Smith',
  ' ',
  '. ',
  '\n',
  '\n\n',
  '4111 1111 1111 1111',
  'GB82WEST12345698765432',
  'mail jane@example.org',
  'call +44 20 7946 0958',
  '12 Main Street, Springfield, IL 62704',
  'ssn 856-45-6789',
  '１２３４',
  '\u200b',
  'e\u0301',
  '😀',
  'the quick brown fox jumps over the lazy dog',
];

test('splitting any text at any points gives the findings of one call (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (parts, cuts) => {
        const text = parts.join('');
        assert.deepEqual(streamed(text, cuts).findings, detectPii(text, { includeText: true }));
      },
    ),
    { numRuns: 200 },
  );
});

test('long texts cut by segment rules stream the same as one call (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...PIECES), { minLength: 150, maxLength: 400 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (parts, cuts) => {
        const text = parts.join('');
        assert.deepEqual(streamed(text, cuts).findings, detectPii(text, { includeText: true }));
      },
    ),
    { numRuns: 30 },
  );
});

test('the released text, redacted, equals redactPii of the whole text', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (parts, cuts) => {
        const text = parts.join('');
        assert.equal(streamed(text, cuts, true).text, redactPii(text).text);
      },
    ),
    { numRuns: 100 },
  );
});

test('what push() releases is final and the held-back tail is bounded', () => {
  const stream = createPiiStream();
  const word = 'lorem ipsum dolor sit amet ';
  let released = 0;
  let pushed = 0;
  for (let i = 0; i < 2000; i++) {
    const r = stream.push(word);
    pushed += word.length;
    assert.equal(r.offset, released);
    released += r.text.length;
    assert.ok(pushed - released <= MAX_SEGMENT + CONTEXT_CARRY, 'held back more than one segment');
  }
  const last = stream.end();
  assert.equal(released + last.text.length, pushed);
  assert.throws(() => stream.push('more'));
});
