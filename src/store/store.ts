// The gateway's state behind one async interface, so the embedded SQLite engine and a later PostgreSQL
// engine are interchangeable. Every engine must pass test/store/contract.ts.

import { TRUST_TIERS, type TrustTier } from '../engine/vocabulary.js';

/**
 * Every time in the store is an ISO 8601 UTC string in the exact form `Date#toISOString()` gives
 * (`2025-01-31T03:14:00.000Z`): fixed width, so string order is time order, in SQL and in JS.
 * Engines refuse any other form on write (E_STORE_INVALID) and on read (E_STORE_CORRUPT).
 */
export type IsoTime = string;

export const PRINCIPAL_ROLES = ['agent', 'approver', 'admin', 'auditor', 'service'] as const;
export type PrincipalRole = (typeof PRINCIPAL_ROLES)[number];

export const TRUST_LEVELS = ['untrusted', 'semi_trusted', 'trusted'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export { TRUST_TIERS, type TrustTier };

export const REVIEW_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Principal {
  id: string;
  name: string;
  role: PrincipalRole;
  /** Lowercase hex SHA-256 of the API key. The key itself is never stored. */
  api_key_hash: string;
  /** The ingestion channel a service or agent principal is bound to (a channel that exists). */
  channel?: string;
  disabled: boolean;
  /**
   * The trust tier an admin certified (T0 unless set). Until behaviour scores exist it is the agent's
   * effective tier, which policies' minimum-tier rules compare against.
   */
  certified_tier: TrustTier;
  created_at: IsoTime;
  /** The agent that delegated to this one; a delegate's scope is a subset of its parent's. */
  parent_id?: string;
  /** A delegate's grants: the only catalog tools it may call. Absent for a principal no agent delegated. */
  scope?: DelegationScope;
  /** When it was revoked. Final: a revoked principal is never enabled again, nor are its delegates. */
  revoked_at?: IsoTime;
  /** Its calls must carry a DPoP proof; its API key alone obtains DPoP-bound access tokens, nothing else. */
  dpop_required: boolean;
}

export interface DelegationScope {
  /** Catalog tool names, sorted, each once. */
  tools: string[];
}

export type NewPrincipal = Omit<
  Principal,
  'disabled' | 'certified_tier' | 'dpop_required' | 'revoked_at' | 'parent_id' | 'scope'
> & {
  disabled?: boolean;
  certified_tier?: TrustTier;
  dpop_required?: boolean;
  /** An existing principal; E_STORE_NOT_FOUND otherwise. */
  parent_id?: string;
  scope?: DelegationScope;
};

/**
 * A small JSON document that a module keeps about an agent (its trust score, a behaviour baseline, its
 * circuit breaker), written by compare-and-set on `version` so that instances sharing the store never
 * lose each other's updates.
 */
export interface StateRecord {
  kind: string;
  key: string;
  value: JsonObject;
  /** 1 for the first write, one more on each. */
  version: number;
  updated_at: IsoTime;
}

/** An ingestion channel. Its trust is fixed when an admin creates it: there is no update. */
export interface Channel {
  name: string;
  trust: TrustLevel;
  /** Principal id of the admin who created it. */
  created_by: string;
  created_at: IsoTime;
}

/** Content that entered through a channel; the content itself is not stored here. */
export interface Chunk {
  /** Content-addressed, e.g. `chunk:sha256:<hex>`. */
  id: string;
  /** The channel it came in through (a channel that exists). */
  channel: string;
  trust: TrustLevel;
  injection_suspected: boolean;
  content_hash: string;
  ingested_at: IsoTime;
  bytes: number;
}

export interface PutChunkResult {
  /** The stored chunk: the first one written under this id, whatever the later put carried. */
  chunk: Chunk;
  /** False when a chunk with this id was already stored (and was left as it was). */
  inserted: boolean;
}

export interface ReviewApproval {
  approver: string;
  at: IsoTime;
  note: string;
}

export interface Review {
  id: string;
  /** The requesting agent: it can never decide its own review. */
  agent_id: string;
  envelope: JsonObject;
  decision_record_hash: string;
  status: ReviewStatus;
  created_at: IsoTime;
  expires_at: IsoTime;
  required_approvals: 1 | 2;
  /** Approvals in the order given; distinct approvers. */
  approvals: ReviewApproval[];
  /** Who approved (the last approver) or rejected. Absent while pending and for an expired review. */
  decided_by?: string;
  /** When it was approved or rejected; for an expired review, its expires_at. */
  decided_at?: IsoTime;
  /** The deciding approver's note. */
  note?: string;
}

export type NewReview = Pick<
  Review,
  'id' | 'agent_id' | 'envelope' | 'decision_record_hash' | 'created_at' | 'expires_at' | 'required_approvals'
>;

export interface ReviewDecision {
  approver: string;
  approve: boolean;
  note: string;
  at: IsoTime;
}

export type ReviewOutcome =
  'approved' | 'rejected' | 'pending_second_approval' | 'conflict' | 'expired' | 'not_found';

export interface ReviewDecisionResult {
  outcome: ReviewOutcome;
  /** The review as stored after the call (unchanged on 'conflict'); null for 'not_found'. */
  review: Review | null;
}

/**
 * A tool the agent runs itself after the gateway redeemed its token (POST /v1/redeem): the gateway
 * waits, until `result_due`, for the one result (POST /v1/results) that only this agent may give.
 */
export interface ClientRun {
  /** The redeemed token's id. */
  jti: string;
  /** The agent that redeemed the token: the only one whose result is taken. */
  agent_id: string;
  /** The catalog's tool name. */
  tool: string;
  /** The session the output joins. */
  session?: string;
  redeemed_at: IsoTime;
  /** A result at or after this time is refused. */
  result_due: IsoTime;
  /** When a result was taken or refused as overdue; absent while one is awaited. */
  closed_at?: IsoTime;
}

export type NewClientRun = Omit<ClientRun, 'closed_at'>;

export type ClientRunOutcome = 'closed' | 'overdue' | 'already_closed' | 'not_found';

export interface ClientRunCloseResult {
  outcome: ClientRunOutcome;
  /** The run as stored after the call; null for 'not_found'. */
  run: ClientRun | null;
}

export interface ReviewFilter {
  status?: ReviewStatus;
  agentId?: string;
}

export interface Store {
  /** Throws E_STORE_CONFLICT when the id, name or key hash is taken; E_STORE_NOT_FOUND for an unknown channel. */
  createPrincipal(principal: NewPrincipal): Promise<Principal>;
  getPrincipal(id: string): Promise<Principal | null>;
  /** Returns disabled principals too: the caller checks `disabled`. */
  principalByKeyHash(apiKeyHash: string): Promise<Principal | null>;
  /** Ordered by created_at, then id. */
  listPrincipals(): Promise<Principal[]>;
  /** Throws E_STORE_NOT_FOUND for an unknown id. */
  setPrincipalDisabled(id: string, disabled: boolean): Promise<Principal>;
  /** Throws E_STORE_NOT_FOUND for an unknown id. */
  setPrincipalTier(id: string, tier: TrustTier): Promise<Principal>;
  /** Throws E_STORE_NOT_FOUND for an unknown id. */
  setPrincipalDpopRequired(id: string, required: boolean): Promise<Principal>;
  /**
   * Atomic: revokes the principal and every delegate below it that is not revoked yet, at `at`; returns
   * the ids it revoked, the principal first, then its delegates depth first. Throws E_STORE_NOT_FOUND
   * for an unknown id.
   */
  revokePrincipal(id: string, at: IsoTime): Promise<string[]>;

  /** Throws E_STORE_CONFLICT when the name is taken. */
  createChannel(channel: Channel): Promise<Channel>;
  getChannel(name: string): Promise<Channel | null>;
  /** Ordered by name. */
  listChannels(): Promise<Channel[]>;

  /** Insert if absent; the first write of an id wins. Throws E_STORE_NOT_FOUND for an unknown channel. */
  putChunk(chunk: Chunk): Promise<PutChunkResult>;
  /** The chunks found, in the order asked (each id once, at its first position); unknown ids are skipped. */
  getChunks(ids: readonly string[]): Promise<Chunk[]>;

  /**
   * Records that the agent's session was shown these chunks; idempotent. All or nothing: throws
   * E_STORE_NOT_FOUND when the agent or any chunk is unknown.
   */
  addSessionChunks(sessionId: string, agentId: string, chunkIds: readonly string[]): Promise<void>;
  /** The chunk ids of this agent's session, in the order first added. Another agent's session is not visible. */
  sessionChunkIds(sessionId: string, agentId: string): Promise<string[]>;

  /** Creates a pending review. Throws E_STORE_CONFLICT for a taken id, E_STORE_NOT_FOUND for an unknown agent. */
  createReview(review: NewReview): Promise<Review>;
  getReview(id: string): Promise<Review | null>;
  /** Ordered by created_at, then id. */
  listReviews(filter?: ReviewFilter): Promise<Review[]>;
  /** Atomic; see review_decision.ts for the state machine every engine applies. */
  recordReviewDecision(id: string, decision: ReviewDecision): Promise<ReviewDecisionResult>;
  /** Marks every pending review with expires_at <= now as expired; returns how many. */
  expireReviews(now: IsoTime): Promise<number>;

  /** Atomic insert-if-absent: true exactly once per jti, across instances sharing the storage and restarts. */
  redeemToken(jti: string, expiresAt: IsoTime, redeemedAt: IsoTime): Promise<boolean>;
  /**
   * Removes redemptions whose expiresAt < before (only those whose jti starts with `prefix`, when one is
   * given); returns how many. Call it only for ids that can never be presented again after `before`: a
   * DPoP proof's jti past its accepted age, never a review's token id (a token for an approved review
   * can be minted again under the same id, and must stay redeemed).
   */
  pruneRedemptions(before: IsoTime, prefix?: string): Promise<number>;

  /** Throws E_STORE_CONFLICT for a taken jti, E_STORE_NOT_FOUND for an unknown agent. */
  createClientRun(run: NewClientRun): Promise<ClientRun>;
  /**
   * Atomic, once per run: closes the run at `at` when it is this agent's and still open: 'closed' when
   * `at` is before result_due, 'overdue' (closed all the same) when it is not. 'already_closed' changes
   * nothing; 'not_found' is an unknown jti or another agent's run, which that agent cannot tell apart.
   */
  closeClientRun(jti: string, agentId: string, at: IsoTime): Promise<ClientRunCloseResult>;
  /** Removes runs whose result_due < before, closed or not; returns how many. */
  pruneClientRuns(before: IsoTime): Promise<number>;

  /**
   * Atomic; returns the value after adding `by` (a safe integer, default 1, negative to take back an
   * addition). An absent counter starts at 0.
   */
  incrementCounter(key: string, windowStart: IsoTime, by?: number): Promise<number>;
  /** 0 for an absent counter. */
  getCounter(key: string, windowStart: IsoTime): Promise<number>;
  /** The sum of the key's counters whose window starts at or after `since` (0 when there are none). */
  sumCounter(key: string, since: IsoTime): Promise<number>;
  /** Removes counters whose window started before `before`; returns how many. */
  pruneCounters(before: IsoTime): Promise<number>;

  /** The record, or null when none was written. */
  getState(kind: string, key: string): Promise<StateRecord | null>;
  /**
   * Compare-and-set: writes `value` when the stored version is `expectedVersion` (0: no record yet) and
   * returns the new record; returns null, changing nothing, when another write came first.
   */
  putState(
    kind: string,
    key: string,
    value: JsonObject,
    expectedVersion: number,
    at: IsoTime,
  ): Promise<StateRecord | null>;
  /** Every record of a kind, ordered by key. */
  listState(kind: string): Promise<StateRecord[]>;

  /** Idempotent. Every other call on a closed store rejects with E_STORE_CLOSED. */
  close(): Promise<void>;
}
