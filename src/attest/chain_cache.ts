// A bounded cache of verified certificate chains, CRLs and signed collateral, shared by every
// appraisal of a process. It holds only what signature checks established (keys, parsed fields,
// validity windows), never a verdict: times, revocation and policy are judged again on every hit.

export interface ChainCacheOptions {
  /** Most entries kept; the least recently used goes first. Default 1024. */
  maxEntries?: number;
}

export interface ChainCacheStats {
  entries: number;
  hits: number;
  misses: number;
}

export class ChainCache {
  private readonly entries = new Map<string, unknown>();
  private readonly maxEntries: number;
  private hits = 0;
  private misses = 0;

  constructor(options: ChainCacheOptions = {}) {
    const max = options.maxEntries ?? 1024;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.maxEntries = max;
  }

  /**
   * The value stored under `key`, or what `verify` returns (stored for next time). `key` must name
   * everything the verified value depends on: the purpose, the pinned roots and the exact bytes.
   * A `verify` that throws stores nothing.
   */
  remember<T>(key: string, verify: () => T): T {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as T;
      this.entries.delete(key);
      this.entries.set(key, value);
      this.hits++;
      return value;
    }
    this.misses++;
    const value = verify();
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  stats(): ChainCacheStats {
    return { entries: this.entries.size, hits: this.hits, misses: this.misses };
  }
}

/** Verifies without caching: the same call shape for callers that pass no cache. */
export function remember<T>(cache: ChainCache | undefined, key: () => string, verify: () => T): T {
  return cache ? cache.remember(key(), verify) : verify();
}
