// What the console's routes share beside the gateway context: the audit log as read from its files, a
// feed that notices when it grows, the open event streams, recent chunk texts, and the 03:14 scenario
// runner when the gateway runs with a data hall. Made once per app by buildGateway. A gateway whose log
// is a cluster's (PostgreSQL) reads it from there, so the console shows every instance's entries.

import type { AuditLog } from '../audit/log.js';
import { segmentsDir } from '../audit/log_files.js';
import { PgAuditStore } from '../audit/pg_audit_store.js';
import type { DataHall } from '../executors/netns/index.js';
import { AuditReader } from './audit_reader.js';
import { PgAuditReader } from './pg_audit_reader.js';
import { ChunkTexts } from './chunk_texts.js';
import { SseHub } from './sse.js';

export interface ConsoleOptions {
  /** The gateway's data directory: its audit log is read from `<dataDir>/audit/segments`. */
  dataDir: string;
  /** The data hall the gateway's executor acts on; without one the Before/After page offers nothing. */
  hall?: DataHall | null;
  /** How often the feed looks for new durable entries while someone listens (default 200 ms). */
  feedIntervalMs?: number;
}

/** Looks for new entries while anyone listens, and tells each listener when the log grew. */
export class AuditFeed {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly reader: AuditReader,
    private readonly intervalMs: number,
  ) {}

  /** Calls `onGrow` after each refresh that found new entries; returns the unsubscribe function. */
  subscribe(onGrow: () => void): () => void {
    this.listeners.add(onGrow);
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
    return () => {
      this.listeners.delete(onGrow);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private async poll(): Promise<void> {
    const before = this.reader.size;
    // A read error (a file being rotated) is retried on the next tick; the stream does not end for it.
    const after = await this.reader.refresh().catch(() => before);
    if (after > before) for (const listener of [...this.listeners]) listener();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}

export interface ConsoleContext {
  dataDir: string;
  reader: AuditReader;
  /** The cluster's shared log, when the gateway writes to one; null for the data directory's files. */
  cluster: PgAuditStore | null;
  feed: AuditFeed;
  streams: SseHub;
  chunkTexts: ChunkTexts;
  hall: DataHall | null;
}

export function createConsoleContext(options: ConsoleOptions, audit?: AuditLog): ConsoleContext {
  const cluster = audit?.store instanceof PgAuditStore ? audit.store : null;
  const reader = cluster ? new PgAuditReader(cluster) : new AuditReader(segmentsDir(options.dataDir));
  return {
    dataDir: options.dataDir,
    reader,
    cluster,
    feed: new AuditFeed(reader, options.feedIntervalMs ?? 200),
    streams: new SseHub(),
    chunkTexts: new ChunkTexts(),
    hall: options.hall ?? null,
  };
}
