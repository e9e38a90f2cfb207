// Arguments are checked before any engine touches storage, in one place, so every engine refuses the
// same inputs with the same E_STORE_INVALID detail.

import {
  PRINCIPAL_ROLES,
  TRUST_LEVELS,
  TRUST_TIERS,
  REVIEW_STATUSES,
  type TrustTier,
  type Channel,
  type Chunk,
  type NewClientRun,
  type IsoTime,
  type JsonObject,
  type NewPrincipal,
  type NewReview,
  type ReviewDecision,
  type ReviewFilter,
  type DelegationScope,
} from './store.js';
import { StoreError } from './store_error.js';

export const MAX_IDENTIFIER_LENGTH = 512;
export const MAX_NOTE_LENGTH = 4096;

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function invalid(detail: string): StoreError {
  return new StoreError('E_STORE_INVALID', 'invalid store argument', detail);
}

export function isIsoTime(value: unknown): value is IsoTime {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) return false;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && new Date(ms).toISOString() === value;
}

export function checkIsoTime(value: unknown, field: string): IsoTime {
  if (!isIsoTime(value)) throw invalid(`${field}: must be an ISO 8601 UTC time as Date#toISOString() gives`);
  return value;
}

/** Ids, names, keys: non-empty strings of at most MAX_IDENTIFIER_LENGTH characters. */
export function checkIdentifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_IDENTIFIER_LENGTH)
    throw invalid(`${field}: must be a non-empty string of at most ${MAX_IDENTIFIER_LENGTH} characters`);
  return value;
}

export function checkIdentifiers(values: readonly unknown[], field: string): string[] {
  if (!Array.isArray(values)) throw invalid(`${field}: must be an array`);
  return values.map((v, i) => checkIdentifier(v, `${field}[${i}]`));
}

function checkNote(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_NOTE_LENGTH)
    throw invalid(`${field}: must be a string of at most ${MAX_NOTE_LENGTH} characters`);
  return value;
}

export function checkTier(value: unknown, field: string): TrustTier {
  return checkOneOf(value, TRUST_TIERS, field);
}

function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw invalid(`${field}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`${field}: must be a boolean`);
  return value;
}

export function checkSafeInteger(value: unknown, field: string, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw invalid(`${field}: must be a safe integer >= ${min}`);
  return value;
}

export function checkApiKeyHash(value: unknown, field = 'api_key_hash'): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value))
    throw invalid(`${field}: must be the lowercase hex SHA-256 of the key`);
  return value;
}

/** A plain JSON object: what JSON.parse(JSON.stringify(x)) gives back unchanged in shape. */
function checkJsonObject(value: unknown, field: string): JsonObject {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw invalid(`${field}: not serialisable as JSON (${(e as Error).message})`);
  }
  const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(`${field}: must be a JSON object`);
  return parsed as JsonObject;
}

export function checkNewPrincipal(p: NewPrincipal): Required<
  Omit<NewPrincipal, 'channel' | 'parent_id' | 'scope'>
> & {
  channel: string | null;
  parent_id: string | null;
  scope: DelegationScope | null;
} {
  return {
    id: checkIdentifier(p.id, 'principal.id'),
    name: checkIdentifier(p.name, 'principal.name'),
    role: checkOneOf(p.role, PRINCIPAL_ROLES, 'principal.role'),
    api_key_hash: checkApiKeyHash(p.api_key_hash, 'principal.api_key_hash'),
    channel: p.channel === undefined ? null : checkIdentifier(p.channel, 'principal.channel'),
    disabled: p.disabled === undefined ? false : checkBoolean(p.disabled, 'principal.disabled'),
    certified_tier:
      p.certified_tier === undefined ? 'T0' : checkTier(p.certified_tier, 'principal.certified_tier'),
    created_at: checkIsoTime(p.created_at, 'principal.created_at'),
    dpop_required:
      p.dpop_required === undefined ? false : checkBoolean(p.dpop_required, 'principal.dpop_required'),
    parent_id: p.parent_id === undefined ? null : checkIdentifier(p.parent_id, 'principal.parent_id'),
    scope: p.scope === undefined ? null : checkScope(p.scope, 'principal.scope'),
  };
}

/** At most this many tools in a delegation's scope. */
export const MAX_SCOPE_TOOLS = 256;

/** A delegation scope: `{tools}`, each a tool name once, sorted; nothing else. */
export function checkScope(value: unknown, field: string): DelegationScope {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${field}: must be an object {tools}`);
  const extra = Object.keys(value).filter((k) => k !== 'tools');
  if (extra.length > 0) throw invalid(`${field}: unknown field ${JSON.stringify(extra[0])}`);
  const tools = (value as { tools?: unknown }).tools;
  if (!Array.isArray(tools) || tools.length > MAX_SCOPE_TOOLS)
    throw invalid(`${field}.tools: must be an array of at most ${MAX_SCOPE_TOOLS} tool names`);
  const names = tools.map((t, i) => checkIdentifier(t, `${field}.tools[${i}]`));
  for (let i = 1; i < names.length; i++)
    if ((names[i - 1] as string) >= (names[i] as string))
      throw invalid(`${field}.tools: must be sorted, each name once`);
  return { tools: names };
}

/** A state record's value: a JSON object of at most 64 KiB as JSON text. */
export function checkStateValue(value: unknown, field: string): { value: JsonObject; text: string } {
  const object = checkJsonObject(value, field);
  const text = JSON.stringify(object);
  if (text.length > 64 * 1024) throw invalid(`${field}: at most 65536 characters as JSON`);
  return { value: object, text };
}

export function checkChannel(c: Channel): Channel {
  return {
    name: checkIdentifier(c.name, 'channel.name'),
    trust: checkOneOf(c.trust, TRUST_LEVELS, 'channel.trust'),
    created_by: checkIdentifier(c.created_by, 'channel.created_by'),
    created_at: checkIsoTime(c.created_at, 'channel.created_at'),
  };
}

export function checkChunk(c: Chunk): Chunk {
  return {
    id: checkIdentifier(c.id, 'chunk.id'),
    channel: checkIdentifier(c.channel, 'chunk.channel'),
    trust: checkOneOf(c.trust, TRUST_LEVELS, 'chunk.trust'),
    injection_suspected: checkBoolean(c.injection_suspected, 'chunk.injection_suspected'),
    content_hash: checkIdentifier(c.content_hash, 'chunk.content_hash'),
    ingested_at: checkIsoTime(c.ingested_at, 'chunk.ingested_at'),
    bytes: checkSafeInteger(c.bytes, 'chunk.bytes', 0),
  };
}

export function checkNewReview(r: NewReview): NewReview {
  const checked: NewReview = {
    id: checkIdentifier(r.id, 'review.id'),
    agent_id: checkIdentifier(r.agent_id, 'review.agent_id'),
    envelope: checkJsonObject(r.envelope, 'review.envelope'),
    decision_record_hash: checkIdentifier(r.decision_record_hash, 'review.decision_record_hash'),
    created_at: checkIsoTime(r.created_at, 'review.created_at'),
    expires_at: checkIsoTime(r.expires_at, 'review.expires_at'),
    required_approvals: r.required_approvals,
  };
  if (r.required_approvals !== 1 && r.required_approvals !== 2)
    throw invalid('review.required_approvals: must be 1 or 2');
  if (checked.expires_at <= checked.created_at)
    throw invalid('review.expires_at: must be after review.created_at');
  return checked;
}

export function checkReviewDecision(d: ReviewDecision): ReviewDecision {
  return {
    approver: checkIdentifier(d.approver, 'decision.approver'),
    approve: checkBoolean(d.approve, 'decision.approve'),
    note: checkNote(d.note, 'decision.note'),
    at: checkIsoTime(d.at, 'decision.at'),
  };
}

export function checkReviewFilter(f: ReviewFilter | undefined): ReviewFilter {
  const out: ReviewFilter = {};
  if (f?.status !== undefined) out.status = checkOneOf(f.status, REVIEW_STATUSES, 'filter.status');
  if (f?.agentId !== undefined) out.agentId = checkIdentifier(f.agentId, 'filter.agentId');
  return out;
}

export function checkNewClientRun(r: NewClientRun): NewClientRun {
  const checked: NewClientRun = {
    jti: checkIdentifier(r.jti, 'run.jti'),
    agent_id: checkIdentifier(r.agent_id, 'run.agent_id'),
    tool: checkIdentifier(r.tool, 'run.tool'),
    redeemed_at: checkIsoTime(r.redeemed_at, 'run.redeemed_at'),
    result_due: checkIsoTime(r.result_due, 'run.result_due'),
  };
  if (r.session !== undefined) checked.session = checkIdentifier(r.session, 'run.session');
  if (checked.result_due <= checked.redeemed_at)
    throw invalid('run.result_due: must be after run.redeemed_at');
  return checked;
}
