// DPoP proofs as RFC 9449 §4.3 checks them: the RFC's own example, then one thing wrong at a time.

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';
import { verifyDpopProof, type ProofReplayCache } from '../../src/identity/dpop_proof.js';
import { DpopNonces } from '../../src/identity/dpop_nonce.js';
import { IdentityError } from '../../src/identity/errors.js';
import { normaliseHtu } from '../../src/identity/htu.js';

/** RFC 9449 Figure 4 (§4.1): a proof for POST https://server.example.com/token, iat 1562262616. */
const RFC_PROOF =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';
/** The thumbprint RFC 9449 §6.1 gives for that key. */
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const RFC_IAT_MS = 1562262616 * 1000;

function memoryReplay(): ProofReplayCache & { keys: Set<string> } {
  const keys = new Set<string>();
  return {
    keys,
    async remember(key) {
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    },
  };
}

const URI = 'https://gw.example.test/v1/actions';
const NOW = Date.parse('2026-12-07T03:14:00.000Z');

interface TestKey {
  privateKey: KeyObject;
  jwk: JWK;
}

function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, jwk: publicKey.export({ format: 'jwk' }) as JWK };
}

async function proof(
  key: TestKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    htm: 'POST',
    htu: URI,
    iat: Math.floor(NOW / 1000),
    ...claims,
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk, ...header } as never)
    .sign(key.privateKey);
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof IdentityError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test("RFC 9449's example proof verifies at its time, with the thumbprint the RFC gives", async () => {
  const verified = await verifyDpopProof(RFC_PROOF, {
    method: 'POST',
    uri: 'https://server.example.com/token',
    now: RFC_IAT_MS + 1000,
    replay: memoryReplay(),
  });
  assert.equal(verified.jkt, RFC_JKT);
  assert.equal(verified.jti, '-BwC3ESc6acc2lTc');
  assert.equal(await calculateJwkThumbprint(verified.jwk, 'sha256'), RFC_JKT);
});

test("the RFC's example is stale now, and refused for another URI or method", async () => {
  await rejects(
    verifyDpopProof(RFC_PROOF, {
      method: 'POST',
      uri: 'https://server.example.com/token',
      now: NOW,
      replay: memoryReplay(),
    }),
    'E_DPOP_STALE',
  );
  const then = { now: RFC_IAT_MS, replay: memoryReplay() };
  await rejects(
    verifyDpopProof(RFC_PROOF, { ...then, method: 'POST', uri: 'https://server.example.com/other' }),
    'E_DPOP_INVALID',
    /htu/,
  );
  await rejects(
    verifyDpopProof(RFC_PROOF, { ...then, method: 'GET', uri: 'https://server.example.com/token' }),
    'E_DPOP_INVALID',
    /htm/,
  );
});

test('a proof is accepted once: its jti replayed is refused', async () => {
  const key = newKey();
  const replay = memoryReplay();
  const p = await proof(key);
  const first = await verifyDpopProof(p, { method: 'POST', uri: URI, now: NOW, replay });
  assert.equal(first.jkt, await calculateJwkThumbprint(key.jwk, 'sha256'));
  await rejects(verifyDpopProof(p, { method: 'POST', uri: URI, now: NOW + 1, replay }), 'E_DPOP_REPLAYED');
});

test('iat is accepted from 60 s before to 5 s after the server time, and nothing outside', async () => {
  const key = newKey();
  const at = (s: number) => proof(key, { iat: Math.floor(NOW / 1000) + s });
  for (const s of [-60, 0, 5])
    await verifyDpopProof(await at(s), { method: 'POST', uri: URI, now: NOW, replay: memoryReplay() });
  for (const s of [-61, 6, -3600])
    await rejects(
      verifyDpopProof(await at(s), { method: 'POST', uri: URI, now: NOW, replay: memoryReplay() }),
      'E_DPOP_STALE',
    );
});

test('wrong URL, wrong method, missing or wrong ath are refused', async () => {
  const key = newKey();
  const base = { now: NOW, replay: memoryReplay() };
  await rejects(
    verifyDpopProof(await proof(key, { htu: 'https://gw.example.test/v1/execute' }), {
      ...base,
      method: 'POST',
      uri: URI,
    }),
    'E_DPOP_INVALID',
    /htu/,
  );
  await rejects(
    verifyDpopProof(await proof(key, { htu: 'https://evil.example/v1/actions' }), {
      ...base,
      method: 'POST',
      uri: URI,
    }),
    'E_DPOP_INVALID',
    /htu/,
  );
  await rejects(
    verifyDpopProof(await proof(key, { htm: 'GET' }), { ...base, method: 'POST', uri: URI }),
    'E_DPOP_INVALID',
    /htm/,
  );
  const token = 'an-access-token';
  const ath = createHash('sha256').update(token).digest('base64url');
  await verifyDpopProof(await proof(key, { ath }), { ...base, method: 'POST', uri: URI, accessToken: token });
  await rejects(
    verifyDpopProof(await proof(key), { ...base, method: 'POST', uri: URI, accessToken: token }),
    'E_DPOP_INVALID',
    /ath/,
  );
  await rejects(
    verifyDpopProof(await proof(key, { ath }), { ...base, method: 'POST', uri: URI, accessToken: 'another' }),
    'E_DPOP_INVALID',
    /ath/,
  );
});

test('a proof signed by another key than its jwk, or carrying a private key, or typed otherwise, is refused', async () => {
  const key = newKey();
  const other = newKey();
  const base = { method: 'POST', uri: URI, now: NOW, replay: memoryReplay() };
  const forged = await new SignJWT({
    jti: 'forged-jti-1',
    htm: 'POST',
    htu: URI,
    iat: Math.floor(NOW / 1000),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(other.privateKey);
  await rejects(verifyDpopProof(forged, base), 'E_DPOP_INVALID', /signature/);
  const privateJwk = (await exportJWK(key.privateKey)) as JWK;
  await rejects(verifyDpopProof(await proof(key, {}, { jwk: privateJwk }), base), 'E_DPOP_INVALID');
  await rejects(verifyDpopProof(await proof(key, {}, { typ: 'JWT' }), base), 'E_DPOP_INVALID', /typ/);
  const unsigned = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })).toString('base64url')}.${Buffer.from(JSON.stringify({ jti: 'x'.repeat(16), htm: 'POST', htu: URI, iat: NOW / 1000 })).toString('base64url')}.`;
  await rejects(verifyDpopProof(unsigned, base), 'E_DPOP_INVALID', /alg/);
  for (const junk of [undefined, '', 'a.b.c', 'x'.repeat(9000), 42])
    await rejects(verifyDpopProof(junk, base), 'E_DPOP_INVALID');
});

test('a server nonce is required when asked for, and only one this server issued recently passes', async () => {
  const nonces = new DpopNonces(Buffer.alloc(32, 7), 300_000);
  const key = newKey();
  const base = {
    method: 'POST',
    uri: URI,
    now: NOW,
    replay: memoryReplay(),
    nonce: (n: unknown) => nonces.accepts(n, NOW),
  };
  await rejects(verifyDpopProof(await proof(key), base), 'E_DPOP_USE_NONCE');
  await rejects(verifyDpopProof(await proof(key, { nonce: 'made-up' }), base), 'E_DPOP_USE_NONCE');
  await rejects(
    verifyDpopProof(await proof(key, { nonce: new DpopNonces(Buffer.alloc(32, 8)).issue(NOW) }), base),
    'E_DPOP_USE_NONCE',
  );
  await verifyDpopProof(await proof(key, { nonce: nonces.issue(NOW) }), base);
  await verifyDpopProof(await proof(key, { nonce: nonces.issue(NOW - 300_000) }), base);
  await rejects(
    verifyDpopProof(await proof(key, { nonce: nonces.issue(NOW - 600_000) }), base),
    'E_DPOP_USE_NONCE',
  );
});

test('htu compares URIs as RFC 3986 normalises them, without query or fragment', () => {
  assert.equal(
    normaliseHtu('HTTPS://GW.Example.TEST:443/v1/%7eactions?x=1#f'),
    'https://gw.example.test/v1/~actions',
  );
  assert.equal(normaliseHtu('http://gw:80/a/./b/../c'), 'http://gw/a/c');
  assert.equal(normaliseHtu('https://gw/a%2fb'), 'https://gw/a%2Fb');
  assert.equal(normaliseHtu('https://gw:8443/x'), 'https://gw:8443/x');
  for (const bad of ['ftp://gw/x', 'not a uri', 'https://user:pw@gw/x'])
    assert.equal(normaliseHtu(bad), null);
});
