// The audit log in PostgreSQL, shared by every gateway instance of a cluster: one table of entries (each
// row the exact canonical line a segment file would hold), and a one-row head (next seq, last hash)
// whose row lock sequences the writers. A batch is sealed inside the transaction that holds that lock,
// after the writer caught up on the entries others appended, so the instances make one sequence, one
// hash chain and one RFC 6962 tree. Rows are append-only (a trigger refuses UPDATE, DELETE, TRUNCATE);
// the verifier, not the trigger, is what detects a row changed by someone who can drop it.

import pg from 'pg';
import { GENESIS_PREV, type SealedEntry } from './entry.js';
import { decodeLine, entryOfLine } from './entry_line.js';
import type { AuditStore, RecoveryReport, SharedBatch } from './store.js';
import type { LogSource } from './verify.js';

export const DEFAULT_AUDIT_SCHEMA = 'public';
/** Rows read per query when the log is read whole (open, verify, export). */
const PAGE_ROWS = 20_000;

export class PgAuditStoreError extends Error {
  constructor(
    readonly code: 'E_AUDIT_CORRUPT' | 'E_AUDIT_CLOSED' | 'E_AUDIT_SCHEMA',
    message: string,
  ) {
    super(message);
    this.name = 'PgAuditStoreError';
  }
}

/** Versioned migrations, applied in order at open; a version once released is never edited. */
export const AUDIT_MIGRATIONS: readonly { version: number; sql: (s: string) => string }[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.audit_entries (
        seq bigint PRIMARY KEY CHECK (seq >= 0),
        hash text NOT NULL,
        kind text NOT NULL,
        line text NOT NULL
      );
      CREATE INDEX audit_entries_kind ON ${s}.audit_entries (kind, seq);
      CREATE TABLE ${s}.audit_head (
        id int PRIMARY KEY CHECK (id = 1),
        next_seq bigint NOT NULL,
        last_hash text NOT NULL
      );
      INSERT INTO ${s}.audit_head VALUES (1, 0, '${GENESIS_PREV}');
      CREATE TABLE ${s}.audit_keys (
        vkey text PRIMARY KEY,
        name text NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now()
      );
      CREATE FUNCTION ${s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only (%)', TG_OP; END $$;
      CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON ${s}.audit_entries
        FOR EACH ROW EXECUTE FUNCTION ${s}.audit_append_only();
      CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON ${s}.audit_entries
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_append_only();`,
  },
];

export interface PgAuditStoreOptions {
  /** A postgres:// URL; the store makes (and ends) its own pool. */
  url?: string;
  /** Or a pool owned by the caller (not ended by close). */
  pool?: pg.Pool;
  /** The PostgreSQL schema the tables live in (created if absent); default `public`. */
  schema?: string;
}

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\0'))
    throw new PgAuditStoreError('E_AUDIT_SCHEMA', `${JSON.stringify(name)} is not a PostgreSQL identifier`);
  return `"${name.replace(/"/g, '""')}"`;
}

export class PgAuditStore implements AuditStore {
  readonly schema: string;
  private readonly s: string;
  private readonly pool: pg.Pool;
  private readonly ownPool: boolean;
  /** The head as this store last saw it: what the next catch-up links to. */
  private readonly head = { nextSeq: 0, prev: GENESIS_PREV };
  private closed = false;

  constructor(options: PgAuditStoreOptions) {
    this.schema = options.schema ?? DEFAULT_AUDIT_SCHEMA;
    this.s = quoteIdent(this.schema);
    if (options.pool) {
      this.pool = options.pool;
      this.ownPool = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: options.url,
        max: 4,
        // A database that is down fails the batch (E_AUDIT_UNAVAILABLE, a DENY) rather than hanging it,
        connectionTimeoutMillis: 5000,
        // a batch that waits too long for the head fails the same way,
        statement_timeout: 30_000,
        // and an instance frozen inside its transaction does not hold the head for ever.
        idle_in_transaction_session_timeout: 10_000,
        application_name: 'carapace-audit',
      });
      this.ownPool = true;
    }
    // An idle client that loses its server must not crash the process: the next query fails instead.
    this.pool.on('error', () => {});
  }

  /** Creates the schema and applies missing migrations, under a transaction-scoped advisory lock. */
  async migrate(): Promise<number> {
    return this.transaction(async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`carapace.audit:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.s}.audit_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${this.s}.audit_migrations`,
      );
      const applied = new Set(rows.map((r) => r.version));
      const known = Math.max(...AUDIT_MIGRATIONS.map((m) => m.version));
      const newer = [...applied].filter((v) => v > known);
      if (newer.length > 0)
        throw new PgAuditStoreError(
          'E_AUDIT_SCHEMA',
          `schema ${this.schema} has audit migration ${Math.max(...newer)}, newer than this gateway knows (${known})`,
        );
      for (const m of AUDIT_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await client.query(m.sql(this.s));
        await client.query(`INSERT INTO ${this.s}.audit_migrations (version) VALUES ($1)`, [m.version]);
      }
      return known;
    });
  }

  async open(onEntry: Parameters<AuditStore['open']>[0]): Promise<RecoveryReport | null> {
    await this.migrate();
    // Transactions commit whole: there is never a torn tail to cut, so never a recovery report.
    await this.readFrom(this.pool, null, onEntry);
    return null;
  }

  /** Records an instance's verifier key, so an export can name every key that signed checkpoints. */
  async registerKey(name: string, vkey: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.audit_keys (vkey, name) VALUES ($1, $2) ON CONFLICT (vkey) DO NOTHING`,
      [vkey, name],
    );
  }

  async keys(): Promise<{ name: string; vkey: string }[]> {
    const { rows } = await this.pool.query<{ name: string; vkey: string }>(
      `SELECT name, vkey FROM ${this.s}.audit_keys ORDER BY first_seen, vkey`,
    );
    return rows;
  }

  /** Single-writer append: the entries must start at the head. */
  async append(entries: readonly SealedEntry[]): Promise<void> {
    const first = entries[0];
    if (!first) return;
    await this.appendShared({
      catchUp: () => {
        throw new PgAuditStoreError('E_AUDIT_CORRUPT', 'another writer appended to a single-writer log');
      },
      seal: () => {
        if (first.entry.seq !== this.head.nextSeq)
          throw new PgAuditStoreError(
            'E_AUDIT_CORRUPT',
            `append of seq ${first.entry.seq}, expected ${this.head.nextSeq}`,
          );
        return [...entries];
      },
    });
  }

  async appendShared(batch: SharedBatch): Promise<readonly SealedEntry[]> {
    if (this.closed) throw new PgAuditStoreError('E_AUDIT_CLOSED', 'the audit store is closed');
    return this.transaction(async (client) => {
      const head = await client.query<{ next_seq: string; last_hash: string }>(
        `SELECT next_seq, last_hash FROM ${this.s}.audit_head WHERE id = 1 FOR UPDATE`,
      );
      const row = head.rows[0];
      if (!row) throw new PgAuditStoreError('E_AUDIT_CORRUPT', `schema ${this.schema}: no audit head row`);
      const headSeq = Number(row.next_seq);
      // Reads are local until this commits: catch-up is remembered only after commit.
      const seen = { nextSeq: this.head.nextSeq, prev: this.head.prev };
      if (headSeq > seen.nextSeq) await this.readFrom(client, headSeq, batch.catchUp, seen);
      if (headSeq !== seen.nextSeq || row.last_hash !== seen.prev)
        throw new PgAuditStoreError(
          'E_AUDIT_CORRUPT',
          `the head says seq ${headSeq} after ${row.last_hash}, but the entries end at ${seen.nextSeq} after ${seen.prev}`,
        );
      // Entries handed to catchUp are durable (others committed them) whatever becomes of this batch.
      this.head.nextSeq = seen.nextSeq;
      this.head.prev = seen.prev;
      const sealed = batch.seal();
      const last = sealed[sealed.length - 1];
      if (!last) return sealed;
      sealed.forEach((s, i) => {
        if (s.entry.seq !== headSeq + i || s.entry.prev !== (i === 0 ? seen.prev : sealed[i - 1]?.entry.hash))
          throw new PgAuditStoreError('E_AUDIT_CORRUPT', `entry ${s.entry.seq} is not sealed at the head`);
      });
      await client.query(
        `INSERT INTO ${this.s}.audit_entries (seq, hash, kind, line)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
        [
          sealed.map((s) => s.entry.seq),
          sealed.map((s) => s.entry.hash),
          sealed.map((s) => s.entry.kind),
          sealed.map((s) => s.line),
        ],
      );
      await client.query(`UPDATE ${this.s}.audit_head SET next_seq = $1, last_hash = $2 WHERE id = 1`, [
        last.entry.seq + 1,
        last.entry.hash,
      ]);
      return sealed;
    }).then((sealed) => {
      const last = sealed[sealed.length - 1];
      if (last) {
        this.head.nextSeq = last.entry.seq + 1;
        this.head.prev = last.entry.hash;
      }
      return sealed;
    });
  }

  /**
   * Reads entries from seen.nextSeq up to `to` (to the end when null) in pages, checking each line, its seq and
   * its link to the one before, and hands each to onEntry. `seen` is advanced as entries are taken.
   */
  private async readFrom(
    db: pg.Pool | pg.PoolClient,
    to: number | null,
    onEntry: Parameters<AuditStore['open']>[0],
    seen: { nextSeq: number; prev: string } = this.head,
  ): Promise<void> {
    for (;;) {
      const rows = await this.page(db, seen.nextSeq, to);
      for (const row of rows) {
        const decoded = decodeLine(Buffer.from(row.line, 'utf8'));
        const where = `schema ${this.schema}, row seq ${row.seq}`;
        if (typeof decoded === 'string')
          throw new PgAuditStoreError('E_AUDIT_CORRUPT', `${where}: ${decoded}`);
        if (decoded.seq !== seen.nextSeq || Number(row.seq) !== seen.nextSeq)
          throw new PgAuditStoreError(
            'E_AUDIT_CORRUPT',
            `${where}: seq is ${decoded.seq}, expected ${seen.nextSeq}`,
          );
        if (decoded.prev !== seen.prev)
          throw new PgAuditStoreError(
            'E_AUDIT_CORRUPT',
            `${where}: prev is ${decoded.prev}, but entry ${seen.nextSeq - 1} has hash ${seen.prev}`,
          );
        onEntry(entryOfLine(decoded), decoded.leafHash);
        seen.nextSeq++;
        seen.prev = decoded.hash;
      }
      if (rows.length < PAGE_ROWS || (to !== null && seen.nextSeq >= to)) break;
    }
  }

  private async page(
    db: pg.Pool | pg.PoolClient,
    from: number,
    to: number | null,
  ): Promise<{ seq: string; line: string }[]> {
    const { rows } = await db.query<{ seq: string; line: string }>(
      to === null
        ? `SELECT seq, line FROM ${this.s}.audit_entries WHERE seq >= $1 ORDER BY seq LIMIT ${PAGE_ROWS}`
        : `SELECT seq, line FROM ${this.s}.audit_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT ${PAGE_ROWS}`,
      to === null ? [from] : [from, to],
    );
    return rows;
  }

  /**
   * The stored lines as verifier sources, one per page, unchecked (the verifier checks them): what
   * `carapace audit verify` and `audit export` read from a cluster store. Reads up to the head
   * committed when it starts.
   */
  async readSources(): Promise<LogSource[]> {
    const sources: LogSource[] = [];
    let from = 0;
    for (;;) {
      const { rows } = await this.pool.query<{ seq: string; line: string }>(
        `SELECT seq, line FROM ${this.s}.audit_entries WHERE seq >= $1 ORDER BY seq LIMIT ${PAGE_ROWS}`,
        [from],
      );
      const last = rows[rows.length - 1];
      if (!last) break;
      sources.push({
        name: `postgres schema ${this.schema} seq ${from}..${last.seq}`,
        bytes: Buffer.from(rows.map((r) => `${r.line}\n`).join(''), 'utf8'),
        start: 0,
      });
      from = Number(last.seq) + 1;
      if (rows.length < PAGE_ROWS) break;
    }
    return sources;
  }

  /** Whether the database answers (a readiness probe: one round trip on a pooled connection). */
  async reachable(): Promise<boolean> {
    if (this.closed) return false;
    await this.pool.query('SELECT 1');
    return true;
  }

  /** Lines of the entries from seq `from` on, at most `limit`, in order. */
  async linesFrom(from: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ line: string }>(
      `SELECT line FROM ${this.s}.audit_entries WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [from, limit],
    );
    return rows.map((r) => r.line);
  }

  /** Lines of the entries with these seqs (those that exist). */
  async linesAt(seqs: readonly number[]): Promise<Map<number, string>> {
    const { rows } = await this.pool.query<{ seq: string; line: string }>(
      `SELECT seq, line FROM ${this.s}.audit_entries WHERE seq = ANY($1::bigint[])`,
      [seqs],
    );
    return new Map(rows.map((r) => [Number(r.seq), r.line]));
  }

  /** The committed size of the log. */
  async headSize(): Promise<number> {
    const { rows } = await this.pool.query<{ next_seq: string }>(
      `SELECT next_seq FROM ${this.s}.audit_head WHERE id = 1`,
    );
    return Number(rows[0]?.next_seq ?? 0);
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A connection lost while checked out emits 'error' on the client (the pool listens only while it
    // is idle): without a listener that would be an uncaught exception; with one, the query fails.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownPool) await this.pool.end();
  }
}
