// Where audit entries are kept. One interface, so the embedded segment files and PostgreSQL are
// interchangeable: append is durable when it resolves, and open hands back what is durable. A store that
// several logs (gateway instances) write to also sequences: it assigns seq and prev inside its own
// transaction, so the instances make one log (appendShared).

import type { AuditEntry, SealedEntry } from './entry.js';

/** What open() found at the end of the log and cut, to be recorded as a `recovery` entry. */
export interface RecoveryReport {
  segment: string;
  /** Byte offset in the segment where the cut began. */
  offset: number;
  bytes_cut: number;
  /** Complete lines that were cut (a torn last line is not counted). */
  lines_cut: number;
  reason: string;
  /** The seq the next entry gets: nothing at or after it had been acknowledged. */
  next_seq: number;
}

export interface AuditStore {
  /**
   * Reads every durable entry in order (calling onEntry for each), cutting a torn or corrupt tail. May be
   * called again after close: the log reopens its store this way after a failed append.
   */
  open(onEntry: (entry: AuditEntry, leafHash: Buffer) => void): Promise<RecoveryReport | null>;
  /** Appends entries in order; resolves once they are durable. */
  append(entries: readonly SealedEntry[]): Promise<void>;
  /**
   * Present on a store that several logs share. In one transaction, under the store's lock on the head
   * of the log: hands every entry other writers made durable since this log last saw the head to
   * `catchUp` (in order), then calls `seal` once to seal the batch at the head, writes it, and commits.
   * Resolves with the sealed entries once committed; when it rejects, nothing of the batch was sealed
   * into the log (entries handed to catchUp were durable before and stay so).
   */
  appendShared?(batch: SharedBatch): Promise<readonly SealedEntry[]>;
  /**
   * Present on a store behind a network (a database): whether it answers now. A shared store fails
   * only the batch whose transaction failed, so the log has no failure to report while the database is
   * down and idle; readiness asks this instead.
   */
  reachable?(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SharedBatch {
  catchUp(entry: AuditEntry, leafHash: Buffer): void;
  seal(): SealedEntry[];
}
