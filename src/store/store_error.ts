// The store's one error type: callers (gateway routes, CLI) branch on `code`, never on the message,
// and every engine throws the same code for the same situation.

export type StoreErrorCode =
  /** A unique id, name or key is taken. */
  | 'E_STORE_CONFLICT'
  /** A referenced principal, channel or chunk, or the record to update, does not exist. */
  | 'E_STORE_NOT_FOUND'
  /** An argument is malformed (not in the vocabulary, not an IsoTime, not a safe integer, ...). */
  | 'E_STORE_INVALID'
  /** A stored row does not decode (invalid JSON, unknown enum value, malformed time). */
  | 'E_STORE_CORRUPT'
  /** The database was written by a newer schema than this build knows. */
  | 'E_STORE_SCHEMA'
  /** The database cannot be opened with the settings durability requires. */
  | 'E_STORE_OPEN'
  /** The store was closed. */
  | 'E_STORE_CLOSED'
  /** A shared store's server cannot be reached or dropped the connection (PostgreSQL); retry later. */
  | 'E_STORE_UNAVAILABLE';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** What exactly is wrong and where (table, column, id). */
    readonly detail: string = '',
  ) {
    super(detail ? `${code}: ${message} (${detail})` : `${code}: ${message}`);
    this.name = 'StoreError';
  }
}
