// Execution tokens redeemed through the real SQLite store: once, across two gateway instances sharing
// the database, and still once after a restart.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import { redeemExecutionToken, storeRedemptionLedger, TokenError } from '../../src/tokens/index.js';
import { AGENT, ARGS, key, mint, T0, TOOL } from './fixtures.js';

const options = (store: Awaited<ReturnType<typeof openSqliteStore>>) => ({
  publicKey: key.publicKey,
  issuer: key.name,
  now: T0 + 100,
  expect: { agentId: AGENT, tool: TOOL, args: ARGS },
  ledger: storeRedemptionLedger(store),
});

test('a token is redeemed once through the store, even by two instances at once, and stays redeemed after a restart', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'carapace-ledger-')), 'carapace.db');
  const first = await openSqliteStore(path);
  const second = await openSqliteStore(path);
  const { token } = await mint();
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) => redeemExecutionToken(token, options(i % 2 === 0 ? first : second))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results)
    if (r.status === 'rejected') assert.equal((r.reason as TokenError).code, 'E_TOKEN_REPLAYED');
  await first.close();
  await second.close();

  const reopened = await openSqliteStore(path);
  await assert.rejects(
    redeemExecutionToken(token, options(reopened)),
    (e: TokenError) => e.code === 'E_TOKEN_REPLAYED',
  );
  await reopened.close();
});
