// Counts over a sliding window, kept in buckets in memory: what an agent did in the last minute, read in
// constant time on every action. Per gateway instance (see docs/monitor.md for what that means).

export interface Tally {
  actions: number;
  denied: number;
  destructive: number;
}

export class SlidingCounts {
  private readonly buckets = new Map<string, { start: number; tally: Tally }[]>();

  constructor(
    private readonly windowMs: number,
    private readonly bucketMs: number,
  ) {}

  /** Adds to `key`'s bucket at `now` and returns the window's total, this addition included. */
  add(key: string, now: number, add: Tally): Tally {
    const start = now - (now % this.bucketMs);
    const list = (this.buckets.get(key) ?? []).filter((b) => b.start > now - this.windowMs);
    const last = list[list.length - 1];
    if (last && last.start === start) {
      last.tally = sum(last.tally, add);
    } else list.push({ start, tally: { ...add } });
    this.buckets.set(key, list);
    return list.reduce((total, b) => sum(total, b.tally), { actions: 0, denied: 0, destructive: 0 });
  }

  /** Forgets every key that starts with `prefix` (an agent's windows, after an admin closes its breaker). */
  forget(prefix: string): void {
    for (const key of [...this.buckets.keys()]) if (key.startsWith(prefix)) this.buckets.delete(key);
  }

  /** Drops keys with nothing in the window at `now`; returns how many remain. */
  prune(now: number): number {
    for (const [key, list] of this.buckets)
      if (!list.some((b) => b.start > now - this.windowMs)) this.buckets.delete(key);
    return this.buckets.size;
  }
}

function sum(a: Tally, b: Tally): Tally {
  return {
    actions: a.actions + b.actions,
    denied: a.denied + b.denied,
    destructive: a.destructive + b.destructive,
  };
}
