// Redemption is verify-then-ledger, exactly once: a replay is refused as such, concurrent redemptions
// of one token let exactly one through, and a token that fails verification never reaches the ledger.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redeemExecutionToken, type RedemptionLedger, TokenError } from '../../src/tokens/index.js';
import { FakeRedemptionLedger } from './fake_ledger.js';
import { mint, otherKey, refused, T0, verifyOptions } from './fixtures.js';

test('a token redeems once; the second redemption is E_TOKEN_REPLAYED', async () => {
  const ledger = new FakeRedemptionLedger();
  const { token, claims } = await mint();
  const redeemed = await redeemExecutionToken(token, { ...verifyOptions(), ledger });
  assert.deepEqual(redeemed, claims);
  assert.deepEqual(ledger.rows.get(claims.jti), { expiresAt: claims.exp_ms, redeemedAt: T0 + 100 });
  await refused(
    redeemExecutionToken(token, { ...verifyOptions({ now: T0 + 200 }), ledger }),
    'E_TOKEN_REPLAYED',
    new RegExp(`execution token ${claims.jti}: already redeemed`),
  );
});

test('50 concurrent redemptions of one token: exactly one succeeds, 49 are replays', async () => {
  const ledger = new FakeRedemptionLedger();
  const { token } = await mint();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, () => redeemExecutionToken(token, { ...verifyOptions(), ledger })),
  );
  const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
  const codes = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as TokenError).code] : []));
  assert.equal(fulfilled.length, 1);
  assert.deepEqual(codes, Array(49).fill('E_TOKEN_REPLAYED'));
  assert.equal(ledger.rows.size, 1);
});

test('distinct tokens for the same action redeem independently', async () => {
  const ledger = new FakeRedemptionLedger();
  const a = await mint();
  const b = await mint();
  await redeemExecutionToken(a.token, { ...verifyOptions(), ledger });
  await redeemExecutionToken(b.token, { ...verifyOptions(), ledger });
  assert.equal(ledger.rows.size, 2);
});

test('a token that fails verification never touches the ledger', async () => {
  const ledger = new FakeRedemptionLedger();
  const { token, claims } = await mint();
  const foreign = await mint({ key: otherKey });
  const failures: [() => Promise<unknown>, TokenError['code']][] = [
    [
      () => redeemExecutionToken(token, { ...verifyOptions({ now: claims.exp_ms }), ledger }),
      'E_TOKEN_EXPIRED',
    ],
    [
      () => redeemExecutionToken(token, { ...verifyOptions({ expect: { agentId: 'x' } }), ledger }),
      'E_TOKEN_WRONG_AGENT',
    ],
    [
      () => redeemExecutionToken(token, { ...verifyOptions({ expect: { args: {} } }), ledger }),
      'E_TOKEN_WRONG_ACTION',
    ],
    [() => redeemExecutionToken(foreign.token, { ...verifyOptions(), ledger }), 'E_TOKEN_SIGNATURE'],
    [() => redeemExecutionToken('garbage', { ...verifyOptions(), ledger }), 'E_TOKEN_MALFORMED'],
  ];
  for (const [redeem, code] of failures) await refused(redeem(), code);
  assert.equal(ledger.calls, 0);
  // …so the token is still redeemable by its rightful presenter.
  await redeemExecutionToken(token, { ...verifyOptions(), ledger });
});

test('a failing ledger fails closed: E_TOKEN_LEDGER, with the cause kept', async () => {
  const { token } = await mint();
  const boom = new Error('SQLITE_BUSY');
  const failing: RedemptionLedger = { redeemToken: () => Promise.reject(boom) };
  const e = await refused(
    redeemExecutionToken(token, { ...verifyOptions(), ledger: failing }),
    'E_TOKEN_LEDGER',
  );
  assert.equal(e.cause, boom);
  const confused = { redeemToken: () => Promise.resolve('yes') } as unknown as RedemptionLedger;
  await refused(
    redeemExecutionToken(token, { ...verifyOptions(), ledger: confused }),
    'E_TOKEN_LEDGER',
    /answered string, not a boolean/,
  );
});
