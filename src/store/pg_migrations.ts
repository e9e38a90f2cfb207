// The PostgreSQL schema as numbered migrations, the counterpart of sqlite_schema.ts: each version a
// database applied is recorded in `schema_migrations`, so opening an older schema upgrades it and a
// newer one is refused. Text columns use the "C" collation so that ids, names and ISO times order by
// code point, exactly as in SQLite, whatever the database's locale. Times and JSON stay text, so the
// engine-neutral decoders in decode_row.ts read both engines' rows.

export interface PgMigration {
  version: number;
  sql: string;
}

export const PG_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL
);
`;

/** The channel on which every instance sharing a database hears about changes (payload: change_feed.ts). */
export const PG_CHANGE_CHANNEL = 'carapace_changes';

const T = 'TEXT COLLATE "C"';
const TRUST = `('untrusted', 'semi_trusted', 'trusted')`;

/** A trigger function that refuses the statement with `message`. */
function refuse(name: string, message: string): string {
  return `
CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '${message}'; END $$;`;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    // Everything the SQLite schema holds at its version 4, in one step.
    version: 1,
    sql: `
CREATE TABLE channels (
  name ${T} PRIMARY KEY,
  trust ${T} NOT NULL CHECK (trust IN ${TRUST}),
  created_by ${T} NOT NULL,
  created_at ${T} NOT NULL
);

CREATE TABLE principals (
  id ${T} PRIMARY KEY,
  name ${T} NOT NULL UNIQUE,
  role ${T} NOT NULL CHECK (role IN ('agent', 'approver', 'admin', 'auditor', 'service')),
  api_key_hash ${T} NOT NULL UNIQUE,
  channel ${T} REFERENCES channels (name),
  disabled BOOLEAN NOT NULL,
  created_at ${T} NOT NULL,
  certified_tier ${T} NOT NULL DEFAULT 'T0'
    CHECK (certified_tier IN ('T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7')),
  parent_id ${T} REFERENCES principals (id),
  scope TEXT,
  revoked_at ${T},
  dpop_required BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX principals_by_parent ON principals (parent_id);

CREATE TABLE chunks (
  id ${T} PRIMARY KEY,
  channel ${T} NOT NULL REFERENCES channels (name),
  trust ${T} NOT NULL CHECK (trust IN ${TRUST}),
  injection_suspected BOOLEAN NOT NULL,
  content_hash ${T} NOT NULL,
  ingested_at ${T} NOT NULL,
  bytes INTEGER NOT NULL CHECK (bytes >= 0)
);

-- seq keeps the order in which a session was first shown each chunk.
CREATE TABLE session_chunks (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id ${T} NOT NULL,
  agent_id ${T} NOT NULL REFERENCES principals (id),
  chunk_id ${T} NOT NULL REFERENCES chunks (id),
  UNIQUE (agent_id, session_id, chunk_id)
);

CREATE TABLE reviews (
  id ${T} PRIMARY KEY,
  agent_id ${T} NOT NULL REFERENCES principals (id),
  envelope TEXT NOT NULL,
  decision_record_hash ${T} NOT NULL,
  status ${T} NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  created_at ${T} NOT NULL,
  expires_at ${T} NOT NULL,
  required_approvals INTEGER NOT NULL CHECK (required_approvals IN (1, 2)),
  approvals TEXT NOT NULL,
  decided_by ${T},
  decided_at ${T},
  note TEXT
);
CREATE INDEX reviews_by_status ON reviews (status, created_at);
CREATE INDEX reviews_by_agent ON reviews (agent_id, created_at);

CREATE TABLE token_redemptions (
  jti ${T} PRIMARY KEY,
  expires_at ${T} NOT NULL,
  redeemed_at ${T} NOT NULL
);
CREATE INDEX token_redemptions_by_expiry ON token_redemptions (expires_at);

CREATE TABLE counters (
  key ${T} NOT NULL,
  window_start ${T} NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE INDEX counters_by_window ON counters (window_start);

CREATE TABLE client_runs (
  jti ${T} PRIMARY KEY,
  agent_id ${T} NOT NULL REFERENCES principals (id),
  tool ${T} NOT NULL,
  session ${T},
  redeemed_at ${T} NOT NULL,
  result_due ${T} NOT NULL,
  closed_at ${T}
);
CREATE INDEX client_runs_by_due ON client_runs (result_due);

CREATE TABLE agent_state (
  kind ${T} NOT NULL,
  key ${T} NOT NULL,
  value TEXT NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),
  updated_at ${T} NOT NULL,
  PRIMARY KEY (kind, key)
);

-- Provenance is fixed where content came in, a redemption is final, a run is closed once, a
-- revocation is final and a delegation is what it was made: no statement may rewrite them.
${refuse('channel_trust_is_fixed', 'channel trust is fixed')}
CREATE TRIGGER channels_trust_is_fixed BEFORE UPDATE OF trust ON channels
  FOR EACH ROW EXECUTE FUNCTION channel_trust_is_fixed();
${refuse('chunks_are_immutable', 'chunks are immutable')}
CREATE TRIGGER chunks_are_immutable BEFORE UPDATE ON chunks
  FOR EACH ROW EXECUTE FUNCTION chunks_are_immutable();
${refuse('token_redemptions_are_immutable', 'token redemptions are immutable')}
CREATE TRIGGER token_redemptions_are_immutable BEFORE UPDATE ON token_redemptions
  FOR EACH ROW EXECUTE FUNCTION token_redemptions_are_immutable();
${refuse('client_runs_close_once', 'a client run is closed once')}
CREATE TRIGGER client_runs_close_once BEFORE UPDATE ON client_runs FOR EACH ROW
  WHEN (OLD.closed_at IS NOT NULL OR NEW.closed_at IS NULL
    OR NEW.jti IS DISTINCT FROM OLD.jti OR NEW.agent_id IS DISTINCT FROM OLD.agent_id
    OR NEW.tool IS DISTINCT FROM OLD.tool OR NEW.session IS DISTINCT FROM OLD.session
    OR NEW.redeemed_at IS DISTINCT FROM OLD.redeemed_at OR NEW.result_due IS DISTINCT FROM OLD.result_due)
  EXECUTE FUNCTION client_runs_close_once();
${refuse('principals_revocation_is_final', 'revocation is final')}
CREATE TRIGGER principals_revocation_is_final BEFORE UPDATE OF revoked_at ON principals FOR EACH ROW
  WHEN (OLD.revoked_at IS NOT NULL) EXECUTE FUNCTION principals_revocation_is_final();
${refuse('principals_delegation_is_fixed', 'a delegation is fixed when it is made')}
CREATE TRIGGER principals_delegation_is_fixed BEFORE UPDATE OF parent_id, scope ON principals
  FOR EACH ROW EXECUTE FUNCTION principals_delegation_is_fixed();

-- Every instance sharing the database hears of a change to what authentication reads (disabled,
-- revoked, tier, DPoP) when it commits, whoever made it: a gateway, the CLI, or SQL by hand.
CREATE FUNCTION notify_principal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${PG_CHANGE_CHANNEL}', json_build_object(
    'schema', current_schema(), 'kind', 'principal', 'id', NEW.id)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER principals_notify AFTER UPDATE ON principals FOR EACH ROW
  WHEN (OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
    OR OLD.certified_tier IS DISTINCT FROM NEW.certified_tier
    OR OLD.dpop_required IS DISTINCT FROM NEW.dpop_required)
  EXECUTE FUNCTION notify_principal_change();
`,
  },
];

export const PG_LATEST_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;
