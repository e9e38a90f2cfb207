// An execution token lives 5 s by default and never more than 60 s; it expires at exactly exp_ms,
// to the millisecond, and no clock leeway is granted unless the verifier asks for it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TTL_MS, MAX_TTL_MS, verifyExecutionToken } from '../../src/tokens/index.js';
import { mint, refused, T0, verifyOptions } from './fixtures.js';

test('the default lifetime is 5 s', async () => {
  const { claims } = await mint();
  assert.equal(DEFAULT_TTL_MS, 5000);
  assert.equal(claims.exp_ms - T0, 5000);
});

test('a token is valid 1 ms before exp_ms and expired at exactly exp_ms', async () => {
  const { token, claims } = await mint();
  await verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms - 1 }));
  const e = await refused(
    verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms })),
    'E_TOKEN_EXPIRED',
    /expired at .* \(exp_ms \d+\); now is .*, 0 ms later/,
  );
  assert.ok(e.message.includes(claims.jti));
  await refused(
    verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms + 60_000 })),
    'E_TOKEN_EXPIRED',
  );
});

test('exp_ms, not the second-rounded exp, is enforced', async () => {
  // T0 ends in .123, so exp (seconds) is floor((T0 + 5000) / 1000), 123 ms before exp_ms.
  const { token, claims } = await mint();
  assert.ok(claims.exp * 1000 < claims.exp_ms);
  await verifyExecutionToken(token, verifyOptions({ now: claims.exp * 1000 + 50 }));
});

test('a token presented before its nbf is not yet valid', async () => {
  const { token, claims } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ now: claims.nbf * 1000 - 1 })),
    'E_TOKEN_NOT_YET_VALID',
    /not valid before/,
  );
  await verifyExecutionToken(token, verifyOptions({ now: claims.nbf * 1000 }));
});

test('clock skew leeway is 0 unless asked for, and then applies both ways', async () => {
  const { token, claims } = await mint();
  await refused(verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms + 10 })), 'E_TOKEN_EXPIRED');
  await verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms + 10, clockSkewMs: 11 }));
  await refused(
    verifyExecutionToken(token, verifyOptions({ now: claims.exp_ms + 11, clockSkewMs: 11 })),
    'E_TOKEN_EXPIRED',
  );
  await verifyExecutionToken(token, verifyOptions({ now: claims.nbf * 1000 - 500, clockSkewMs: 500 }));
  await refused(
    verifyExecutionToken(token, verifyOptions({ clockSkewMs: -1 })),
    'E_TOKEN_INVALID_INPUT',
    /clockSkewMs/,
  );
  await refused(
    verifyExecutionToken(token, verifyOptions({ clockSkewMs: MAX_TTL_MS + 1 })),
    'E_TOKEN_INVALID_INPUT',
  );
});

test('the lifetime is capped at 60 s: 60000 ms mints, 60001 ms and 0 ms do not', async () => {
  assert.equal(MAX_TTL_MS, 60_000);
  const { token, claims } = await mint({ ttlMs: 60_000 });
  assert.equal(claims.exp_ms, T0 + 60_000);
  await verifyExecutionToken(token, verifyOptions({ now: T0 + 59_999 }));
  await refused(mint({ ttlMs: 60_001 }), 'E_TOKEN_INVALID_INPUT', /ttlMs/);
  await refused(mint({ ttlMs: 0 }), 'E_TOKEN_INVALID_INPUT', /ttlMs/);
  await refused(mint({ ttlMs: 1.5 }), 'E_TOKEN_INVALID_INPUT', /ttlMs/);
});

test('a short lifetime is honoured to the millisecond', async () => {
  const { token } = await mint({ ttlMs: 250 });
  await verifyExecutionToken(token, verifyOptions({ now: T0 + 249 }));
  await refused(verifyExecutionToken(token, verifyOptions({ now: T0 + 250 })), 'E_TOKEN_EXPIRED');
});
