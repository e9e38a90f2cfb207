// Where audit entries are kept. One interface, so the embedded segment files and (later) PostgreSQL
// are interchangeable: append is durable when it resolves, and open hands back what is durable.

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
  close(): Promise<void>;
}
