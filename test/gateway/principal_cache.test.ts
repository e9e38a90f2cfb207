// The principal cache with a change feed (cluster mode): a change another instance announces drops
// the principal at once, a read that raced a change is not kept, and while the feed is down nothing
// is served from memory (every call reads the store). Without a feed, the tier's TTL alone applies.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChangeFeed, ChangeListener, StoreChange } from '../../src/store/change_feed.js';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import type { Store } from '../../src/store/store.js';
import { PrincipalCache } from '../../src/gateway/principal_cache.js';
import { keyHash, principal } from '../store/contract.js';

class FakeFeed implements ChangeFeed {
  up = true;
  private readonly listeners = new Set<ChangeListener>();
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  healthy(): boolean {
    return this.up;
  }
  async publish(change: Exclude<StoreChange, { kind: 'feed' }>): Promise<void> {
    this.emit(change);
  }
  emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}

/** A SQLite store that counts principal reads, with `feed` as its change feed (when given). */
async function countingStore(feed: FakeFeed | null): Promise<{ store: Store; reads: () => number }> {
  const inner = await openSqliteStore(':memory:');
  let reads = 0;
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      if (name === 'changeFeed') return feed ?? undefined;
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'principalByKeyHash' || name === 'getPrincipal') reads++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  await store.createPrincipal(principal('agent-a'));
  return { store, reads: () => reads };
}

const hash = keyHash('key-agent-a');

test('without a feed, a T0 agent is served from memory within its TTL', async () => {
  const { store, reads } = await countingStore(null);
  const cache = new PrincipalCache(store, () => 0);
  await cache.byKeyHash(hash);
  await cache.byKeyHash(hash);
  assert.equal(reads(), 1);
});

test('a change heard on the feed drops the principal: the next call reads the store and sees it', async () => {
  const feed = new FakeFeed();
  const { store, reads } = await countingStore(feed);
  const cache = new PrincipalCache(store, () => 0);
  await cache.byKeyHash(hash);
  await store.revokePrincipal('agent-a', '2025-01-31T03:14:01.000Z');
  assert.equal(
    (await cache.byKeyHash(hash))?.revoked_at,
    undefined,
    'within its TTL, before the feed speaks',
  );
  feed.emit({ kind: 'principal', id: 'agent-a' });
  assert.equal((await cache.byKeyHash(hash))?.revoked_at, '2025-01-31T03:14:01.000Z');
  assert.equal(reads(), 2);
});

test('a read that began before a change was heard is not kept', async () => {
  const feed = new FakeFeed();
  const { store, reads } = await countingStore(feed);
  const cache = new PrincipalCache(store, () => 0);
  const pending = cache.byKeyHash(hash);
  feed.emit({ kind: 'principal', id: 'agent-a' });
  await pending;
  await cache.byKeyHash(hash);
  assert.equal(reads(), 2);
});

test('while the feed is down nothing is served from memory, and caching resumes when it is back', async () => {
  const feed = new FakeFeed();
  const { store, reads } = await countingStore(feed);
  const cache = new PrincipalCache(store, () => 0);
  await cache.byKeyHash(hash);
  feed.up = false;
  feed.emit({ kind: 'feed', up: false });
  await cache.byKeyHash(hash);
  await cache.getById('agent-a');
  await cache.byKeyHash(hash);
  assert.equal(reads(), 4, 'every call read the store');
  feed.up = true;
  feed.emit({ kind: 'feed', up: true });
  await cache.byKeyHash(hash);
  await cache.byKeyHash(hash);
  assert.equal(reads(), 5);
});
