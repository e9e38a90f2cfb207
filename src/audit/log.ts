// The audit log: one append-only sequence of entries for both layers, hash-chained, each a leaf of an
// RFC 6962 tree, with signed checkpoints emitted every N entries or T ms and recorded in the log itself.
// Appends are group-committed: whatever queued while the previous batch was being made durable goes
// out in the next single write + fdatasync, and each append resolves only once its entry is durable.
// On a shared store (PostgreSQL, several gateway instances) an entry is sealed only inside the store's
// transaction, at the head of the one log, after catching up on what the other instances appended.

import type { SigningKey } from '../crypto/ed25519_key.js';
import { signCheckpoint } from './checkpoint.js';
import { type AuditEntry, GENESIS_PREV, type SealedEntry, sealEntry } from './entry.js';
import { MerkleTree } from './merkle.js';
import type { AuditStore, RecoveryReport } from './store.js';

export interface AuditLogOptions {
  store: AuditStore;
  /** Signs checkpoints; its name is the log's origin. */
  key: SigningKey;
  /** Emit a checkpoint once this many entries are durable and uncovered. */
  checkpointEvery?: number;
  /** …or once the oldest uncovered durable entry is this old. */
  checkpointIntervalMs?: number;
  clock?: () => Date;
  /**
   * After the store failed, how long appends are refused before the log tries again to reopen the store
   * (default 1000 ms): a fault that clears (a full disk freed, a database back) ends the outage.
   */
  retryMs?: number;
}

export interface CheckpointPayload {
  origin: string;
  size: number;
  /** Base64 root hash of the first `size` entries. */
  root: string;
  /** The signed note (C2SP tlog-checkpoint). */
  note: string;
}

export class AuditLogError extends Error {
  constructor(
    readonly code: 'E_AUDIT_UNAVAILABLE' | 'E_AUDIT_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'AuditLogError';
  }
}

interface Pending {
  /** Sealed at append on an own store; on a shared store sealed in the store's transaction. */
  sealed: SealedEntry | null;
  ts: string;
  kind: string;
  payload: unknown;
  resolve: (entry: AuditEntry) => void;
  reject: (error: Error) => void;
}

export class AuditLog {
  #tree = new MerkleTree();
  private nextSeq = 0;
  private lastHash = GENESIS_PREV;
  private durable = 0;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  /** When the last attempt to reopen a failed store ended (epoch ms), and the attempt under way. */
  private lastRetry = 0;
  private reopening: Promise<void> | null = null;
  private closed = false;
  private latest: (CheckpointPayload & { seq: number }) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly checkpointEvery: number;
  private readonly clock: () => Date;
  /** The store is shared with other logs: it sequences (appendShared). */
  private readonly shared: boolean;
  /** Shared store: a checkpoint is waiting for its seq, so no second one is queued. */
  private checkpointQueued = false;
  /** Told of each entry once it is durable (the witness exporter); a listener that throws is ignored. */
  private listeners: ((entry: AuditEntry) => void)[] = [];

  private constructor(private readonly options: AuditLogOptions) {
    this.checkpointEvery = options.checkpointEvery ?? 1000;
    this.clock = options.clock ?? (() => new Date());
    this.shared = typeof options.store.appendShared === 'function';
  }

  /** Takes a durable entry into the tree and the head (at open, and on a shared store). */
  private adopt(entry: AuditEntry, leafHash: Buffer): void {
    this.tree.append(leafHash);
    this.nextSeq = entry.seq + 1;
    this.lastHash = entry.hash;
    if (entry.kind === 'checkpoint')
      this.latest = { ...(entry.payload as CheckpointPayload), seq: entry.seq };
  }

  /** Opens the store, rebuilds the tree, and records (durably) any tail the store had to cut. */
  static async open(options: AuditLogOptions): Promise<{ log: AuditLog; recovery: RecoveryReport | null }> {
    const log = new AuditLog(options);
    const recovery = await log.readStore();
    if (recovery) {
      await log.append('recovery', recovery);
      await log.checkpoint();
    } else if (!log.shared) {
      // Entries a crash left unsigned are signed now, not a second later: the log verifies from the
      // moment it is open. A signer that fails here leaves that to the timer. (A shared log's other
      // instances sign what they wrote.)
      await log.checkpoint().catch(() => {});
    }
    const interval = options.checkpointIntervalMs ?? 1000;
    log.timer = setInterval(() => void log.checkpointIfDue(true).catch(() => {}), interval);
    log.timer.unref();
    return { log, recovery };
  }

  /** Reads what the store holds durably into a fresh tree, sequence and chain head. */
  private async readStore(): Promise<RecoveryReport | null> {
    this.#tree = new MerkleTree();
    this.nextSeq = 0;
    this.lastHash = GENESIS_PREV;
    this.latest = null;
    const recovery = await this.options.store.open((entry, leafHash) => this.adopt(entry, leafHash));
    this.durable = this.nextSeq;
    return recovery;
  }

  /**
   * After a failed append: closes the store and opens it again, so the sequence, the chain and the tree
   * are what is durable (a torn tail cut and recorded as `recovery`), then records `audit.resumed`. At
   * most one attempt per retryMs.
   */
  private reopen(): Promise<void> {
    if (this.reopening) return this.reopening;
    const failure = this.failure as Error;
    if (Date.now() - this.lastRetry < (this.options.retryMs ?? 1000))
      return Promise.reject(
        new AuditLogError('E_AUDIT_UNAVAILABLE', `the audit log is unavailable: ${failure.message}`),
      );
    const attempt = async (): Promise<void> => {
      let recovery: RecoveryReport | null;
      try {
        await this.options.store.close().catch(() => {});
        recovery = await this.readStore();
      } catch (e) {
        throw new AuditLogError(
          'E_AUDIT_UNAVAILABLE',
          `the audit log is unavailable: ${failure.message}; reopening failed: ${(e as Error).message}`,
        );
      } finally {
        this.lastRetry = Date.now();
        this.reopening = null;
      }
      this.failure = null;
      if (recovery) await this.append('recovery', recovery);
      // Proves the store takes appends again (else the failure is back and this rejects), and records
      // that appends were refused until now, and why.
      await this.append('audit.resumed', { failure: failure.message });
    };
    this.reopening = attempt();
    return this.reopening;
  }

  /** The tree over every sealed entry (durable or queued). */
  get tree(): MerkleTree {
    return this.#tree;
  }
  /** True while the store is failing and appends are refused. */
  get failing(): boolean {
    return this.failure !== null;
  }

  /**
   * Whether appends are accepted; while the store is failing, first tries to reopen it (at most once
   * per retryMs), so a readiness probe ends an outage even when no request arrives to append. A store
   * behind a network (the cluster's PostgreSQL) must also answer now.
   */
  async ready(): Promise<boolean> {
    if (this.closed) return false;
    if (this.failure || this.reopening) await this.reopen().catch(() => {});
    if (this.failure !== null) return false;
    return this.options.store.reachable ? await this.options.store.reachable().catch(() => false) : true;
  }

  /** Where the entries are kept (a PgAuditStore when the log is a cluster's). */
  get store(): AuditStore {
    return this.options.store;
  }
  get origin(): string {
    return this.options.key.name;
  }
  /** Entries sealed so far (durable or queued; on a shared store, the head this log last saw). */
  get size(): number {
    return this.nextSeq;
  }
  /** Entries known to be durable. */
  get durableSize(): number {
    return this.durable;
  }
  get latestCheckpoint(): (CheckpointPayload & { seq: number }) | null {
    return this.latest;
  }

  /** Calls `listener` with every entry this log makes durable from now on (not those read at open). */
  onDurable(listener: (entry: AuditEntry) => void): void {
    this.listeners.push(listener);
  }

  private tell(entry: AuditEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // an observer's failure is its own; the entry is durable either way
      }
    }
  }

  /** Appends one entry; resolves when it is durable. Fails closed once the store has failed. */
  append(kind: string, payload: unknown): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new AuditLogError('E_AUDIT_CLOSED', 'the audit log is closed'));
    // The store failed: the sequence and the tree may be past what is durable. Nothing is appended
    // until the store has been read again (see reopen). A shared store never fails the log this way.
    if (this.failure || this.reopening) return this.reopen().then(() => this.append(kind, payload));
    const ts = this.clock().toISOString();
    let sealed: SealedEntry;
    try {
      sealed = sealEntry(this.nextSeq, ts, kind, payload, this.lastHash);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.shared) {
      // Checked above (kind, size, JSON); sealed again at the head of the shared log, in the store.
      const canonical = sealed.entry.payload;
      return new Promise((resolve, reject) => {
        this.pending.push({ sealed: null, ts, kind, payload: canonical, resolve, reject });
        this.flushing ??= this.flushShared();
      });
    }
    this.nextSeq++;
    this.lastHash = sealed.entry.hash;
    this.#tree.append(sealed.leafHash);
    return new Promise((resolve, reject) => {
      this.pending.push({ sealed, ts, kind, payload, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Group commit on a shared store: one transaction per batch, which catches the tree up on the other
   * instances' entries, then seals the batch at the head. A failed transaction fails only its batch:
   * nothing of it entered the tree, so appends resume when the database is back.
   */
  private async flushShared(): Promise<void> {
    const store = this.options.store as Required<AuditStore>;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      let sealed: readonly SealedEntry[];
      try {
        sealed = await store.appendShared({
          catchUp: (entry, leafHash) => this.adopt(entry, leafHash),
          seal: () => {
            let seq = this.nextSeq;
            let prev = this.lastHash;
            return batch.map((p) => {
              const s = sealEntry(seq++, p.ts, p.kind, p.payload, prev);
              prev = s.entry.hash;
              return s;
            });
          },
        });
      } catch (e) {
        this.durable = this.nextSeq;
        for (const p of batch) p.reject(new AuditLogError('E_AUDIT_UNAVAILABLE', (e as Error).message));
        continue;
      }
      for (const s of sealed) this.adopt(s.entry, s.leafHash);
      this.durable = this.nextSeq;
      batch.forEach((p, i) => p.resolve((sealed[i] as SealedEntry).entry));
      for (const s of sealed) this.tell(s.entry);
      await this.checkpointIfDue(false);
    }
    this.flushing = null;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.options.store.append(batch.map((p) => p.sealed as SealedEntry));
      } catch (e) {
        // Sequence numbers and the tree have moved past what is durable: nothing more may be appended.
        this.failure = e as Error;
        for (const p of [...batch, ...this.pending.splice(0)])
          p.reject(new AuditLogError('E_AUDIT_UNAVAILABLE', (e as Error).message));
        break;
      }
      this.durable += batch.length;
      for (const p of batch) p.resolve((p.sealed as SealedEntry).entry);
      for (const p of batch) this.tell((p.sealed as SealedEntry).entry);
      await this.checkpointIfDue(false);
    }
    this.flushing = null;
  }

  /** Queues a checkpoint when N entries, or (on the timer) any entry, are durable but uncovered. */
  private async checkpointIfDue(onTimer: boolean): Promise<void> {
    const coveredThrough = this.latest ? this.latest.seq + 1 : 0; // the checkpoint entry itself needs no cover
    const uncovered = this.durable - coveredThrough;
    if (uncovered <= 0 || this.failure || this.closed || this.checkpointQueued) return;
    if (uncovered >= this.checkpointEvery || onTimer) void this.checkpoint().catch(() => {});
  }

  /** Signs a checkpoint over every durable entry and records it; resolves when it is durable. */
  async checkpoint(): Promise<(CheckpointPayload & { seq: number }) | null> {
    const size = this.durable;
    if (
      size === 0 ||
      (this.latest && this.latest.size === size) ||
      (this.latest && this.latest.seq + 1 === size)
    )
      return this.latest;
    const root = this.#tree.root(size);
    const note = signCheckpoint({ origin: this.origin, size, rootHash: root }, this.options.key);
    const payload: CheckpointPayload = { origin: this.origin, size, root: root.toString('base64'), note };
    if (!this.shared) {
      this.latest = { ...payload, seq: this.nextSeq };
      const entry = await this.append('checkpoint', payload);
      return { ...payload, seq: entry.seq };
    }
    // Shared: its seq is known once sealed, when adopt() makes it the latest (unless another instance's
    // checkpoint is sealed after it). Another instance may sign nearly the same size: both verify.
    this.checkpointQueued = true;
    try {
      const entry = await this.append('checkpoint', payload);
      return { ...payload, seq: entry.seq };
    } finally {
      this.checkpointQueued = false;
    }
  }

  /** Waits for queued entries, records a final checkpoint, and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.reopening?.catch(() => {});
    await this.flushing;
    // A signer that fails now costs the final checkpoint, never the entries or the store's closing.
    if (!this.failure) await this.checkpoint().catch(() => {});
    await this.flushing;
    this.closed = true;
    await this.options.store.close();
  }
}
