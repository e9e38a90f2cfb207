// The engine's dependency-free RFC 8785 canonicaliser agrees with the `canonicalize` package.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson, toCanonicalJson } from '../../src/engine/index.js';

test('agrees with canonicalize@4 on arbitrary JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      assert.equal(canonicalJson(value), canonicalize(value));
    }),
    { numRuns: 2000 },
  );
});

test('RFC 8785 examples: key order by UTF-16 code units and ECMAScript numbers', () => {
  assert.equal(canonicalJson({ b: 1, a: [3, { d: true, c: null }] }), '{"a":[3,{"c":null,"d":true}],"b":1}');
  assert.equal(
    canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 4.5, 2 ** 53]),
    '[1e+21,1e-7,0,0.30000000000000004,4.5,9007199254740992]',
  );
  assert.equal(
    canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4 }),
    '{"\\r":2,"1":4,"€":1,"😀":3}',
  );
  assert.equal(canonicalJson('\u0007\u001f"\\/'), '"\\u0007\\u001f\\"\\\\/"');
});

test('refuses what is not JSON, saying where', () => {
  for (const [value, reason] of [
    [{ a: { b: Number.NaN } }, /not finite/],
    [{ a: [1, undefined] }, /undefined is not JSON/],
    [{ s: '\ud800' }, /lone UTF-16 surrogate/],
    [new Map(), /not a plain JSON object/],
  ] as const) {
    const r = toCanonicalJson(value, 8);
    assert.ok(!r.ok);
    assert.match(r.reason, reason);
  }
  const r = toCanonicalJson({ a: { b: [Number.NaN] } }, 8);
  assert.ok(!r.ok);
  assert.equal(r.path, '.a.b[0]');
});
