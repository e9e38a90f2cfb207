// The review state machine, pure, so every engine applies the same rules: an engine reads the row
// under a write lock, calls nextReviewState, and writes `next` back in the same transaction.

import type { Review, ReviewDecision, ReviewOutcome } from './store.js';

export interface ReviewTransition {
  outcome: Exclude<ReviewOutcome, 'not_found'>;
  /** The review to store, or null when nothing changes. */
  next: Review | null;
}

/**
 * Rules, in order:
 * 1. approved or rejected: 'conflict' (a review is decided once);
 * 2. already expired, or the decision comes at or after expires_at: 'expired' (a pending review is
 *    marked expired, decided_at = expires_at);
 * 3. the requesting agent decides its own review: 'conflict';
 * 4. reject: 'rejected' (any approver, at any point while pending);
 * 5. approve by an approver who already approved: 'conflict';
 * 6. approve: 'approved' once required_approvals distinct approvers approved, else 'pending_second_approval'.
 */
export function nextReviewState(review: Review, decision: ReviewDecision): ReviewTransition {
  if (review.status === 'approved' || review.status === 'rejected')
    return { outcome: 'conflict', next: null };
  if (review.status === 'expired') return { outcome: 'expired', next: null };
  if (decision.at >= review.expires_at) return { outcome: 'expired', next: expiredReview(review) };
  if (decision.approver === review.agent_id) return { outcome: 'conflict', next: null };
  if (!decision.approve)
    return {
      outcome: 'rejected',
      next: {
        ...review,
        status: 'rejected',
        decided_by: decision.approver,
        decided_at: decision.at,
        note: decision.note,
      },
    };
  if (review.approvals.some((a) => a.approver === decision.approver))
    return { outcome: 'conflict', next: null };
  const approvals = [
    ...review.approvals,
    { approver: decision.approver, at: decision.at, note: decision.note },
  ];
  if (approvals.length < review.required_approvals)
    return { outcome: 'pending_second_approval', next: { ...review, approvals } };
  return {
    outcome: 'approved',
    next: {
      ...review,
      approvals,
      status: 'approved',
      decided_by: decision.approver,
      decided_at: decision.at,
      note: decision.note,
    },
  };
}

/** A pending review past its expiry, as stored: no decider, decided_at = expires_at. */
export function expiredReview(review: Review): Review {
  return { ...review, status: 'expired', decided_at: review.expires_at };
}
