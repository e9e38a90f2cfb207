// Each secret's rpm counted through the gateway store's windowed counters: two limiters over one store
// (two gateway instances sharing it) share the limit; a refused request takes nothing; the minute
// passes; a store that fails refuses. The in-memory limiter (the sealed process's) counts per process.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  SecretRateLimiter,
  secretRateKey,
  StoreSecretRateLimiter,
} from '../../../src/executors/http/index.js';
import { openSqliteStore } from '../../../src/store/sqlite_store.js';

test('two instances over one store share a secret’s rpm; the minute passes; refusals take nothing', async () => {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'carapace-rate-')), 'carapace.db'));
  try {
    const a = new StoreSecretRateLimiter(store);
    const b = new StoreSecretRateLimiter(store);
    const t0 = Date.UTC(2026, 11, 7, 23, 0, 0);
    assert.equal(await a.take('github', 3, t0), true);
    assert.equal(await b.take('github', 3, t0 + 1000), true);
    assert.equal(await a.take('github', 3, t0 + 2000), true);
    assert.equal(await b.take('github', 3, t0 + 3000), false);
    assert.equal(await a.take('github', 3, t0 + 4000), false);
    // Refusals were taken back: three counted, not five.
    assert.equal(await store.sumCounter(secretRateKey('github'), new Date(t0 - 60_000).toISOString()), 3);
    // Another secret has its own limit.
    assert.equal(await b.take('slack', 1, t0 + 4000), true);
    // A minute (and one bucket) later the first uses have left the window.
    assert.equal(await b.take('github', 3, t0 + 67_000), true);
  } finally {
    await store.close();
  }
});

test('concurrent takes never pass the limit together (a burst may be refused whole: early, never late)', async () => {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'carapace-rate-')), 'carapace.db'));
  try {
    const limiters = [new StoreSecretRateLimiter(store), new StoreSecretRateLimiter(store)];
    const now = Date.UTC(2026, 11, 7, 23, 30, 0);
    const taken = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (limiters[i % 2] as StoreSecretRateLimiter).take('github', 5, now),
      ),
    );
    assert.ok(taken.filter(Boolean).length <= 5);
    // What the refused took was given back: the next request is counted against what passed only.
    const passed = taken.filter(Boolean).length;
    assert.equal(await limiters[0]?.take('github', 5, now + 1), passed < 5);
  } finally {
    await store.close();
  }
});

test('a store that fails throws (the executor refuses); the in-memory limiter counts per process', async () => {
  const broken = new StoreSecretRateLimiter({
    incrementCounter: () => Promise.reject(new Error('store down')),
    sumCounter: () => Promise.resolve(0),
  });
  await assert.rejects(broken.take('github', 5, Date.now()));
  const one = new SecretRateLimiter();
  const other = new SecretRateLimiter();
  assert.equal(one.take('github', 1, 0), true);
  assert.equal(one.take('github', 1, 1), false);
  assert.equal(other.take('github', 1, 2), true, 'another process counts on its own');
});
