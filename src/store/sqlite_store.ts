// The embedded store engine: one SQLite file (WAL, synchronous=FULL) that several gateway processes
// may share; every atomic operation is a single statement or a BEGIN IMMEDIATE transaction. Chunks are
// cached once read: first write wins, so a stored chunk never changes and a cached one is never stale.
// Nothing else is cached, so a write by another instance (a disabled key, a chunk shown to a session)
// is seen by the very next read here. (The gateway may cache principals within a revocation SLA.)

import { chmodSync, closeSync, constants, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  checkApiKeyHash,
  checkBoolean,
  checkStateValue,
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
  checkTier,
} from './check_input.js';
import {
  decodeChannel,
  decodeChunk,
  decodeClientRun,
  decodePrincipal,
  decodeReview,
  decodeStateRecord,
} from './decode_row.js';
import { ReadCache } from './read_cache.js';
import { nextReviewState } from './review_decision.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE } from './sqlite_schema.js';
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

/** How long a writer waits for another connection's write lock before failing (SQLITE_BUSY). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The connection settings in force, for operators and tests to check durability. */
export interface SqliteSettings {
  journal_mode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  foreign_keys: boolean;
  busy_timeout: number;
  schema_version: number;
}

export interface SqliteStore extends Store {
  settings(): Promise<SqliteSettings>;
}

type Row = Record<string, unknown>;

function isFilePath(path: string): boolean {
  return path !== ':memory:' && path !== '' && !path.startsWith('file:');
}

/** Creates the file owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode. */
function createOwnerOnlyFile(path: string): void {
  closeSync(openSync(path, constants.O_CREAT | constants.O_RDWR, 0o600));
  chmodSync(path, 0o600);
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(SCHEMA_VERSION_TABLE);
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as Row;
    const current = typeof row['version'] === 'number' ? row['version'] : 0;
    if (current > LATEST_SCHEMA_VERSION)
      throw new StoreError(
        'E_STORE_SCHEMA',
        'database schema is newer than this build',
        `schema_version ${current}, this build knows up to ${LATEST_SCHEMA_VERSION}`,
      );
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, new Date().toISOString());
    }
  }).immediate();
}

function uniqueViolation(e: unknown): string | null {
  if (
    e instanceof Database.SqliteError &&
    (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  )
    return e.message.replace(/^UNIQUE constraint failed: /, '');
  return null;
}

function notFound(detail: string): StoreError {
  return new StoreError('E_STORE_NOT_FOUND', 'referenced record does not exist', detail);
}

/** Opens (creating if needed, mode 0600) and migrates the SQLite store at `path`; ':memory:' for tests. */
export async function openSqliteStore(path: string): Promise<SqliteStore> {
  let db: Database.Database;
  try {
    if (isFilePath(path)) createOwnerOnlyFile(path);
    db = new Database(path);
  } catch (e) {
    throw new StoreError('E_STORE_OPEN', 'cannot open the SQLite store', `${path}: ${(e as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && isFilePath(path))
      throw new StoreError(
        'E_STORE_OPEN',
        'cannot switch the SQLite store to WAL',
        `journal_mode is ${mode}`,
      );
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('trusted_schema = OFF');
    migrate(db);
    return new SqliteStoreEngine(db);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Chunks kept in memory: a working set of sessions' worth, about 200 bytes each. */
const CHUNK_CACHE_ENTRIES = 50_000;

class SqliteStoreEngine implements SqliteStore {
  private open = true;
  private readonly sql;
  private readonly chunks = new ReadCache<Chunk>(CHUNK_CACHE_ENTRIES);

  constructor(private readonly db: Database.Database) {
    const p = (source: string) => db.prepare<unknown[], Row>(source);
    this.sql = {
      insertPrincipal: p(
        `INSERT INTO principals (id, name, role, api_key_hash, channel, disabled, certified_tier, created_at,
           dpop_required, parent_id, scope)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      principalById: p('SELECT * FROM principals WHERE id = ?'),
      principalByKeyHash: p('SELECT * FROM principals WHERE api_key_hash = ?'),
      principals: p('SELECT * FROM principals ORDER BY created_at, id'),
      setDisabled: p('UPDATE principals SET disabled = ? WHERE id = ?'),
      setTier: p('UPDATE principals SET certified_tier = ? WHERE id = ?'),
      setDpopRequired: p('UPDATE principals SET dpop_required = ? WHERE id = ?'),
      // The principal and its delegates, depth first (the path orders a subtree after its root).
      subtree: p(
        `WITH RECURSIVE tree (id, path) AS (
           SELECT id, id FROM principals WHERE id = ?
           UNION ALL
           SELECT p.id, tree.path || char(31) || p.id FROM principals p JOIN tree ON p.parent_id = tree.id
         )
         SELECT tree.id AS id FROM tree JOIN principals USING (id) WHERE principals.revoked_at IS NULL
         ORDER BY tree.path`,
      ),
      revoke: p('UPDATE principals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      stateByKey: p('SELECT * FROM agent_state WHERE kind = ? AND key = ?'),
      insertState: p(
        `INSERT INTO agent_state (kind, key, value, version, updated_at) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (kind, key) DO NOTHING`,
      ),
      updateState: p(
        'UPDATE agent_state SET value = ?, version = version + 1, updated_at = ? WHERE kind = ? AND key = ? AND version = ?',
      ),
      statesOfKind: p('SELECT * FROM agent_state WHERE kind = ? ORDER BY key'),
      insertChannel: p('INSERT INTO channels (name, trust, created_by, created_at) VALUES (?, ?, ?, ?)'),
      channelByName: p('SELECT * FROM channels WHERE name = ?'),
      channels: p('SELECT * FROM channels ORDER BY name'),
      insertChunk: p(
        `INSERT INTO chunks (id, channel, trust, injection_suspected, content_hash, ingested_at, bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      chunkById: p('SELECT * FROM chunks WHERE id = ?'),
      chunksByIds: p('SELECT * FROM chunks WHERE id IN (SELECT value FROM json_each(?))'),
      insertSessionChunk: p(
        `INSERT INTO session_chunks (session_id, agent_id, chunk_id) VALUES (?, ?, ?)
         ON CONFLICT (agent_id, session_id, chunk_id) DO NOTHING`,
      ),
      sessionChunkIds: p(
        'SELECT chunk_id FROM session_chunks WHERE agent_id = ? AND session_id = ? ORDER BY seq',
      ),
      insertReview: p(
        `INSERT INTO reviews (id, agent_id, envelope, decision_record_hash, status, created_at, expires_at,
           required_approvals, approvals, decided_by, decided_at, note)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, '[]', NULL, NULL, NULL)`,
      ),
      reviewById: p('SELECT * FROM reviews WHERE id = ?'),
      reviews: p(
        `SELECT * FROM reviews WHERE (@status IS NULL OR status = @status) AND (@agent_id IS NULL OR agent_id = @agent_id)
         ORDER BY created_at, id`,
      ),
      updateReview: p(
        'UPDATE reviews SET status = ?, approvals = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?',
      ),
      // The same rule as expiredReview() in review_decision.ts, in one statement.
      expireReviews: p(
        `UPDATE reviews SET status = 'expired', decided_at = expires_at
         WHERE status = 'pending' AND expires_at <= ?`,
      ),
      insertRedemption: p(
        `INSERT INTO token_redemptions (jti, expires_at, redeemed_at) VALUES (?, ?, ?)
         ON CONFLICT (jti) DO NOTHING`,
      ),
      pruneRedemptions: p(
        'DELETE FROM token_redemptions WHERE expires_at < ? AND substr(jti, 1, length(?)) = ?',
      ),
      insertClientRun: p(
        `INSERT INTO client_runs (jti, agent_id, tool, session, redeemed_at, result_due, closed_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
      ),
      clientRunByJti: p('SELECT * FROM client_runs WHERE jti = ?'),
      closeClientRun: p(
        'UPDATE client_runs SET closed_at = ? WHERE jti = ? AND agent_id = ? AND closed_at IS NULL',
      ),
      pruneClientRuns: p('DELETE FROM client_runs WHERE result_due < ?'),
      incrementCounter: p(
        `INSERT INTO counters (key, window_start, value) VALUES (?, ?, ?)
         ON CONFLICT (key, window_start) DO UPDATE SET value = value + excluded.value
         RETURNING value`,
      ),
      counter: p('SELECT value FROM counters WHERE key = ? AND window_start = ?'),
      sumCounter: p(
        'SELECT COALESCE(SUM(value), 0) AS value FROM counters WHERE key = ? AND window_start >= ?',
      ),
      pruneCounters: p('DELETE FROM counters WHERE window_start < ?'),
    };
  }

  /** Every method starts here, so a closed store rejects before touching the connection. */
  private live(): Database.Database {
    if (!this.open) throw new StoreError('E_STORE_CLOSED', 'the store is closed');
    return this.db;
  }

  async createPrincipal(principal: NewPrincipal): Promise<Principal> {
    const db = this.live();
    const p = checkNewPrincipal(principal);
    db.transaction(() => {
      if (p.channel !== null && this.sql.channelByName.get(p.channel) === undefined)
        throw notFound(`principal.channel: no channel ${JSON.stringify(p.channel)}`);
      if (p.parent_id !== null && this.sql.principalById.get(p.parent_id) === undefined)
        throw notFound(`principal.parent_id: no principal ${JSON.stringify(p.parent_id)}`);
      try {
        this.sql.insertPrincipal.run(
          p.id,
          p.name,
          p.role,
          p.api_key_hash,
          p.channel,
          p.disabled ? 1 : 0,
          p.certified_tier,
          p.created_at,
          p.dpop_required ? 1 : 0,
          p.parent_id,
          p.scope === null ? null : JSON.stringify(p.scope),
        );
      } catch (e) {
        const column = uniqueViolation(e);
        if (column !== null) throw new StoreError('E_STORE_CONFLICT', 'principal already exists', column);
        throw e;
      }
    }).immediate();
    return this.principalOrThrow(p.id);
  }

  private principalOrThrow(id: string): Principal {
    const row = this.sql.principalById.get(id);
    if (row === undefined) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return decodePrincipal(row);
  }

  async getPrincipal(id: string): Promise<Principal | null> {
    this.live();
    const row = this.sql.principalById.get(checkIdentifier(id, 'id'));
    return row === undefined ? null : decodePrincipal(row);
  }

  async principalByKeyHash(apiKeyHash: string): Promise<Principal | null> {
    this.live();
    const row = this.sql.principalByKeyHash.get(checkApiKeyHash(apiKeyHash));
    return row === undefined ? null : decodePrincipal(row);
  }

  async listPrincipals(): Promise<Principal[]> {
    this.live();
    return this.sql.principals.all().map(decodePrincipal);
  }

  async setPrincipalDisabled(id: string, disabled: boolean): Promise<Principal> {
    this.live();
    checkIdentifier(id, 'id');
    if (typeof disabled !== 'boolean')
      throw new StoreError('E_STORE_INVALID', 'invalid store argument', 'disabled: must be a boolean');
    const info = this.sql.setDisabled.run(disabled ? 1 : 0, id);
    if (info.changes === 0) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return this.principalOrThrow(id);
  }

  async setPrincipalTier(id: string, tier: TrustTier): Promise<Principal> {
    this.live();
    const info = this.sql.setTier.run(checkTier(tier, 'tier'), checkIdentifier(id, 'id'));
    if (info.changes === 0) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return this.principalOrThrow(id);
  }

  async setPrincipalDpopRequired(id: string, required: boolean): Promise<Principal> {
    this.live();
    const info = this.sql.setDpopRequired.run(
      checkBoolean(required, 'required') ? 1 : 0,
      checkIdentifier(id, 'id'),
    );
    if (info.changes === 0) throw notFound(`principals: no principal ${JSON.stringify(id)}`);
    return this.principalOrThrow(id);
  }

  async revokePrincipal(id: string, at: IsoTime): Promise<string[]> {
    const db = this.live();
    checkIdentifier(id, 'id');
    checkIsoTime(at, 'at');
    return db
      .transaction((): string[] => {
        if (this.sql.principalById.get(id) === undefined)
          throw notFound(`principals: no principal ${JSON.stringify(id)}`);
        const ids = this.sql.subtree.all(id).map((row) => String(row['id']));
        for (const each of ids) this.sql.revoke.run(at, each);
        return ids;
      })
      .immediate();
  }

  async getState(kind: string, key: string): Promise<StateRecord | null> {
    this.live();
    const row = this.sql.stateByKey.get(checkIdentifier(kind, 'kind'), checkIdentifier(key, 'key'));
    return row === undefined ? null : decodeStateRecord(row);
  }

  async putState(
    kind: string,
    key: string,
    value: JsonObject,
    expectedVersion: number,
    at: IsoTime,
  ): Promise<StateRecord | null> {
    const db = this.live();
    checkIdentifier(kind, 'kind');
    checkIdentifier(key, 'key');
    const { text } = checkStateValue(value, 'value');
    checkSafeInteger(expectedVersion, 'expectedVersion', 0);
    checkIsoTime(at, 'at');
    return db
      .transaction((): StateRecord | null => {
        const info =
          expectedVersion === 0
            ? this.sql.insertState.run(kind, key, text, at)
            : this.sql.updateState.run(text, at, kind, key, expectedVersion);
        if (info.changes === 0) return null;
        const row = this.sql.stateByKey.get(kind, key);
        return row === undefined ? null : decodeStateRecord(row);
      })
      .immediate();
  }

  async listState(kind: string): Promise<StateRecord[]> {
    this.live();
    return this.sql.statesOfKind.all(checkIdentifier(kind, 'kind')).map(decodeStateRecord);
  }

  async createChannel(channel: Channel): Promise<Channel> {
    this.live();
    const c = checkChannel(channel);
    try {
      this.sql.insertChannel.run(c.name, c.trust, c.created_by, c.created_at);
    } catch (e) {
      const column = uniqueViolation(e);
      if (column !== null) throw new StoreError('E_STORE_CONFLICT', 'channel already exists', column);
      throw e;
    }
    return c;
  }

  async getChannel(name: string): Promise<Channel | null> {
    this.live();
    const row = this.sql.channelByName.get(checkIdentifier(name, 'name'));
    return row === undefined ? null : decodeChannel(row);
  }

  async listChannels(): Promise<Channel[]> {
    this.live();
    return this.sql.channels.all().map(decodeChannel);
  }

  async putChunk(chunk: Chunk): Promise<PutChunkResult> {
    const db = this.live();
    const c = checkChunk(chunk);
    return db
      .transaction((): PutChunkResult => {
        const existing = this.sql.chunkById.get(c.id);
        if (existing !== undefined) return { chunk: decodeChunk(existing), inserted: false };
        if (this.sql.channelByName.get(c.channel) === undefined)
          throw notFound(`chunk.channel: no channel ${JSON.stringify(c.channel)}`);
        this.sql.insertChunk.run(
          c.id,
          c.channel,
          c.trust,
          c.injection_suspected ? 1 : 0,
          c.content_hash,
          c.ingested_at,
          c.bytes,
        );
        const stored = this.sql.chunkById.get(c.id);
        if (stored === undefined) throw notFound(`chunks: ${JSON.stringify(c.id)} vanished after insert`);
        return { chunk: decodeChunk(stored), inserted: true };
      })
      .immediate();
  }

  async getChunks(ids: readonly string[]): Promise<Chunk[]> {
    this.live();
    const wanted = [...new Set(checkIdentifiers(ids, 'ids'))];
    if (wanted.length === 0) return [];
    const missing = wanted.filter((id) => this.chunks.get(id) === undefined);
    if (missing.length > 0)
      for (const row of this.sql.chunksByIds.all(JSON.stringify(missing))) {
        const chunk = decodeChunk(row);
        this.chunks.set(chunk.id, chunk);
      }
    return wanted.flatMap((id) => {
      const chunk = this.chunks.get(id);
      return chunk === undefined ? [] : [{ ...chunk }];
    });
  }

  async addSessionChunks(sessionId: string, agentId: string, chunkIds: readonly string[]): Promise<void> {
    const db = this.live();
    checkIdentifier(sessionId, 'sessionId');
    checkIdentifier(agentId, 'agentId');
    const ids = checkIdentifiers(chunkIds, 'chunkIds');
    db.transaction(() => {
      if (this.sql.principalById.get(agentId) === undefined)
        throw notFound(`agentId: no principal ${JSON.stringify(agentId)}`);
      for (const id of ids) {
        if (this.sql.chunkById.get(id) === undefined)
          throw notFound(`chunkIds: no chunk ${JSON.stringify(id)}`);
        this.sql.insertSessionChunk.run(sessionId, agentId, id);
      }
    }).immediate();
  }

  async sessionChunkIds(sessionId: string, agentId: string): Promise<string[]> {
    this.live();
    const rows = this.sql.sessionChunkIds.all(
      checkIdentifier(agentId, 'agentId'),
      checkIdentifier(sessionId, 'sessionId'),
    );
    return rows.map((row) => {
      const id = row['chunk_id'];
      if (typeof id !== 'string')
        throw new StoreError('E_STORE_CORRUPT', 'stored row does not decode', 'session_chunks.chunk_id');
      return id;
    });
  }

  async createReview(review: NewReview): Promise<Review> {
    const db = this.live();
    const r = checkNewReview(review);
    db.transaction(() => {
      if (this.sql.principalById.get(r.agent_id) === undefined)
        throw notFound(`review.agent_id: no principal ${JSON.stringify(r.agent_id)}`);
      try {
        this.sql.insertReview.run(
          r.id,
          r.agent_id,
          JSON.stringify(r.envelope),
          r.decision_record_hash,
          r.created_at,
          r.expires_at,
          r.required_approvals,
        );
      } catch (e) {
        const column = uniqueViolation(e);
        if (column !== null) throw new StoreError('E_STORE_CONFLICT', 'review already exists', column);
        throw e;
      }
    }).immediate();
    return this.reviewOrThrow(r.id);
  }

  private reviewOrThrow(id: string): Review {
    const row = this.sql.reviewById.get(id);
    if (row === undefined) throw notFound(`reviews: no review ${JSON.stringify(id)}`);
    return decodeReview(row);
  }

  async getReview(id: string): Promise<Review | null> {
    this.live();
    const row = this.sql.reviewById.get(checkIdentifier(id, 'id'));
    return row === undefined ? null : decodeReview(row);
  }

  async listReviews(filter?: ReviewFilter): Promise<Review[]> {
    this.live();
    const f = checkReviewFilter(filter);
    return this.sql.reviews.all({ status: f.status ?? null, agent_id: f.agentId ?? null }).map(decodeReview);
  }

  async recordReviewDecision(id: string, decision: ReviewDecision): Promise<ReviewDecisionResult> {
    const db = this.live();
    checkIdentifier(id, 'id');
    const d = checkReviewDecision(decision);
    return db
      .transaction((): ReviewDecisionResult => {
        const row = this.sql.reviewById.get(id);
        if (row === undefined) return { outcome: 'not_found', review: null };
        const current = decodeReview(row);
        const { outcome, next } = nextReviewState(current, d);
        if (next === null) return { outcome, review: current };
        this.writeReview(next);
        return { outcome, review: this.reviewOrThrow(id) };
      })
      .immediate();
  }

  private writeReview(review: Review): void {
    this.sql.updateReview.run(
      review.status,
      JSON.stringify(review.approvals),
      review.decided_by ?? null,
      review.decided_at ?? null,
      review.note ?? null,
      review.id,
    );
  }

  async expireReviews(now: IsoTime): Promise<number> {
    this.live();
    return this.sql.expireReviews.run(checkIsoTime(now, 'now')).changes;
  }

  async redeemToken(jti: string, expiresAt: IsoTime, redeemedAt: IsoTime): Promise<boolean> {
    this.live();
    const info = this.sql.insertRedemption.run(
      checkIdentifier(jti, 'jti'),
      checkIsoTime(expiresAt, 'expiresAt'),
      checkIsoTime(redeemedAt, 'redeemedAt'),
    );
    return info.changes === 1;
  }

  async pruneRedemptions(before: IsoTime, prefix = ''): Promise<number> {
    this.live();
    if (typeof prefix !== 'string' || prefix.length > 128)
      throw new StoreError(
        'E_STORE_INVALID',
        'invalid store argument',
        'prefix: a string of at most 128 characters',
      );
    return this.sql.pruneRedemptions.run(checkIsoTime(before, 'before'), prefix, prefix).changes;
  }

  async createClientRun(run: NewClientRun): Promise<ClientRun> {
    const db = this.live();
    const r = checkNewClientRun(run);
    db.transaction(() => {
      if (this.sql.principalById.get(r.agent_id) === undefined)
        throw notFound(`run.agent_id: no principal ${JSON.stringify(r.agent_id)}`);
      try {
        this.sql.insertClientRun.run(
          r.jti,
          r.agent_id,
          r.tool,
          r.session ?? null,
          r.redeemed_at,
          r.result_due,
        );
      } catch (e) {
        const column = uniqueViolation(e);
        if (column !== null) throw new StoreError('E_STORE_CONFLICT', 'client run already exists', column);
        throw e;
      }
    }).immediate();
    return this.clientRunOrThrow(r.jti);
  }

  private clientRunOrThrow(jti: string): ClientRun {
    const row = this.sql.clientRunByJti.get(jti);
    if (row === undefined) throw notFound(`client_runs: no run ${JSON.stringify(jti)}`);
    return decodeClientRun(row);
  }

  async closeClientRun(jti: string, agentId: string, at: IsoTime): Promise<ClientRunCloseResult> {
    const db = this.live();
    checkIdentifier(jti, 'jti');
    checkIdentifier(agentId, 'agentId');
    checkIsoTime(at, 'at');
    return db
      .transaction((): ClientRunCloseResult => {
        const row = this.sql.clientRunByJti.get(jti);
        const current = row === undefined ? null : decodeClientRun(row);
        if (current === null || current.agent_id !== agentId) return { outcome: 'not_found', run: null };
        if (current.closed_at !== undefined) return { outcome: 'already_closed', run: current };
        this.sql.closeClientRun.run(at, jti, agentId);
        return {
          outcome: at < current.result_due ? 'closed' : 'overdue',
          run: this.clientRunOrThrow(jti),
        };
      })
      .immediate();
  }

  async pruneClientRuns(before: IsoTime): Promise<number> {
    this.live();
    return this.sql.pruneClientRuns.run(checkIsoTime(before, 'before')).changes;
  }

  async incrementCounter(key: string, windowStart: IsoTime, by = 1): Promise<number> {
    this.live();
    const row = this.sql.incrementCounter.get(
      checkIdentifier(key, 'key'),
      checkIsoTime(windowStart, 'windowStart'),
      checkSafeInteger(by, 'by'),
    );
    return counterValue(row, key);
  }

  async getCounter(key: string, windowStart: IsoTime): Promise<number> {
    this.live();
    const row = this.sql.counter.get(checkIdentifier(key, 'key'), checkIsoTime(windowStart, 'windowStart'));
    return row === undefined ? 0 : counterValue(row, key);
  }

  async sumCounter(key: string, since: IsoTime): Promise<number> {
    this.live();
    const row = this.sql.sumCounter.get(checkIdentifier(key, 'key'), checkIsoTime(since, 'since'));
    return counterValue(row, key);
  }

  async pruneCounters(before: IsoTime): Promise<number> {
    this.live();
    return this.sql.pruneCounters.run(checkIsoTime(before, 'before')).changes;
  }

  async settings(): Promise<SqliteSettings> {
    const db = this.live();
    const synchronous = (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[
      Number(db.pragma('synchronous', { simple: true }))
    ];
    const version = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as Row;
    return {
      journal_mode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: synchronous ?? 'OFF',
      foreign_keys: db.pragma('foreign_keys', { simple: true }) === 1,
      busy_timeout: Number(db.pragma('busy_timeout', { simple: true })),
      schema_version: Number(version['version']),
    };
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }
}

function counterValue(row: Row | undefined, key: string): number {
  const value = row?.['value'];
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new StoreError(
      'E_STORE_CORRUPT',
      'stored row does not decode',
      `counters[${JSON.stringify(key)}].value`,
    );
  return value;
}
