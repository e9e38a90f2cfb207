// What a store engine shared by several gateway instances tells each of them about changes made by
// the others (PostgreSQL: LISTEN/NOTIFY), so a revocation on one instance is enforced on all within
// a second instead of within a cache's TTL. Optional: an engine without it (SQLite) has no feed, and
// the gateway then relies on its caches' TTLs alone.

import type { Store } from './store.js';

export type StoreChange =
  /** A principal's disabled flag, revocation, tier or DPoP requirement changed. */
  | { kind: 'principal'; id: string }
  /** An instance reloaded its policy. */
  | { kind: 'policy' }
  /**
   * The feed itself went down or came back: changes may have been missed in between, so whatever a
   * listener cached must be dropped on both.
   */
  | { kind: 'feed'; up: boolean };

export type ChangeListener = (change: StoreChange) => void;

export interface ChangeFeed {
  /** Calls `listener` for every change another instance (or this one) committed; returns an unsubscribe. */
  onChange(listener: ChangeListener): () => void;
  /**
   * True while changes are being heard. While false, a listener must not serve anything from a cache
   * that the feed would have invalidated (fail safe: read every call).
   */
  healthy(): boolean;
  /** Tells every instance (this one too) about a change that no table trigger announces. */
  publish(change: Exclude<StoreChange, { kind: 'feed' }>): Promise<void>;
}

/** The store's change feed, when its engine has one. */
export function changeFeedOf(store: Store): ChangeFeed | null {
  const feed = (store as Partial<{ changeFeed: ChangeFeed }>).changeFeed;
  return feed !== undefined && typeof feed.onChange === 'function' ? feed : null;
}
