// Principals read for authentication, kept no longer than their tier's revocation SLA (DESIGN.md §8:
// T5–T7 checked on every call, T3–T4 within 15 s, T1–T2 within 60 s, T0 within 5 min). Admins,
// approvers, auditors and services are read on every call. A change made through this instance
// (disable, revoke, tier, DPoP requirement) clears the cache at once; a change made by another instance
// sharing the store is seen within the SLA of the principal's certified tier, which is never longer than
// that of the tier it acts at. When the store has a change feed (PostgreSQL's LISTEN/NOTIFY), another
// instance's change drops the principal's entries as soon as it is heard (well within 1 s), and while
// the feed is down nothing is cached at all: every call reads the store (fail safe, never stale).

import { tierBand } from '../identity/tiers.js';
import { changeFeedOf, type ChangeFeed, type StoreChange } from '../store/change_feed.js';
import type { Principal, Store } from '../store/store.js';

interface Cached {
  principal: Principal;
  until: number;
}

const MAX_ENTRIES = 10_000;

export class PrincipalCache {
  private readonly byKey = new Map<string, Cached>();
  private readonly byId = new Map<string, Cached>();
  private readonly feed: ChangeFeed | null;
  /**
   * One more on every change heard: a read that began before a change may have read the principal as
   * it was, so what it read is not kept.
   */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** A cap below every tier's SLA (ms); 0 reads the store on every call. Default: the tier's SLA. */
    readonly maxTtlMs: number = Number.POSITIVE_INFINITY,
  ) {
    this.feed = changeFeedOf(store);
    this.feed?.onChange((change) => this.heard(change));
  }

  async byKeyHash(hash: string): Promise<Principal | null> {
    const hit = this.fresh(this.byKey, hash);
    if (hit) return hit;
    const generation = this.generation;
    const principal = await this.store.principalByKeyHash(hash);
    if (principal) this.keep(principal, generation);
    return principal;
  }

  async getById(id: string): Promise<Principal | null> {
    const hit = this.fresh(this.byId, id);
    if (hit) return hit;
    const generation = this.generation;
    const principal = await this.store.getPrincipal(id);
    if (principal) this.keep(principal, generation);
    return principal;
  }

  /** Forgets everything: after any change to a principal made here. */
  clear(): void {
    this.generation++;
    this.byKey.clear();
    this.byId.clear();
  }

  /** Another instance changed a principal (or the feed went down or came back): drop what it affects. */
  private heard(change: StoreChange): void {
    if (change.kind === 'policy') return;
    if (change.kind === 'feed') return this.clear();
    this.generation++;
    const entry = this.byId.get(change.id);
    if (!entry) return;
    this.byId.delete(change.id);
    this.byKey.delete(entry.principal.api_key_hash);
  }

  /** How long a principal may be served from memory. */
  static ttlMs(principal: Principal): number {
    return principal.role === 'agent' ? tierBand(principal.certified_tier).revocationSlaMs : 0;
  }

  private fresh(map: Map<string, Cached>, key: string): Principal | null {
    const hit = map.get(key);
    if (!hit) return null;
    // A feed that is down may be missing a revocation: serve nothing from memory until it is back.
    if (this.feed && !this.feed.healthy()) {
      this.clear();
      return null;
    }
    if (hit.until > this.now()) return { ...hit.principal };
    map.delete(key);
    return null;
  }

  private keep(principal: Principal, generation: number): void {
    const ttl = Math.min(PrincipalCache.ttlMs(principal), this.maxTtlMs);
    if (ttl <= 0 || principal.disabled || principal.revoked_at !== undefined) return;
    if (generation !== this.generation || (this.feed && !this.feed.healthy())) return;
    if (this.byId.size >= MAX_ENTRIES) this.clear();
    const entry = { principal: { ...principal }, until: this.now() + ttl };
    this.byKey.set(principal.api_key_hash, entry);
    this.byId.set(principal.id, entry);
  }
}
