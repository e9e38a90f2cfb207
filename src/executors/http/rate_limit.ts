// Each secret's requests per minute (its policy's `rpm`). In one process, SecretRateLimiter counts over
// a sliding minute in memory. A gateway counts through its store's windowed counters instead
// (StoreSecretRateLimiter), so instances sharing one store (PostgreSQL) share one limit; the sealed
// process has no store and counts in memory, per process.

/** Takes one request for `secretId` at `nowMs`; false (nothing taken) when `rpm` are already used. */
export interface SecretRateGate {
  take(secretId: string, rpm: number, nowMs: number): boolean | Promise<boolean>;
}

export class SecretRateLimiter implements SecretRateGate {
  private readonly used = new Map<string, number[]>();

  take(secretId: string, rpm: number, nowMs: number): boolean {
    const recent = (this.used.get(secretId) ?? []).filter((t) => t > nowMs - 60_000);
    if (recent.length >= rpm) {
      this.used.set(secretId, recent);
      return false;
    }
    recent.push(nowMs);
    this.used.set(secretId, recent);
    return true;
  }
}

/** The part of the gateway's store this needs (src/store/store.ts). */
export interface WindowedCounters {
  incrementCounter(key: string, windowStart: string, by?: number): Promise<number>;
  sumCounter(key: string, since: string): Promise<number>;
}

const MINUTE_MS = 60_000;
/** Counters are kept in 6-second buckets: the minute is counted over 10 to 11 of them. */
const BUCKET_MS = 6_000;

const bucketStart = (ms: number) => new Date(Math.floor(ms / BUCKET_MS) * BUCKET_MS).toISOString();

/** The counter key of a secret's use. */
export const secretRateKey = (secretId: string) => `vault:rpm:${secretId}`;

/**
 * Counts through the store: add one, then read the minute back, so concurrent requests (here or on
 * another instance) can never together pass the limit; over it, the addition is taken back. The minute
 * read starts at the bucket holding now − 60 s, so the limit may bite up to one bucket early, never late.
 * A store that fails throws: the request is refused.
 */
export class StoreSecretRateLimiter implements SecretRateGate {
  constructor(private readonly store: WindowedCounters) {}

  async take(secretId: string, rpm: number, nowMs: number): Promise<boolean> {
    const key = secretRateKey(secretId);
    const start = bucketStart(nowMs);
    await this.store.incrementCounter(key, start, 1);
    const used = await this.store.sumCounter(key, bucketStart(nowMs - MINUTE_MS));
    if (used <= rpm) return true;
    await this.store.incrementCounter(key, start, -1).catch(() => {
      // Left counted: the limit may bite early, never late.
    });
    return false;
  }
}
