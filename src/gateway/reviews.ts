// Human review (DESIGN.md §5) as the gateway decides it, for the review routes and the SDK's embedded
// approver alike: an approver (never the requesting agent) approves or rejects; an approval is checked
// against what holds now first, and the one that completes it spends the policy's limits once.

import type { Principal, Review, ReviewOutcome } from '../store/store.js';
import { auditEvent, decideForAgent, type GatewayContext, spendPolicyCounters } from './context.js';
import { GatewayError } from './gateway_error.js';
import { recordTrust } from './identity.js';

export const REVIEW_ID = /^rev_[0-9a-f]{32}$/;

/** The review `id`, expired first if its time is up; 404 for an id that is not a review. */
export async function findReview(ctx: GatewayContext, id: string): Promise<Review> {
  if (!REVIEW_ID.test(id))
    throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', `${id.slice(0, 64)} is not a review id`);
  await ctx.store.expireReviews(new Date(ctx.now()).toISOString());
  const review = await ctx.store.getReview(id);
  if (!review) throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', id);
  return review;
}

const OUTCOME_STATUS: Partial<Record<ReviewOutcome, 200 | 202>> = {
  approved: 200,
  rejected: 200,
  pending_second_approval: 202,
};
const REFUSED_STATUS: Partial<Record<ReviewOutcome, number>> = {
  conflict: 409,
  expired: 409,
  not_found: 404,
};

export interface ReviewDecided {
  /** 202 while a second approver is needed. */
  status: 200 | 202;
  outcome: ReviewOutcome;
  review: Review | null;
}

/**
 * `approver` approves or rejects review `id`, with `note`; audited as `review.decision`. An approval is
 * first decided again for the agent as it stands now (revocations, new taint in its session, a changed
 * policy or ruleset): one that would now be refused is recorded as a rejection and answered 409
 * E_REVIEW_REEVALUATED. The approval that completes the review spends the policy's limits, and a full
 * window refuses it the same way. Throws GatewayError: 403 for a principal that is not an enabled
 * approver, 404 for no such review, 409 for one decided, expired, already approved by this approver,
 * or requested by the approver itself.
 */
export async function decideReview(
  ctx: GatewayContext,
  approver: Principal,
  id: string,
  decision: { approve: boolean; note: string },
): Promise<ReviewDecided> {
  if (approver.role !== 'approver' || approver.disabled)
    throw new GatewayError(
      403,
      'E_FORBIDDEN',
      'not allowed for this role',
      `${approver.id} is not an enabled approver`,
    );
  const review = await findReview(ctx, id);
  const verb = decision.approve ? 'approve' : 'reject';
  let approve = decision.approve;
  let recordedNote = decision.note;
  let reevaluation: string | null = null;
  if (approve && review.status === 'pending') {
    const agent = await ctx.store.getPrincipal(review.agent_id);
    const again =
      agent && !agent.disabled && agent.revoked_at === undefined
        ? await decideForAgent(ctx, agent, { envelope: review.envelope })
        : null;
    const completes = review.approvals.length + 1 >= review.required_approvals;
    if (completes && again && again.final.decision !== 'DENY' && again.final.decision !== 'QUARANTINE')
      await spendPolicyCounters(ctx, again);
    const now = again?.final ?? null;
    if (!now || now.decision === 'DENY' || now.decision === 'QUARANTINE') {
      reevaluation = now
        ? `${now.decision} by ${now.rule}: ${now.explanation}`
        : 'the requesting agent is disabled or revoked';
      approve = false;
      recordedNote = `re-evaluation refused the approval: ${reevaluation}`;
    }
  }
  const result = await ctx.store.recordReviewDecision(review.id, {
    approver: approver.id,
    approve,
    note: recordedNote,
    at: new Date(ctx.now()).toISOString(),
  });
  await auditEvent(ctx, 'review.decision', {
    review: review.id,
    approver: approver.id,
    verb,
    note: decision.note,
    outcome: result.outcome,
    reevaluation,
  });
  // A person's rejection lowers the requesting agent's trust; a re-evaluation's does not count twice.
  if (result.outcome === 'rejected' && reevaluation === null) {
    const agent = await ctx.store.getPrincipal(review.agent_id);
    if (agent) await recordTrust(ctx, agent, { type: 'review_rejected' });
  }
  if (reevaluation !== null && result.outcome === 'rejected')
    throw new GatewayError(409, 'E_REVIEW_REEVALUATED', 'the action is no longer allowed', reevaluation);
  const status = OUTCOME_STATUS[result.outcome];
  if (status === undefined)
    throw new GatewayError(
      REFUSED_STATUS[result.outcome] ?? 500,
      `E_REVIEW_${result.outcome.toUpperCase()}`,
      `review ${result.outcome.replaceAll('_', ' ')}`,
      `review ${review.id} is ${result.review?.status ?? 'unknown'}`,
    );
  return { status, outcome: result.outcome, review: result.review };
}
