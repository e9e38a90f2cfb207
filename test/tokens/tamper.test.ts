// Nothing but an unaltered token from the expected key is accepted: every single-byte change, another
// key, a re-encoded payload under the old signature, alg none, HS256 and garbage are all refused.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { canonicalJson } from '../../src/engine/index.js';
import {
  EXECUTION_TOKEN_TYPE,
  executionKeyId,
  MAX_TOKEN_CHARS,
  TokenError,
  verifyExecutionToken,
} from '../../src/tokens/index.js';
import { b64url, key, mint, otherKey, refused, segments, T0, verifyOptions } from './fixtures.js';

const { token: GOOD, claims: GOOD_CLAIMS } = await mint({
  jkt: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
});
const GOOD_OPTIONS = verifyOptions({ expect: { jkt: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k' } });
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
const SIGNATURE = segments(GOOD)[2];

/** The verdict on `token`: the TokenError code, or 'ACCEPTED'; anything else thrown fails the test. */
async function verdict(token: unknown, options = GOOD_OPTIONS): Promise<string> {
  try {
    await verifyExecutionToken(token as string, options);
    return 'ACCEPTED';
  } catch (e) {
    if (!(e instanceof TokenError)) throw new Error(`threw a non-TokenError: ${String(e)}`, { cause: e });
    assert.ok(!e.message.includes(SIGNATURE), 'a refusal must not quote the signature');
    return e.code;
  }
}

const withCharAt = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);
const REFUSED_AS_TAMPERED = new Set(['E_TOKEN_MALFORMED', 'E_TOKEN_SIGNATURE']);

test('the unaltered token is accepted (the baseline for every tamper test)', async () => {
  assert.equal(await verdict(GOOD), 'ACCEPTED');
});

test('changing any one character of the token, at every position, is refused', async () => {
  for (let i = 0; i < GOOD.length; i++) {
    const original = GOOD[i] as string;
    // Two replacements per position: the next alphabet character, and one flipping the low bits.
    const next = ALPHABET[(ALPHABET.indexOf(original) + 1) % ALPHABET.length] as string;
    const lowBit = String.fromCharCode(original.charCodeAt(0) ^ 1);
    for (const c of [next, lowBit]) {
      if (c === original) continue;
      const code = await verdict(withCharAt(GOOD, i, c));
      assert.ok(REFUSED_AS_TAMPERED.has(code), `position ${i} ${original}→${c}: ${code}`);
    }
  }
});

test('any single-byte change (fast-check over positions and byte values) is refused', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: GOOD.length - 1 }),
      fc.integer({ min: 0, max: 255 }),
      async (i, byte) => {
        fc.pre(GOOD.charCodeAt(i) !== byte);
        const code = await verdict(withCharAt(GOOD, i, String.fromCharCode(byte)));
        return REFUSED_AS_TAMPERED.has(code);
      },
    ),
    { numRuns: 1000 },
  );
});

test('inserting or deleting one character anywhere is refused', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: GOOD.length }), fc.constantFrom(...ALPHABET), async (i, c) => {
      const inserted = GOOD.slice(0, i) + c + GOOD.slice(i);
      const j = Math.min(i, GOOD.length - 1); // deleting past the end would change nothing
      const deleted = GOOD.slice(0, j) + GOOD.slice(j + 1);
      return (await verdict(inserted)) !== 'ACCEPTED' && (await verdict(deleted)) !== 'ACCEPTED';
    }),
    { numRuns: 300 },
  );
});

test('a token minted with another key is refused, even under the same key name', async () => {
  const { token } = await mint({ key: otherKey });
  await refused(
    verifyExecutionToken(token, verifyOptions()),
    'E_TOKEN_SIGNATURE',
    new RegExp(
      `signed by key "${executionKeyId(otherKey.publicKey)}", but the verifier's key is ${executionKeyId(key.publicKey)}`,
    ),
  );
});

test("a token signed by another key that claims the verifier's kid is refused", async () => {
  const [header, payload] = segments(GOOD);
  const forged = await new CompactSign(Buffer.from(payload, 'base64url'))
    .setProtectedHeader(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')))
    .sign(otherKey.privateKey);
  assert.equal(segments(forged)[0], header);
  await refused(verifyExecutionToken(forged, GOOD_OPTIONS), 'E_TOKEN_SIGNATURE', /does not verify/);
});

test('a payload re-encoded with another sub, act, exp_ms or cnf under the old signature is refused', async () => {
  const [header, , signature] = segments(GOOD);
  const changes = [
    { sub: 'agent:intruder' },
    { act: `sha256:${'0'.repeat(64)}` },
    { tool: 'network.reset' },
    { exp_ms: GOOD_CLAIMS.exp_ms + 1000, exp: GOOD_CLAIMS.exp + 1 },
    { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } },
    {},
  ];
  for (const change of changes) {
    const payload = b64url(canonicalJson({ ...GOOD_CLAIMS, ...change }));
    const expected = Object.keys(change).length === 0 ? 'ACCEPTED' : 'E_TOKEN_SIGNATURE';
    assert.equal(await verdict(`${header}.${payload}.${signature}`), expected, JSON.stringify(change));
  }
});

test('an alg: none token crafted by hand is malformed', async () => {
  const [, payload] = segments(GOOD);
  for (const alg of ['none', 'None', 'NONE']) {
    const header = b64url(
      JSON.stringify({ alg, kid: executionKeyId(key.publicKey), typ: EXECUTION_TOKEN_TYPE }),
    );
    for (const tail of ['', SIGNATURE]) {
      await refused(
        verifyExecutionToken(`${header}.${payload}.${tail}`, GOOD_OPTIONS),
        'E_TOKEN_MALFORMED',
        new RegExp(`alg is "${alg}"; only "EdDSA" is accepted`),
      );
    }
  }
});

test('an HS256 token keyed with the public key (algorithm confusion) is malformed', async () => {
  const [, payload] = segments(GOOD);
  for (const alg of ['HS256', 'HS512', 'ES256', 'RS256', 'Ed25519']) {
    const header = b64url(
      canonicalJson({ alg, kid: executionKeyId(key.publicKey), typ: EXECUTION_TOKEN_TYPE }),
    );
    const mac = createHmac('sha256', key.publicKeyRaw).update(`${header}.${payload}`).digest('base64url');
    await refused(
      verifyExecutionToken(`${header}.${payload}.${mac}`, GOOD_OPTIONS),
      'E_TOKEN_MALFORMED',
      /only "EdDSA" is accepted/,
    );
  }
});

test('a token with another typ, or extra header members, is malformed even when properly signed', async () => {
  const [, payload] = segments(GOOD);
  const kid = executionKeyId(key.publicKey);
  const sign = (header: Record<string, unknown>) =>
    new CompactSign(Buffer.from(payload, 'base64url'))
      .setProtectedHeader(header as { alg: string })
      .sign(key.privateKey);
  await refused(
    verifyExecutionToken(await sign({ alg: 'EdDSA', kid, typ: 'JWT' }), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /typ is "JWT"/,
  );
  await refused(
    verifyExecutionToken(await sign({ alg: 'EdDSA', kid }), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /typ is undefined/,
  );
  await refused(
    verifyExecutionToken(
      await sign({ alg: 'EdDSA', jku: 'https://evil.example/', kid, typ: EXECUTION_TOKEN_TYPE }),
      GOOD_OPTIONS,
    ),
    'E_TOKEN_MALFORMED',
    /unexpected members \["jku"\]/,
  );
  // Same members, another order: not the canonical header the minter writes.
  await refused(
    verifyExecutionToken(await sign({ typ: EXECUTION_TOKEN_TYPE, alg: 'EdDSA', kid }), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /not canonical JSON/,
  );
});

test('a properly signed payload that is not exactly the claim shape is malformed', async () => {
  const signClaims = (claims: Record<string, unknown>, text = canonicalJson(claims)) =>
    new CompactSign(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'EdDSA', kid: executionKeyId(key.publicKey), typ: EXECUTION_TOKEN_TYPE })
      .sign(key.privateKey);
  const base: Record<string, unknown> = { ...GOOD_CLAIMS };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, admin: true }, /unknown claim "admin"/],
    [{ ...base, jti: undefined }, /claim jti is missing/],
    [{ ...base, exp_ms: String(base.exp_ms) }, /claim exp_ms is .*not a non-negative integer/],
    [{ ...base, exp: (base.exp as number) + 100 }, /exp \d+ is not floor\(exp_ms/],
    [
      { ...base, exp_ms: T0 + 3_600_000, exp: Math.floor((T0 + 3_600_000) / 1000) },
      /exceeds the 60000 ms cap/,
    ],
    [{ ...base, dec: 'md5:abc' }, /claim dec/],
    [{ ...base, cnf: { jkt: 'x' } }, /claim cnf/],
    [{ ...base, cnf: { jkt: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', x5t: 'a' } }, /claim cnf/],
  ];
  for (const [claims, message] of cases) {
    const text = JSON.stringify(claims);
    await refused(
      verifyExecutionToken(await signClaims(claims, text), GOOD_OPTIONS),
      'E_TOKEN_MALFORMED',
      message,
    );
  }
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(base).reverse()));
  await refused(
    verifyExecutionToken(await signClaims({}, reordered), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /payload is not canonical JSON/,
  );
  const duplicated = canonicalJson(base).replace('{', `{"sub":"agent:intruder",`);
  await refused(
    verifyExecutionToken(await signClaims({}, duplicated), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /payload is not canonical JSON/,
  );
  await refused(
    verifyExecutionToken(await signClaims({}, '[1,2]'), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /not a JSON object/,
  );
  await refused(
    verifyExecutionToken(await signClaims({}, 'not json'), GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /not JSON/,
  );
});

test('non-canonical base64url (unused trailing bits) is refused, not decoded to the same bytes', async () => {
  const [header, payload, signature] = segments(GOOD);
  // 64 bytes → 86 characters; the last one carries 2 bits of data and 4 bits that must be zero.
  const last = signature[signature.length - 1] as string;
  const twin = ALPHABET[ALPHABET.indexOf(last) ^ 1] as string;
  assert.deepEqual(
    Buffer.from(signature.slice(0, -1) + twin, 'base64url'),
    Buffer.from(signature, 'base64url'),
  );
  await refused(
    verifyExecutionToken(`${header}.${payload}.${signature.slice(0, -1)}${twin}`, GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    /signature segment is not canonical base64url/,
  );
});

test('an oversized token is malformed before any parsing', async () => {
  await refused(
    verifyExecutionToken(`${GOOD}${'A'.repeat(MAX_TOKEN_CHARS)}`, GOOD_OPTIONS),
    'E_TOKEN_MALFORMED',
    new RegExp(`the limit is ${MAX_TOKEN_CHARS}`),
  );
  const huge = 'x'.repeat(16 * 1024 * 1024);
  const started = performance.now();
  await refused(verifyExecutionToken(huge, GOOD_OPTIONS), 'E_TOKEN_MALFORMED', /characters; the limit/);
  assert.ok(performance.now() - started < 50, 'refusing a huge token costs no parsing');
});

test('garbage of every kind is E_TOKEN_MALFORMED and nothing else is thrown', async () => {
  for (const g of ['', '.', '..', '...', 'a.b.c', 'a.b', 'a.b.c.d', `${GOOD}.`, ' ' + GOOD, GOOD + '\n']) {
    assert.equal(await verdict(g), 'E_TOKEN_MALFORMED', JSON.stringify(g.slice(0, 20)));
  }
  for (const g of [undefined, null, 42, {}, [], Buffer.from(GOOD), { toString: () => GOOD }]) {
    assert.equal(await verdict(g), 'E_TOKEN_MALFORMED');
  }
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.anything()), async (g) => {
      return (await verdict(g)) === 'E_TOKEN_MALFORMED';
    }),
    { numRuns: 500 },
  );
});

test('three well-encoded segments of arbitrary JSON and bytes are E_TOKEN_MALFORMED', async () => {
  const jsonSegment = fc.jsonValue().map((v) => b64url(JSON.stringify(v)));
  const header = fc.oneof(
    jsonSegment,
    fc
      .record({ alg: fc.constantFrom('EdDSA', 'none', 'HS256'), typ: fc.string(), kid: fc.string() })
      .map((h) => b64url(JSON.stringify(h))),
  );
  const bytes = fc
    .uint8Array({ minLength: 1, maxLength: 100 })
    .map((b) => Buffer.from(b).toString('base64url'));
  await fc.assert(
    fc.asyncProperty(header, fc.oneof(jsonSegment, bytes), bytes, async (h, p, s) => {
      return (await verdict(`${h}.${p}.${s}`)) === 'E_TOKEN_MALFORMED';
    }),
    { numRuns: 500 },
  );
});
