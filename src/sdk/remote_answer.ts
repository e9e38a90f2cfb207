// Reading the gateway's answers to the SDK. Nothing in an answer is trusted to have a shape: each one
// is checked field by field, and an answer that is not exactly what the route promises (a decision
// without a record, an ALLOW without a token, a record about another call) is refused, so the
// function does not run on a misread answer.

import { type DecisionRecord, isDecision, isPlainObject } from '../engine/index.js';
import { REVIEW_ID } from '../gateway/reviews.js';
import { MAX_TOKEN_CHARS } from '../tokens/index.js';
import type { GatewayAnswer } from './gateway_http.js';
import { type AuditRef, CarapaceError } from './errors.js';

/** POST /v1/actions, read. */
export type ProposalAnswer = {
  rule: string;
  explanation: string;
  audit: AuditRef;
  record: DecisionRecord;
} & (
  | { decision: 'ALLOW'; token: string; args: Record<string, unknown> }
  | { decision: 'HUMAN_REVIEW'; review: { id: string; expires_at: string } }
  | { decision: 'DENY' | 'QUARANTINE' }
);

/** What a token id looks like (the results route takes no other). */
const JTI = /^[A-Za-z0-9_-]{16,128}$/;

function invalid(where: string, detail: string): CarapaceError {
  return new CarapaceError(
    'E_GATEWAY_ANSWER_INVALID',
    'the gateway answer is not what the SDK can act on; the action was not run',
    `${where}: ${detail}`,
  );
}

/** Reads the answer to proposing `sent` (the envelope's tool and args as sent). */
export function readProposal(
  answer: GatewayAnswer,
  sent: { tool: string; args: Record<string, unknown> },
): ProposalAnswer {
  const where = 'POST /v1/actions';
  const b = answer.body;
  if (!isDecision(b.decision)) throw invalid(where, 'decision: not a decision');
  if (typeof b.rule !== 'string' || typeof b.explanation !== 'string')
    throw invalid(where, 'rule and explanation: must be strings');
  const audit = readAudit(b.audit, where);
  const record = b.record;
  if (!isPlainObject(record) || !isDecision(record.decision))
    throw invalid(where, 'record: not a decision record');
  const envelope = isPlainObject(record.request) ? record.request.envelope : undefined;
  if (!isPlainObject(envelope) || envelope.tool !== sent.tool)
    throw invalid(where, 'record: decides a call of another tool');
  const base = {
    rule: b.rule,
    explanation: b.explanation,
    audit,
    record: record as unknown as DecisionRecord,
  };

  if (b.decision === 'HUMAN_REVIEW') {
    if (answer.status !== 202) throw invalid(where, `HUMAN_REVIEW with HTTP ${answer.status}, not 202`);
    const review = b.review;
    if (!isPlainObject(review) || typeof review.id !== 'string' || !REVIEW_ID.test(review.id))
      throw invalid(where, 'review.id: not a review id');
    if (typeof review.expires_at !== 'string') throw invalid(where, 'review.expires_at: not a time');
    return { ...base, decision: 'HUMAN_REVIEW', review: { id: review.id, expires_at: review.expires_at } };
  }
  if (answer.status !== 200) throw invalid(where, `${b.decision} with HTTP ${answer.status}, not 200`);
  if (b.decision === 'ALLOW') {
    if (typeof b.token !== 'string' || b.token.length === 0 || b.token.length > MAX_TOKEN_CHARS)
      throw invalid(where, 'token: an ALLOW carries an execution token');
    // The arguments the token binds: the ones sent, unless the policy redacted some of them.
    if (b.args !== undefined && !isPlainObject(b.args)) throw invalid(where, 'args: not an object');
    return {
      ...base,
      decision: 'ALLOW',
      token: b.token,
      args: (b.args as Record<string, unknown>) ?? sent.args,
    };
  }
  return { ...base, decision: b.decision };
}

function readAudit(value: unknown, where: string): AuditRef {
  if (
    !isPlainObject(value) ||
    !Number.isSafeInteger(value.seq) ||
    (value.seq as number) < 0 ||
    typeof value.hash !== 'string'
  )
    throw invalid(where, 'audit: not {seq, hash}');
  return { seq: value.seq as number, hash: value.hash };
}

/** POST /v1/redeem, read: the run the gateway now waits on, and how long it waits for its result. */
export function readRedemption(answer: GatewayAnswer): { jti: string; resultWithinMs: number } {
  const where = 'POST /v1/redeem';
  const b = answer.body;
  if (typeof b.jti !== 'string' || !JTI.test(b.jti)) throw invalid(where, 'jti: not a token id');
  if (!Number.isSafeInteger(b.result_within_ms) || (b.result_within_ms as number) <= 0)
    throw invalid(where, 'result_within_ms: not a positive whole number');
  return { jti: b.jti, resultWithinMs: b.result_within_ms as number };
}

/** POST /v1/results, read: the output as the caller may see it, or why it is withheld. */
export function readResult(answer: GatewayAnswer): {
  result: unknown;
  withheld: { code: 'E_OUTPUT_NOT_JSON' | 'E_OUTPUT_WITHHELD'; reason: string } | null;
  audit: AuditRef;
} {
  const where = 'POST /v1/results';
  const b = answer.body;
  const audit = readAudit(b.audit, where);
  if (!('result' in b)) throw invalid(where, 'result: missing');
  if (b.withheld === undefined) return { result: b.result, withheld: null, audit };
  const w = b.withheld;
  if (!isPlainObject(w) || (w.code !== 'E_OUTPUT_NOT_JSON' && w.code !== 'E_OUTPUT_WITHHELD'))
    throw invalid(where, 'withheld: not {code, reason}');
  return {
    result: null,
    withheld: { code: w.code, reason: typeof w.reason === 'string' ? w.reason.slice(0, 1024) : '' },
    audit,
  };
}

/** GET /v1/reviews/:id, read. */
export type ReviewAnswer =
  | { status: 'pending' }
  | { status: 'approved'; token: string; args: Record<string, unknown>; tool: string }
  | { status: 'rejected' | 'expired'; note: string };

export function readReview(answer: GatewayAnswer, id: string): ReviewAnswer {
  const where = `GET /v1/reviews/${id}`;
  const review = answer.body.review;
  if (!isPlainObject(review) || review.id !== id) throw invalid(where, 'review: not this review');
  const status = review.status;
  if (status === 'pending') return { status };
  if (status === 'rejected' || status === 'expired') {
    return { status, note: typeof review.note === 'string' ? review.note.slice(0, 1024) : '' };
  }
  if (status !== 'approved') throw invalid(where, 'review.status: not a review status');
  const token = answer.body.token;
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS)
    throw invalid(where, 'token: an approved review carries an execution token');
  const envelope = review.envelope;
  if (!isPlainObject(envelope) || typeof envelope.tool !== 'string' || !isPlainObject(envelope.args))
    throw invalid(where, 'review.envelope: not the reviewed call');
  return { status, token, args: envelope.args, tool: envelope.tool };
}
