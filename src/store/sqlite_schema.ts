// The SQLite schema as numbered migrations: a database records each version it applied in
// `schema_version`, so opening an older file upgrades it and opening a newer one is refused.

export interface Migration {
  version: number;
  sql: string;
}

export const SCHEMA_VERSION_TABLE = `
CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL
) STRICT;
`;

const TRUST = `('untrusted', 'semi_trusted', 'trusted')`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE channels (
  name TEXT PRIMARY KEY,
  trust TEXT NOT NULL CHECK (trust IN ${TRUST}),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE principals (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('agent', 'approver', 'admin', 'auditor', 'service')),
  api_key_hash TEXT NOT NULL UNIQUE,
  channel TEXT REFERENCES channels (name),
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE chunks (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL REFERENCES channels (name),
  trust TEXT NOT NULL CHECK (trust IN ${TRUST}),
  injection_suspected INTEGER NOT NULL CHECK (injection_suspected IN (0, 1)),
  content_hash TEXT NOT NULL,
  ingested_at TEXT NOT NULL,
  bytes INTEGER NOT NULL CHECK (bytes >= 0)
) STRICT;

-- seq keeps the order in which a session was first shown each chunk.
CREATE TABLE session_chunks (
  seq INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  agent_id TEXT NOT NULL REFERENCES principals (id),
  chunk_id TEXT NOT NULL REFERENCES chunks (id),
  UNIQUE (agent_id, session_id, chunk_id)
) STRICT;

CREATE TABLE reviews (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES principals (id),
  envelope TEXT NOT NULL,
  decision_record_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  required_approvals INTEGER NOT NULL CHECK (required_approvals IN (1, 2)),
  approvals TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  note TEXT
) STRICT;
CREATE INDEX reviews_by_status ON reviews (status, created_at);
CREATE INDEX reviews_by_agent ON reviews (agent_id, created_at);

CREATE TABLE token_redemptions (
  jti TEXT PRIMARY KEY,
  expires_at TEXT NOT NULL,
  redeemed_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX token_redemptions_by_expiry ON token_redemptions (expires_at);

CREATE TABLE counters (
  key TEXT NOT NULL,
  window_start TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
) STRICT, WITHOUT ROWID;
CREATE INDEX counters_by_window ON counters (window_start);

-- Provenance is fixed where content came in: no statement may rewrite a trust level or a
-- redemption, whoever issues it.
CREATE TRIGGER channels_trust_is_fixed BEFORE UPDATE OF trust ON channels
BEGIN SELECT RAISE(ABORT, 'channel trust is fixed'); END;
CREATE TRIGGER chunks_are_immutable BEFORE UPDATE ON chunks
BEGIN SELECT RAISE(ABORT, 'chunks are immutable'); END;
CREATE TRIGGER token_redemptions_are_immutable BEFORE UPDATE ON token_redemptions
BEGIN SELECT RAISE(ABORT, 'token redemptions are immutable'); END;
`,
  },
  {
    // The trust tier an admin certified for a principal (issue 7: policies' minimum-tier rules).
    version: 2,
    sql: `
ALTER TABLE principals ADD COLUMN certified_tier TEXT NOT NULL DEFAULT 'T0'
  CHECK (certified_tier IN ('T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'));
`,
  },
  {
    // Tools the agent runs itself after POST /v1/redeem; their one result comes to POST /v1/results.
    version: 3,
    sql: `
CREATE TABLE client_runs (
  jti TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES principals (id),
  tool TEXT NOT NULL,
  session TEXT,
  redeemed_at TEXT NOT NULL,
  result_due TEXT NOT NULL,
  closed_at TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX client_runs_by_due ON client_runs (result_due);

-- A run is closed once, and nothing else about it ever changes.
CREATE TRIGGER client_runs_close_once BEFORE UPDATE ON client_runs
WHEN OLD.closed_at IS NOT NULL OR NEW.closed_at IS NULL
  OR NEW.jti IS NOT OLD.jti OR NEW.agent_id IS NOT OLD.agent_id OR NEW.tool IS NOT OLD.tool
  OR NEW.session IS NOT OLD.session OR NEW.redeemed_at IS NOT OLD.redeemed_at
  OR NEW.result_due IS NOT OLD.result_due
BEGIN SELECT RAISE(ABORT, 'a client run is closed once'); END;
`,
  },
  {
    // Issue 10: delegation, revocation, DPoP, and the state of trust scores, baselines and breakers.
    version: 4,
    sql: `
ALTER TABLE principals ADD COLUMN parent_id TEXT REFERENCES principals (id);
ALTER TABLE principals ADD COLUMN scope TEXT;
ALTER TABLE principals ADD COLUMN revoked_at TEXT;
ALTER TABLE principals ADD COLUMN dpop_required INTEGER NOT NULL DEFAULT 0 CHECK (dpop_required IN (0, 1));
CREATE INDEX principals_by_parent ON principals (parent_id);

-- Revocation is final, and a delegation is what it was made: no statement may undo or widen either.
CREATE TRIGGER principals_revocation_is_final BEFORE UPDATE OF revoked_at ON principals
WHEN OLD.revoked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'revocation is final'); END;
CREATE TRIGGER principals_delegation_is_fixed BEFORE UPDATE OF parent_id, scope ON principals
BEGIN SELECT RAISE(ABORT, 'a delegation is fixed when it is made'); END;

CREATE TABLE agent_state (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
