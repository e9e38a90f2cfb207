// The SDK's errors: one base class with a stable `code` to branch on, and two kinds that carry a
// decision. Every error says whether the guarded function ran (`executed`), so a caller never has to
// guess whether an effect may have happened.

import type { DecisionRecord } from '../engine/index.js';

export type CarapaceErrorCode =
  /** The action was denied or quarantined (CarapaceDeniedError). */
  | 'E_ACTION_DENIED'
  /** The action waits for a person (CarapaceReviewPendingError). */
  | 'E_REVIEW_PENDING'
  /** The review was rejected or expired (CarapaceDeniedError, no new record). */
  | 'E_REVIEW_REJECTED'
  | 'E_REVIEW_EXPIRED'
  /** The gateway could not be reached, did not answer in time, or answered what the SDK cannot read. */
  | 'E_GATEWAY_UNREACHABLE'
  | 'E_GATEWAY_TIMEOUT'
  | 'E_GATEWAY_ANSWER_INVALID'
  /** The gateway answered with an error of its own; `detail` starts with its code. */
  | 'E_GATEWAY_REFUSED'
  /** The call's arguments or context are not what an envelope can carry. */
  | 'E_CALL_INVALID'
  /** guard() or a gateway constructor was given options it cannot honour. */
  | 'E_OPTIONS_INVALID'
  /** The embedded gateway cannot record (the audit log failed) or is closed. */
  | 'E_AUDIT_UNAVAILABLE'
  | 'E_GATEWAY_CLOSED'
  /** The function ran; its output is not JSON, or the policy withheld it, or it took too long. */
  | 'E_OUTPUT_NOT_JSON'
  | 'E_OUTPUT_WITHHELD'
  | 'E_TOOL_TIMEOUT';

/** Anything the SDK refuses. Unless `executed` is true, the guarded function was not called. */
export class CarapaceError extends Error {
  readonly code: CarapaceErrorCode;
  readonly detail: string;
  /** True when the guarded function was called (its effect may have happened). */
  readonly executed: boolean;

  constructor(code: CarapaceErrorCode, message: string, detail = '', executed = false) {
    super(message);
    this.name = 'CarapaceError';
    this.code = code;
    this.detail = detail;
    this.executed = executed;
  }
}

/** Where a decision was recorded: the audit entry's sequence number and hash. */
export interface AuditRef {
  seq: number;
  hash: string;
}

/** A DENY or QUARANTINE (or a refused review): the function was not called. */
export class CarapaceDeniedError extends CarapaceError {
  readonly decision: 'DENY' | 'QUARANTINE';
  /** The rule that decided: an engine rule (R1..R9), a policy rule id, or an inspect rule. */
  readonly rule: string;
  readonly explanation: string;
  /** The decision record (arguments holding credentials are replaced in it), or null for a review outcome. */
  readonly record: DecisionRecord | null;
  readonly audit: AuditRef | null;
  readonly tool: string;

  constructor(fields: {
    tool: string;
    decision: 'DENY' | 'QUARANTINE';
    rule: string;
    explanation: string;
    record: DecisionRecord | null;
    audit: AuditRef | null;
    code?: 'E_ACTION_DENIED' | 'E_REVIEW_REJECTED' | 'E_REVIEW_EXPIRED';
  }) {
    const verb = fields.decision === 'QUARANTINE' ? 'quarantined' : 'denied';
    super(
      fields.code ?? 'E_ACTION_DENIED',
      `Carapace ${verb} ${fields.tool} (${fields.rule}): ${fields.explanation}`,
      fields.explanation,
    );
    this.name = 'CarapaceDeniedError';
    this.tool = fields.tool;
    this.decision = fields.decision;
    this.rule = fields.rule;
    this.explanation = fields.explanation;
    this.record = fields.record;
    this.audit = fields.audit;
  }
}

/** A HUMAN_REVIEW: the function was not called; an approver may allow the action under `reviewId`. */
export class CarapaceReviewPendingError extends CarapaceError {
  readonly decision = 'HUMAN_REVIEW' as const;
  readonly reviewId: string;
  /** ISO 8601: when the review expires unanswered. */
  readonly expiresAt: string;
  readonly rule: string;
  readonly explanation: string;
  readonly record: DecisionRecord | null;
  readonly audit: AuditRef | null;
  readonly tool: string;

  constructor(fields: {
    tool: string;
    reviewId: string;
    expiresAt: string;
    rule: string;
    explanation: string;
    record: DecisionRecord | null;
    audit: AuditRef | null;
  }) {
    super(
      'E_REVIEW_PENDING',
      `Carapace is holding ${fields.tool} for human review ${fields.reviewId} (${fields.rule}): ${fields.explanation}`,
      fields.explanation,
    );
    this.name = 'CarapaceReviewPendingError';
    this.tool = fields.tool;
    this.reviewId = fields.reviewId;
    this.expiresAt = fields.expiresAt;
    this.rule = fields.rule;
    this.explanation = fields.explanation;
    this.record = fields.record;
    this.audit = fields.audit;
  }
}
