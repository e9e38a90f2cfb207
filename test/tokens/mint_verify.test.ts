// A minted execution token allows exactly one action for one agent, carries the decision and ruleset
// it came from, and is a standard EdDSA JWS that other JOSE tooling reads the same way.

import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { sha256Canonical } from '../../src/engine/index.js';
import {
  actionHash,
  EXECUTION_TOKEN_TYPE,
  executionKeyId,
  TokenError,
  verifyExecutionToken,
} from '../../src/tokens/index.js';
import { AGENT, ARGS, DECISION, key, mint, RULESET, refused, T0, TOOL, verifyOptions } from './fixtures.js';

test('a minted token verifies for its agent, tool and args, and carries the decision and ruleset hashes', async () => {
  const { token, claims } = await mint();
  const verified = await verifyExecutionToken(token, verifyOptions());
  assert.deepEqual(verified, claims);
  assert.equal(verified.sub, AGENT);
  assert.equal(verified.iss, key.name);
  assert.equal(verified.tool, TOOL);
  assert.equal(verified.act, actionHash(TOOL, ARGS));
  assert.equal(verified.dec, DECISION);
  assert.equal(verified.rsh, RULESET);
  assert.equal(verified.cnf, undefined);
});

test('the order of keys in the args never matters, at any depth', async () => {
  const { token } = await mint({ args: { a: 1, b: { y: [1, { q: 1, p: 2 }], x: 'z' } } });
  const reordered = { b: { x: 'z', y: [1, { p: 2, q: 1 }] }, a: 1 };
  await verifyExecutionToken(token, verifyOptions({ expect: { args: reordered } }));
});

test('the action hash is sha256Canonical({ tool, args }), independent of key order', () => {
  assert.equal(actionHash('t', { b: 1, a: [2] }), sha256Canonical({ tool: 't', args: { a: [2], b: 1 } }));
  assert.equal(actionHash('t', { b: 1, a: 2 }), actionHash('t', { a: 2, b: 1 }));
  assert.notEqual(actionHash('t', { a: 1 }), actionHash('u', { a: 1 }));
  assert.notEqual(actionHash('t', { a: 1 }), actionHash('t', { a: '1' }));
  assert.notEqual(actionHash('t', [1, 2]), actionHash('t', [2, 1]));
});

test('args that are not plain JSON cannot be hashed, and no token is minted for them', async () => {
  assert.throws(() => actionHash('t', { n: Number.NaN }), /args\.n cannot be hashed/);
  assert.throws(
    () => actionHash('t', undefined),
    (e: unknown) => e instanceof TokenError,
  );
  await refused(mint({ args: { f: () => 1 } }), 'E_TOKEN_INVALID_INPUT');
  await refused(mint({ args: { big: 'x'.repeat(20_000) } }), 'E_TOKEN_INVALID_INPUT', /larger than/);
});

test('the header is { alg: EdDSA, kid: RFC 7638 thumbprint, typ: carapace-exec+jwt }, nothing else', async () => {
  const { token } = await mint();
  const header = decodeProtectedHeader(token);
  assert.deepEqual(header, {
    alg: 'EdDSA',
    kid: await calculateJwkThumbprint(await exportJWK(key.publicKey)),
    typ: EXECUTION_TOKEN_TYPE,
  });
  assert.equal(header.kid, executionKeyId(key.publicKey));
});

test('the kid is the RFC 7638 thumbprint: RFC 8037 §A.3 vector', () => {
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
    format: 'jwk',
  });
  assert.equal(executionKeyId(publicKey), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
});

test('the claims are the JWT ones plus exp_ms, act, tool, dec, rsh; seconds are floored', async () => {
  const { claims } = await mint({ jti: 'fixed-jti-0123456789' });
  assert.deepEqual(Object.keys(claims).sort(), [
    'act',
    'dec',
    'exp',
    'exp_ms',
    'iat',
    'iss',
    'jti',
    'nbf',
    'rsh',
    'sub',
    'tool',
  ]);
  assert.equal(claims.jti, 'fixed-jti-0123456789');
  assert.equal(claims.iat, Math.floor(T0 / 1000));
  assert.equal(claims.nbf, claims.iat);
  assert.equal(claims.exp_ms, T0 + 5000);
  assert.equal(claims.exp, Math.floor((T0 + 5000) / 1000));
});

test('the default jti is 128 random bits, base64url, fresh for every token', async () => {
  const jtis = new Set<string>();
  for (let i = 0; i < 20; i++) jtis.add((await mint()).claims.jti);
  assert.equal(jtis.size, 20);
  for (const jti of jtis) assert.match(jti, /^[A-Za-z0-9_-]{22}$/);
});

test('a generic JWT verifier (jose.jwtVerify) accepts the token with the same claims', async () => {
  const { token, claims } = await mint();
  const { payload } = await jwtVerify(token, key.publicKey, {
    algorithms: ['EdDSA'],
    typ: EXECUTION_TOKEN_TYPE,
    issuer: key.name,
    subject: AGENT,
    currentDate: new Date(T0 + 100),
  });
  assert.deepEqual(payload, { ...claims });
});

test('a DPoP-bound token carries cnf.jkt', async () => {
  const jkt = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
  const { token, claims } = await mint({ jkt });
  assert.deepEqual(claims.cnf, { jkt });
  const verified = await verifyExecutionToken(token, verifyOptions({ expect: { jkt } }));
  assert.deepEqual(verified.cnf, { jkt });
});

test('minting refuses invalid input instead of minting a weaker token', async () => {
  await refused(mint({ decisionHash: 'sha256:abc' }), 'E_TOKEN_INVALID_INPUT', /decisionHash/);
  await refused(mint({ rulesetHash: 'x' }), 'E_TOKEN_INVALID_INPUT', /rulesetHash/);
  await refused(mint({ agentId: '' }), 'E_TOKEN_INVALID_INPUT', /agentId/);
  await refused(mint({ tool: '' }), 'E_TOKEN_INVALID_INPUT', /tool/);
  await refused(mint({ jkt: 'not-a-thumbprint' }), 'E_TOKEN_INVALID_INPUT', /jkt/);
  await refused(mint({ jti: 'short' }), 'E_TOKEN_INVALID_INPUT', /jti/);
  await refused(mint({ now: Number.NaN }), 'E_TOKEN_INVALID_INPUT', /now/);
  await refused(mint({ now: T0 + 0.5 }), 'E_TOKEN_INVALID_INPUT', /now/);
});
