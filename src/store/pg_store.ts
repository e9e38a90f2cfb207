// The shared store engine: PostgreSQL, for several gateway instances acting as one. Every atomic
// operation is a single statement (INSERT … ON CONFLICT … RETURNING, a conditional UPDATE) or a
// transaction that locks the row it decides on (SELECT … FOR UPDATE), so the semantics are those of
// sqlite_store.ts across connections and instances. Inputs are checked and rows decoded by the same
// engine-neutral modules as SQLite. Migrations (pg_migrations.ts) are applied at open under a
// transaction-scoped advisory lock, so instances starting together do not race. An optional schema
// (search_path) isolates deployments and tests sharing one database. Changes to principals are
// announced on LISTEN/NOTIFY (pg_change_feed.ts).

import pg from 'pg';
import {
  checkApiKeyHash,
  checkBoolean,
  checkChannel,
  checkChunk,
  checkIdentifier,
  checkIdentifiers,
  checkIsoTime,
  checkNewClientRun,
  checkNewPrincipal,
  checkNewReview,
  checkReviewDecision,
  checkReviewFilter,
  checkSafeInteger,
  checkStateValue,
  checkTier,
} from './check_input.js';
import type { ChangeFeed } from './change_feed.js';
import {
  decodeChannel,
  decodeChunk,
  decodeClientRun,
  decodePrincipal,
  decodeReview,
  decodeStateRecord,
} from './decode_row.js';
import { PgChangeFeed } from './pg_change_feed.js';
import { PG_LATEST_SCHEMA_VERSION, PG_MIGRATIONS, PG_MIGRATIONS_TABLE } from './pg_migrations.js';
import { ReadCache } from './read_cache.js';
import { nextReviewState } from './review_decision.js';
import type {
  Channel,
  Chunk,
  ClientRun,
  ClientRunCloseResult,
  IsoTime,
  JsonObject,
  NewClientRun,
  NewPrincipal,
  NewReview,
  Principal,
  PutChunkResult,
  Review,
  ReviewDecision,
  ReviewDecisionResult,
  ReviewFilter,
  StateRecord,
  Store,
  TrustTier,
} from './store.js';
import { StoreError } from './store_error.js';

type Row = Record<string, unknown>;
type Queryable = Pick<pg.PoolClient, 'query'>;

/** How long a connection may take to open, and a statement to run, before the call fails. */
export const PG_CONNECT_TIMEOUT_MS = 5000;
export const PG_STATEMENT_TIMEOUT_MS = 10_000;

/** A schema name this engine accepts: a plain lowercase SQL identifier, never quoted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PgStoreOptions {
  /** postgres://user[:password]@host[:port]/database[?schema=name] */
  url: string;
  /** The schema holding the tables (created if absent); overrides `?schema=` in the URL. Default `public`. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Whether to LISTEN for other instances' changes (default true). */
  listen?: boolean;
}

export interface PgStore extends Store {
  readonly schema: string;
  readonly changeFeed: ChangeFeed;
  /** The schema version in force, for operators and tests. */
  schemaVersion(): Promise<number>;
}

/** Is `url` one this engine opens (postgres:// or postgresql://)? */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL without its schema parameter, and the schema it names (or null). */
export function parsePostgresUrl(url: string): { connectionString: string; schema: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError('E_STORE_OPEN', 'cannot open the PostgreSQL store', 'the URL does not parse');
  }
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/** A URL safe to log or report: no password. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable)';
  }
}

/** Counts come back as int8, which pg gives as text: read them as numbers while they are safe. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8)
      return (text: string) => {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : text;
      };
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

function notFound(detail: string): StoreError {
  return new StoreError('E_STORE_NOT_FOUND', 'referenced record does not exist', detail);
}

function pgCode(e: unknown): string | undefined {
  return e instanceof pg.DatabaseError ? e.code : undefined;
}

/** The constraint a unique violation names, or null when `e` is not one. */
function uniqueViolation(e: unknown): string | null {
  if (pgCode(e) !== '23505') return null;
  return (e as pg.DatabaseError).constraint ?? 'unique';
}

/** SQLSTATEs that mean the server failed or timed out the call (connection, resources, cancel, shutdown). */
const UNAVAILABLE_STATES = /^(08|53|57014|57P0[1-4])/;

/**
 * A failure to reach the server or a dropped connection, as E_STORE_UNAVAILABLE (the gateway answers
 * 503 and decides nothing); anything else is returned as it is.
 */
function asUnavailable(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const code = pgCode(e);
  if (code !== undefined && !UNAVAILABLE_STATES.test(code)) return e;
  return new StoreError(
    'E_STORE_UNAVAILABLE',
    'the PostgreSQL store is unavailable',
    e instanceof Error ? e.message : String(e),
  );
}

function quoteIdent(name: string): string {
  return `"${name}"`;
}

async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  // A connection lost mid-migration fails the opening instead of raising an uncaught 'error'.
  const onError = () => {};
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    // One migrator per schema at a time, whichever instance gets there first; the others wait, then
    // find every version applied.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`carapace.migrate:${schema}`]);
    // Created only when absent: a deployment's role may own its schema without CREATE on the database.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(PG_MIGRATIONS_TABLE);
    const { rows } = await client.query<Row>('SELECT MAX(version) AS version FROM schema_migrations');
    const current = typeof rows[0]?.['version'] === 'number' ? rows[0]['version'] : 0;
    if (current > PG_LATEST_SCHEMA_VERSION)
      throw new StoreError(
        'E_STORE_SCHEMA',
        'database schema is newer than this build',
        `schema_migrations ${current}, this build knows up to ${PG_LATEST_SCHEMA_VERSION}`,
      );
    for (const migration of PG_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.off('error', onError);
    client.release();
  }
}

/** Opens (creating the schema and migrating if needed) the PostgreSQL store at `options.url`. */
export async function openPgStore(options: PgStoreOptions | string): Promise<PgStore> {
  const o = typeof options === 'string' ? { url: options } : options;
  const { connectionString, schema: fromUrl } = parsePostgresUrl(o.url);
  const schema = o.schema ?? fromUrl ?? 'public';
  if (!SCHEMA_NAME.test(schema))
    throw new StoreError(
      'E_STORE_OPEN',
      'cannot open the PostgreSQL store',
      `schema ${JSON.stringify(schema)}: a lowercase identifier ([a-z_][a-z0-9_]*, at most 63)`,
    );
  const config: pg.PoolConfig = {
    connectionString,
    max: o.poolSize ?? 10,
    options: `-c search_path=${schema}`,
    types,
    // A server that stops answering fails the call (E_STORE_UNAVAILABLE) instead of holding it forever.
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    statement_timeout: PG_STATEMENT_TIMEOUT_MS,
    query_timeout: PG_STATEMENT_TIMEOUT_MS + 1000,
  };
  const pool = new pg.Pool(config);
  // An idle connection that dies (the server restarted) must not crash the process; the next query
  // gets a new connection or fails, and its caller fails closed.
  pool.on('error', () => {});
  try {
    await migrate(pool, schema);
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof StoreError) throw e;
    throw new StoreError(
      'E_STORE_OPEN',
      'cannot open the PostgreSQL store',
      `${redactPostgresUrl(o.url)}: ${(e as Error).message}`,
    );
  }
  const feed = new PgChangeFeed(
    { connectionString, options: config.options, types, application_name: `carapace-feed:${schema}` },
    schema,
    pool,
  );
  if (o.listen !== false) await feed.start();
  return new PgStoreEngine(pool, schema, feed);
}

/** Chunks kept in memory: first write wins, so a cached chunk is never stale. */
const CHUNK_CACHE_ENTRIES = 50_000;

class PgStoreEngine implements PgStore {
  private open = true;
  private readonly chunks = new ReadCache<Chunk>(CHUNK_CACHE_ENTRIES);

  constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
    readonly changeFeed: PgChangeFeed,
  ) {}

  /** Every method starts here, so a closed store rejects before touching the pool. */
  private live(): pg.Pool {
    if (!this.open) throw new StoreError('E_STORE_CLOSED', 'the store is closed');
    return this.pool;
  }

  private async rows(sql: string, params: unknown[] = [], on: Queryable = this.live()): Promise<Row[]> {
    try {
      return (await on.query<Row>(sql, params)).rows;
    } catch (e) {
      throw asUnavailable(e);
    }
  }

  private async one(sql: string, params: unknown[] = [], on: Queryable = this.live()): Promise<Row | null> {
    return (await this.rows(sql, params, on))[0] ?? null;
  }

  private async changes(sql: string, params: unknown[]): Promise<number> {
    try {
      return (await this.live().query(sql, params)).rowCount ?? 0;
    } catch (e) {
      throw asUnavailable(e);
    }
  }

  /** Runs `body` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  private async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.live().connect();
    } catch (e) {
      throw asUnavailable(e);
    }
    let broken = false;
    // A connection lost while checked out emits 'error' on the client (the pool listens only while it
    // is idle): without a listener that is an uncaught exception that ends the process; with one, the
    // query in flight fails and the transaction with it.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      const failure = asUnavailable(e);
      // A connection that failed is not given back to the pool for the next caller.
      broken ||= failure instanceof StoreError && failure.code === 'E_STORE_UNAVAILABLE';
      throw failure;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async createPrincipal(principal: NewPrincipal): Promise<Principal> {
    this.live();
    const p = checkNewPrincipal(principal);
    await this.transaction(async (c) => {
      if (
        p.channel !== null &&
        (await this.one('SELECT 1 FROM channels WHERE name = $1', [p.channel], c)) === null
      )
        throw notFound(`principal.channel: no channel ${JSON.stringify(p.channel)}`);
      if (
        p.parent_id !== null &&
        (await this.one('SELECT 1 FROM principals WHERE id = $1', [p.parent_id], c)) === null
      )
        throw notFound(`principal.parent_id: no principal ${JSON.stringify(p.parent_id)}`);
      try {
        await c.query(
          `INSERT INTO principals (id, name, role, api_key_hash, channel, disabled, certified_tier, created_at,
             dpop_required, parent_id, scope)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            p.id,
            p.name,
            p.role,
            p.api_key_hash,
            p.channel,
            p.disabled,
            p.certified_tier,
            p.created_at,
            p.dpop_required,
            p.parent_id,
            p.scope === null ? null : JSON.stringify(p.scope),
          ],
        );
      } catch (e) {
        const constraint = uniqueViolation(e);
        if (constraint !== null)
          throw new StoreError('E_STORE_CONFLICT', 'principal already exists', constraint);
        throw e;
      }
    });
    return this.principalOrThrow(p.id);
  }

  private async principalOrThrow(id: string): Promise<Principal> {
    const row = await this.one('SELECT * FROM principals WHERE id = $1', [id]);
    if (row === null) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return decodePrincipal(row);
  }

  async getPrincipal(id: string): Promise<Principal | null> {
    this.live();
    const row = await this.one('SELECT * FROM principals WHERE id = $1', [checkIdentifier(id, 'id')]);
    return row === null ? null : decodePrincipal(row);
  }

  async principalByKeyHash(apiKeyHash: string): Promise<Principal | null> {
    this.live();
    const row = await this.one('SELECT * FROM principals WHERE api_key_hash = $1', [
      checkApiKeyHash(apiKeyHash),
    ]);
    return row === null ? null : decodePrincipal(row);
  }

  async listPrincipals(): Promise<Principal[]> {
    return (await this.rows('SELECT * FROM principals ORDER BY created_at, id')).map(decodePrincipal);
  }

  /** One column of one principal, by a single UPDATE … RETURNING. */
  private async updatePrincipal(id: string, column: string, value: unknown): Promise<Principal> {
    const row = await this.one(`UPDATE principals SET ${column} = $1 WHERE id = $2 RETURNING *`, [value, id]);
    if (row === null) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return decodePrincipal(row);
  }

  async setPrincipalDisabled(id: string, disabled: boolean): Promise<Principal> {
    this.live();
    checkIdentifier(id, 'id');
    return this.updatePrincipal(id, 'disabled', checkBoolean(disabled, 'disabled'));
  }

  async setPrincipalTier(id: string, tier: TrustTier): Promise<Principal> {
    this.live();
    const t = checkTier(tier, 'tier');
    return this.updatePrincipal(checkIdentifier(id, 'id'), 'certified_tier', t);
  }

  async setPrincipalDpopRequired(id: string, required: boolean): Promise<Principal> {
    this.live();
    const r = checkBoolean(required, 'required');
    return this.updatePrincipal(checkIdentifier(id, 'id'), 'dpop_required', r);
  }

  async revokePrincipal(id: string, at: IsoTime): Promise<string[]> {
    this.live();
    checkIdentifier(id, 'id');
    checkIsoTime(at, 'at');
    return this.transaction(async (c) => {
      if ((await this.one('SELECT 1 FROM principals WHERE id = $1', [id], c)) === null)
        throw notFound(`principals: no principal ${JSON.stringify(id)}`);
      // The principal and its delegates, depth first (the path orders a subtree after its root).
      const tree = await this.rows(
        `WITH RECURSIVE tree (id, path) AS (
           SELECT id, id::text COLLATE "C" FROM principals WHERE id = $1
           UNION ALL
           SELECT p.id, (tree.path || chr(31) || p.id) COLLATE "C"
           FROM principals p JOIN tree ON p.parent_id = tree.id
         )
         SELECT tree.id AS id FROM tree JOIN principals USING (id) WHERE principals.revoked_at IS NULL
         ORDER BY tree.path`,
        [id],
        c,
      );
      const ids = tree.map((row) => String(row['id']));
      if (ids.length === 0) return [];
      // A concurrent revocation of an overlapping tree waits on the row locks; the re-checked
      // condition then leaves it the ids it revoked itself, each revoked once.
      const revoked = await this.rows(
        'UPDATE principals SET revoked_at = $1 WHERE id = ANY($2) AND revoked_at IS NULL RETURNING id',
        [at, ids],
        c,
      );
      const mine = new Set(revoked.map((row) => String(row['id'])));
      return ids.filter((each) => mine.has(each));
    });
  }

  async getState(kind: string, key: string): Promise<StateRecord | null> {
    this.live();
    const row = await this.one('SELECT * FROM agent_state WHERE kind = $1 AND key = $2', [
      checkIdentifier(kind, 'kind'),
      checkIdentifier(key, 'key'),
    ]);
    return row === null ? null : decodeStateRecord(row);
  }

  async putState(
    kind: string,
    key: string,
    value: JsonObject,
    expectedVersion: number,
    at: IsoTime,
  ): Promise<StateRecord | null> {
    this.live();
    checkIdentifier(kind, 'kind');
    checkIdentifier(key, 'key');
    const { text } = checkStateValue(value, 'value');
    checkSafeInteger(expectedVersion, 'expectedVersion', 0);
    checkIsoTime(at, 'at');
    const row =
      expectedVersion === 0
        ? await this.one(
            `INSERT INTO agent_state (kind, key, value, version, updated_at) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (kind, key) DO NOTHING RETURNING *`,
            [kind, key, text, at],
          )
        : await this.one(
            `UPDATE agent_state SET value = $1, version = version + 1, updated_at = $2
             WHERE kind = $3 AND key = $4 AND version = $5 RETURNING *`,
            [text, at, kind, key, expectedVersion],
          );
    return row === null ? null : decodeStateRecord(row);
  }

  async listState(kind: string): Promise<StateRecord[]> {
    this.live();
    const rows = await this.rows('SELECT * FROM agent_state WHERE kind = $1 ORDER BY key', [
      checkIdentifier(kind, 'kind'),
    ]);
    return rows.map(decodeStateRecord);
  }

  async createChannel(channel: Channel): Promise<Channel> {
    this.live();
    const c = checkChannel(channel);
    try {
      await this.live().query(
        'INSERT INTO channels (name, trust, created_by, created_at) VALUES ($1, $2, $3, $4)',
        [c.name, c.trust, c.created_by, c.created_at],
      );
    } catch (e) {
      const constraint = uniqueViolation(e);
      if (constraint !== null) throw new StoreError('E_STORE_CONFLICT', 'channel already exists', constraint);
      throw asUnavailable(e);
    }
    return c;
  }

  async getChannel(name: string): Promise<Channel | null> {
    this.live();
    const row = await this.one('SELECT * FROM channels WHERE name = $1', [checkIdentifier(name, 'name')]);
    return row === null ? null : decodeChannel(row);
  }

  async listChannels(): Promise<Channel[]> {
    return (await this.rows('SELECT * FROM channels ORDER BY name')).map(decodeChannel);
  }

  async putChunk(chunk: Chunk): Promise<PutChunkResult> {
    this.live();
    const c = checkChunk(chunk);
    const existing = await this.one('SELECT * FROM chunks WHERE id = $1', [c.id]);
    if (existing !== null) return { chunk: decodeChunk(existing), inserted: false };
    let inserted: Row | null;
    try {
      inserted = await this.one(
        `INSERT INTO chunks (id, channel, trust, injection_suspected, content_hash, ingested_at, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [c.id, c.channel, c.trust, c.injection_suspected, c.content_hash, c.ingested_at, c.bytes],
      );
    } catch (e) {
      if (pgCode(e) === '23503') throw notFound(`chunk.channel: no channel ${JSON.stringify(c.channel)}`);
      throw e;
    }
    if (inserted !== null) return { chunk: decodeChunk(inserted), inserted: true };
    // Another writer's insert of the same id committed between the read and the insert: it won.
    const stored = await this.one('SELECT * FROM chunks WHERE id = $1', [c.id]);
    if (stored === null) throw notFound(`chunks: ${JSON.stringify(c.id)} vanished after insert`);
    return { chunk: decodeChunk(stored), inserted: false };
  }

  async getChunks(ids: readonly string[]): Promise<Chunk[]> {
    this.live();
    const wanted = [...new Set(checkIdentifiers(ids, 'ids'))];
    if (wanted.length === 0) return [];
    const missing = wanted.filter((id) => this.chunks.get(id) === undefined);
    if (missing.length > 0)
      for (const row of await this.rows('SELECT * FROM chunks WHERE id = ANY($1)', [missing])) {
        const chunk = decodeChunk(row);
        this.chunks.set(chunk.id, chunk);
      }
    return wanted.flatMap((id) => {
      const chunk = this.chunks.get(id);
      return chunk === undefined ? [] : [{ ...chunk }];
    });
  }

  async addSessionChunks(sessionId: string, agentId: string, chunkIds: readonly string[]): Promise<void> {
    this.live();
    checkIdentifier(sessionId, 'sessionId');
    checkIdentifier(agentId, 'agentId');
    const ids = checkIdentifiers(chunkIds, 'chunkIds');
    await this.transaction(async (c) => {
      if ((await this.one('SELECT 1 FROM principals WHERE id = $1', [agentId], c)) === null)
        throw notFound(`agentId: no principal ${JSON.stringify(agentId)}`);
      for (const id of ids) {
        if ((await this.one('SELECT 1 FROM chunks WHERE id = $1', [id], c)) === null)
          throw notFound(`chunkIds: no chunk ${JSON.stringify(id)}`);
        await c.query(
          `INSERT INTO session_chunks (session_id, agent_id, chunk_id) VALUES ($1, $2, $3)
           ON CONFLICT (agent_id, session_id, chunk_id) DO NOTHING`,
          [sessionId, agentId, id],
        );
      }
    });
  }

  async sessionChunkIds(sessionId: string, agentId: string): Promise<string[]> {
    this.live();
    const rows = await this.rows(
      'SELECT chunk_id FROM session_chunks WHERE agent_id = $1 AND session_id = $2 ORDER BY seq',
      [checkIdentifier(agentId, 'agentId'), checkIdentifier(sessionId, 'sessionId')],
    );
    return rows.map((row) => {
      const id = row['chunk_id'];
      if (typeof id !== 'string')
        throw new StoreError('E_STORE_CORRUPT', 'stored row does not decode', 'session_chunks.chunk_id');
      return id;
    });
  }

  async createReview(review: NewReview): Promise<Review> {
    this.live();
    const r = checkNewReview(review);
    let row: Row | null;
    try {
      row = await this.one(
        `INSERT INTO reviews (id, agent_id, envelope, decision_record_hash, status, created_at, expires_at,
           required_approvals, approvals, decided_by, decided_at, note)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, '[]', NULL, NULL, NULL) RETURNING *`,
        [
          r.id,
          r.agent_id,
          JSON.stringify(r.envelope),
          r.decision_record_hash,
          r.created_at,
          r.expires_at,
          r.required_approvals,
        ],
      );
    } catch (e) {
      if (pgCode(e) === '23503')
        throw notFound(`review.agent_id: no principal ${JSON.stringify(r.agent_id)}`);
      const constraint = uniqueViolation(e);
      if (constraint !== null) throw new StoreError('E_STORE_CONFLICT', 'review already exists', constraint);
      throw e;
    }
    if (row === null) throw notFound(`reviews: no review ${JSON.stringify(r.id)}`);
    return decodeReview(row);
  }

  async getReview(id: string): Promise<Review | null> {
    this.live();
    const row = await this.one('SELECT * FROM reviews WHERE id = $1', [checkIdentifier(id, 'id')]);
    return row === null ? null : decodeReview(row);
  }

  async listReviews(filter?: ReviewFilter): Promise<Review[]> {
    this.live();
    const f = checkReviewFilter(filter);
    const rows = await this.rows(
      `SELECT * FROM reviews WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR agent_id = $2)
       ORDER BY created_at, id`,
      [f.status ?? null, f.agentId ?? null],
    );
    return rows.map(decodeReview);
  }

  async recordReviewDecision(id: string, decision: ReviewDecision): Promise<ReviewDecisionResult> {
    this.live();
    checkIdentifier(id, 'id');
    const d = checkReviewDecision(decision);
    return this.transaction(async (c): Promise<ReviewDecisionResult> => {
      // The row lock makes every other decision on this review wait, then read what this one wrote.
      const row = await this.one('SELECT * FROM reviews WHERE id = $1 FOR UPDATE', [id], c);
      if (row === null) return { outcome: 'not_found', review: null };
      const current = decodeReview(row);
      const { outcome, next } = nextReviewState(current, d);
      if (next === null) return { outcome, review: current };
      const written = await this.one(
        `UPDATE reviews SET status = $1, approvals = $2, decided_by = $3, decided_at = $4, note = $5
         WHERE id = $6 RETURNING *`,
        [
          next.status,
          JSON.stringify(next.approvals),
          next.decided_by ?? null,
          next.decided_at ?? null,
          next.note ?? null,
          id,
        ],
        c,
      );
      if (written === null) throw notFound(`reviews: no review ${JSON.stringify(id)}`);
      return { outcome, review: decodeReview(written) };
    });
  }

  async expireReviews(now: IsoTime): Promise<number> {
    this.live();
    // The same rule as expiredReview() in review_decision.ts, in one statement.
    return this.changes(
      `UPDATE reviews SET status = 'expired', decided_at = expires_at
       WHERE status = 'pending' AND expires_at <= $1`,
      [checkIsoTime(now, 'now')],
    );
  }

  async redeemToken(jti: string, expiresAt: IsoTime, redeemedAt: IsoTime): Promise<boolean> {
    this.live();
    const row = await this.one(
      `INSERT INTO token_redemptions (jti, expires_at, redeemed_at) VALUES ($1, $2, $3)
       ON CONFLICT (jti) DO NOTHING RETURNING jti`,
      [
        checkIdentifier(jti, 'jti'),
        checkIsoTime(expiresAt, 'expiresAt'),
        checkIsoTime(redeemedAt, 'redeemedAt'),
      ],
    );
    return row !== null;
  }

  async pruneRedemptions(before: IsoTime, prefix = ''): Promise<number> {
    this.live();
    if (typeof prefix !== 'string' || prefix.length > 128)
      throw new StoreError(
        'E_STORE_INVALID',
        'invalid store argument',
        'prefix: a string of at most 128 characters',
      );
    return this.changes(
      'DELETE FROM token_redemptions WHERE expires_at < $1 AND left(jti, char_length($2)) = $2',
      [checkIsoTime(before, 'before'), prefix],
    );
  }

  async createClientRun(run: NewClientRun): Promise<ClientRun> {
    this.live();
    const r = checkNewClientRun(run);
    let row: Row | null;
    try {
      row = await this.one(
        `INSERT INTO client_runs (jti, agent_id, tool, session, redeemed_at, result_due, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL) RETURNING *`,
        [r.jti, r.agent_id, r.tool, r.session ?? null, r.redeemed_at, r.result_due],
      );
    } catch (e) {
      if (pgCode(e) === '23503') throw notFound(`run.agent_id: no principal ${JSON.stringify(r.agent_id)}`);
      const constraint = uniqueViolation(e);
      if (constraint !== null)
        throw new StoreError('E_STORE_CONFLICT', 'client run already exists', constraint);
      throw e;
    }
    if (row === null) throw notFound(`client_runs: no run ${JSON.stringify(r.jti)}`);
    return decodeClientRun(row);
  }

  async closeClientRun(jti: string, agentId: string, at: IsoTime): Promise<ClientRunCloseResult> {
    this.live();
    checkIdentifier(jti, 'jti');
    checkIdentifier(agentId, 'agentId');
    checkIsoTime(at, 'at');
    return this.transaction(async (c): Promise<ClientRunCloseResult> => {
      const row = await this.one('SELECT * FROM client_runs WHERE jti = $1 FOR UPDATE', [jti], c);
      const current = row === null ? null : decodeClientRun(row);
      if (current === null || current.agent_id !== agentId) return { outcome: 'not_found', run: null };
      if (current.closed_at !== undefined) return { outcome: 'already_closed', run: current };
      const closed = await this.one(
        'UPDATE client_runs SET closed_at = $1 WHERE jti = $2 AND agent_id = $3 AND closed_at IS NULL RETURNING *',
        [at, jti, agentId],
        c,
      );
      if (closed === null) throw notFound(`client_runs: no run ${JSON.stringify(jti)}`);
      return { outcome: at < current.result_due ? 'closed' : 'overdue', run: decodeClientRun(closed) };
    });
  }

  async pruneClientRuns(before: IsoTime): Promise<number> {
    this.live();
    return this.changes('DELETE FROM client_runs WHERE result_due < $1', [checkIsoTime(before, 'before')]);
  }

  async incrementCounter(key: string, windowStart: IsoTime, by = 1): Promise<number> {
    this.live();
    const row = await this.one(
      `INSERT INTO counters (key, window_start, value) VALUES ($1, $2, $3)
       ON CONFLICT (key, window_start) DO UPDATE SET value = counters.value + excluded.value
       RETURNING value`,
      [checkIdentifier(key, 'key'), checkIsoTime(windowStart, 'windowStart'), checkSafeInteger(by, 'by')],
    );
    return counterValue(row, key);
  }

  async getCounter(key: string, windowStart: IsoTime): Promise<number> {
    this.live();
    const row = await this.one('SELECT value FROM counters WHERE key = $1 AND window_start = $2', [
      checkIdentifier(key, 'key'),
      checkIsoTime(windowStart, 'windowStart'),
    ]);
    return row === null ? 0 : counterValue(row, key);
  }

  async sumCounter(key: string, since: IsoTime): Promise<number> {
    this.live();
    const row = await this.one(
      'SELECT COALESCE(SUM(value), 0)::bigint AS value FROM counters WHERE key = $1 AND window_start >= $2',
      [checkIdentifier(key, 'key'), checkIsoTime(since, 'since')],
    );
    return counterValue(row, key);
  }

  async pruneCounters(before: IsoTime): Promise<number> {
    this.live();
    return this.changes('DELETE FROM counters WHERE window_start < $1', [checkIsoTime(before, 'before')]);
  }

  async schemaVersion(): Promise<number> {
    const row = await this.one('SELECT MAX(version) AS version FROM schema_migrations');
    return Number(row?.['version'] ?? 0);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.changeFeed.stop();
    await this.pool.end();
  }
}

function counterValue(row: Row | null, key: string): number {
  const value = row?.['value'];
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new StoreError(
      'E_STORE_CORRUPT',
      'stored row does not decode',
      `counters[${JSON.stringify(key)}].value`,
    );
  return value;
}
