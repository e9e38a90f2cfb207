// The PostgreSQL change feed: one dedicated connection LISTENing on the change channel, so each
// instance hears what the others committed (a trigger announces principal changes; publish() the
// rest). The connection is pinged every second; when it drops or stops answering the feed reports
// itself unhealthy (listeners stop caching) and reconnects with backoff until it is back.

import pg from 'pg';
import type { ChangeFeed, ChangeListener, StoreChange } from './change_feed.js';
import { PG_CHANGE_CHANNEL } from './pg_migrations.js';

/** How often the LISTEN connection is probed, and how long a probe may take before it counts as down. */
export const FEED_PING_MS = 1000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** A notification's payload, checked: anything else on the channel (or another schema's) is ignored. */
export function parseChangePayload(payload: string | undefined, schema: string): StoreChange | null {
  if (payload === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v['schema'] !== schema) return null;
  if (v['kind'] === 'principal' && typeof v['id'] === 'string') return { kind: 'principal', id: v['id'] };
  if (v['kind'] === 'policy') return { kind: 'policy' };
  return null;
}

export class PgChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private client: pg.Client | null = null;
  private up = false;
  private stopped = false;
  private backoff = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
    /** Where publish() sends its NOTIFY (any connection will do). */
    private readonly pool: pg.Pool,
  ) {}

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  healthy(): boolean {
    return this.up;
  }

  async publish(change: Exclude<StoreChange, { kind: 'feed' }>): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [
      PG_CHANGE_CHANNEL,
      JSON.stringify({ schema: this.schema, ...change }),
    ]);
  }

  /** Connects and LISTENs; resolves once listening (or once the first attempt failed: it keeps trying). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
    this.pingTimer = setInterval(() => void this.ping(), FEED_PING_MS);
    this.pingTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    this.setUp(false, false);
    await client?.end().catch(() => {});
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the others still hear the change.
      }
    }
  }

  private setUp(up: boolean, announce = true): void {
    if (this.up === up) return;
    this.up = up;
    if (announce) this.emit({ kind: 'feed', up });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.config);
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    client.on('notification', (message) => {
      if (message.channel !== PG_CHANGE_CHANNEL) return;
      const change = parseChangePayload(message.payload, this.schema);
      if (change) this.emit(change);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANGE_CHANNEL}`);
      if (this.client !== client || this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.backoff = RECONNECT_MIN_MS;
      this.setUp(true);
    } catch {
      this.dropped(client);
    }
  }

  /** The connection failed or closed: unhealthy at once, and a new one is tried after the backoff. */
  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.setUp(false);
    client.end().catch(() => {});
    if (this.stopped || this.reconnectTimer) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, wait);
    this.reconnectTimer.unref();
  }

  /** A LISTEN connection can hang without an error (a partition): one that does not answer is dropped. */
  private async ping(): Promise<void> {
    const client = this.client;
    if (!client || !this.up) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), FEED_PING_MS);
    });
    const answer = client.query('SELECT 1').then(
      () => 'ok' as const,
      () => 'error' as const,
    );
    const outcome = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    if (outcome !== 'ok') this.dropped(client);
  }
}
