// Stored rows are checked on the way out, so a damaged or hand-edited database surfaces as
// E_STORE_CORRUPT naming the table, row and column, never as a wrongly typed record.
// Engine-neutral: booleans may come back as 0/1 (SQLite) or true/false (PostgreSQL); JSON as text.

import { checkScope, isIsoTime } from './check_input.js';
import {
  PRINCIPAL_ROLES,
  REVIEW_STATUSES,
  TRUST_LEVELS,
  TRUST_TIERS,
  type Channel,
  type Chunk,
  type ClientRun,
  type IsoTime,
  type JsonObject,
  type Principal,
  type Review,
  type ReviewApproval,
  type StateRecord,
} from './store.js';
import { StoreError } from './store_error.js';

type Row = Record<string, unknown>;

class RowReader {
  constructor(
    private readonly table: string,
    private readonly row: Row,
    private readonly key: string,
  ) {}

  corrupt(column: string, what: string): StoreError {
    return new StoreError(
      'E_STORE_CORRUPT',
      'stored row does not decode',
      `${this.table}[${this.key}].${column}: ${what}`,
    );
  }

  string(column: string): string {
    const v = this.row[column];
    if (typeof v !== 'string' || v.length === 0) throw this.corrupt(column, 'not a non-empty string');
    return v;
  }

  optionalString(column: string): string | undefined {
    const v = this.row[column];
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'string') throw this.corrupt(column, 'not a string');
    return v;
  }

  time(column: string): IsoTime {
    const v = this.row[column];
    if (!isIsoTime(v)) throw this.corrupt(column, 'not an ISO 8601 UTC time');
    return v;
  }

  optionalTime(column: string): IsoTime | undefined {
    const v = this.row[column];
    if (v === null || v === undefined) return undefined;
    if (!isIsoTime(v)) throw this.corrupt(column, 'not an ISO 8601 UTC time');
    return v;
  }

  oneOf<T extends string>(column: string, allowed: readonly T[]): T {
    const v = this.row[column];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      throw this.corrupt(column, `not one of ${allowed.join(', ')}`);
    return v as T;
  }

  boolean(column: string): boolean {
    const v = this.row[column];
    if (v === 0 || v === false) return false;
    if (v === 1 || v === true) return true;
    throw this.corrupt(column, 'not a boolean');
  }

  integer(column: string): number {
    const v = typeof this.row[column] === 'bigint' ? Number(this.row[column]) : this.row[column];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.corrupt(column, 'not a safe integer');
    return v;
  }

  json(column: string): unknown {
    const v = this.row[column];
    if (typeof v !== 'string') throw this.corrupt(column, 'not JSON text');
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw this.corrupt(column, 'invalid JSON');
    }
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function keyOf(row: Row, column: string): string {
  const v = row[column];
  return typeof v === 'string' ? JSON.stringify(v) : '?';
}

export function decodePrincipal(row: Row): Principal {
  const r = new RowReader('principals', row, keyOf(row, 'id'));
  const principal: Principal = {
    id: r.string('id'),
    name: r.string('name'),
    role: r.oneOf('role', PRINCIPAL_ROLES),
    api_key_hash: r.string('api_key_hash'),
    disabled: r.boolean('disabled'),
    certified_tier: r.oneOf('certified_tier', TRUST_TIERS),
    created_at: r.time('created_at'),
    dpop_required: r.boolean('dpop_required'),
  };
  const channel = r.optionalString('channel');
  if (channel !== undefined) principal.channel = channel;
  const parent = r.optionalString('parent_id');
  if (parent !== undefined) principal.parent_id = parent;
  if (row['scope'] !== null && row['scope'] !== undefined) {
    const scope = r.json('scope');
    try {
      principal.scope = checkScope(scope, 'scope');
    } catch {
      throw r.corrupt('scope', 'not a delegation scope');
    }
  }
  const revoked = r.optionalTime('revoked_at');
  if (revoked !== undefined) principal.revoked_at = revoked;
  return principal;
}

export function decodeStateRecord(row: Row): StateRecord {
  const r = new RowReader('agent_state', row, `${keyOf(row, 'kind')}/${keyOf(row, 'key')}`);
  const value = r.json('value');
  if (!isPlainObject(value)) throw r.corrupt('value', 'not a JSON object');
  const version = r.integer('version');
  if (version < 1) throw r.corrupt('version', 'not a version (>= 1)');
  return {
    kind: r.string('kind'),
    key: r.string('key'),
    value: value as JsonObject,
    version,
    updated_at: r.time('updated_at'),
  };
}

export function decodeChannel(row: Row): Channel {
  const r = new RowReader('channels', row, keyOf(row, 'name'));
  return {
    name: r.string('name'),
    trust: r.oneOf('trust', TRUST_LEVELS),
    created_by: r.string('created_by'),
    created_at: r.time('created_at'),
  };
}

export function decodeChunk(row: Row): Chunk {
  const r = new RowReader('chunks', row, keyOf(row, 'id'));
  return {
    id: r.string('id'),
    channel: r.string('channel'),
    trust: r.oneOf('trust', TRUST_LEVELS),
    injection_suspected: r.boolean('injection_suspected'),
    content_hash: r.string('content_hash'),
    ingested_at: r.time('ingested_at'),
    bytes: r.integer('bytes'),
  };
}

function decodeApprovals(r: RowReader): ReviewApproval[] {
  const value = r.json('approvals');
  if (!Array.isArray(value)) throw r.corrupt('approvals', 'not a JSON array');
  return value.map((a: unknown, i) => {
    if (
      !isPlainObject(a) ||
      Object.keys(a).length !== 3 ||
      typeof a['approver'] !== 'string' ||
      a['approver'].length === 0 ||
      !isIsoTime(a['at']) ||
      typeof a['note'] !== 'string'
    )
      throw r.corrupt('approvals', `element ${i} is not {approver, at, note}`);
    return { approver: a['approver'], at: a['at'], note: a['note'] };
  });
}

export function decodeReview(row: Row): Review {
  const r = new RowReader('reviews', row, keyOf(row, 'id'));
  const envelope = r.json('envelope');
  if (!isPlainObject(envelope)) throw r.corrupt('envelope', 'not a JSON object');
  const required = r.integer('required_approvals');
  if (required !== 1 && required !== 2) throw r.corrupt('required_approvals', 'not 1 or 2');
  const review: Review = {
    id: r.string('id'),
    agent_id: r.string('agent_id'),
    envelope: envelope as JsonObject,
    decision_record_hash: r.string('decision_record_hash'),
    status: r.oneOf('status', REVIEW_STATUSES),
    created_at: r.time('created_at'),
    expires_at: r.time('expires_at'),
    required_approvals: required,
    approvals: decodeApprovals(r),
  };
  const decidedBy = r.optionalString('decided_by');
  const decidedAt = r.optionalTime('decided_at');
  const note = r.optionalString('note');
  if (decidedBy !== undefined) review.decided_by = decidedBy;
  if (decidedAt !== undefined) review.decided_at = decidedAt;
  if (note !== undefined) review.note = note;
  return review;
}

export function decodeClientRun(row: Row): ClientRun {
  const r = new RowReader('client_runs', row, keyOf(row, 'jti'));
  const run: ClientRun = {
    jti: r.string('jti'),
    agent_id: r.string('agent_id'),
    tool: r.string('tool'),
    redeemed_at: r.time('redeemed_at'),
    result_due: r.time('result_due'),
  };
  const session = r.optionalString('session');
  const closedAt = r.optionalTime('closed_at');
  if (session !== undefined) run.session = session;
  if (closedAt !== undefined) run.closed_at = closedAt;
  return run;
}
