// Waiting for a human's decision on a review, the same way in both modes: poll until it is decided or
// the wait is over. Approved runs the call; rejected or expired is a denial; still pending at the end
// is the pending error the caller would have had without waiting.

import { isPlainObject } from '../engine/index.js';
import { CarapaceDeniedError, CarapaceError, type CarapaceReviewPendingError } from './errors.js';

/** `review` of connectGateway() and openEmbeddedGateway(), checked. */
export interface ReviewWait {
  wait: boolean;
  waitMs: number;
  pollMs: number;
}

/** A review as one poll saw it; `approved` carries what the approved call runs with. */
export type ReviewState<T> =
  | { status: 'pending' }
  | { status: 'approved'; approved: T }
  | { status: 'rejected' | 'expired'; note: string };

/** Checks `review: { wait, timeoutMs?, pollMs? }` (wait 5 min, poll every 1 s by default). */
export function reviewWait(value: unknown, where: string): ReviewWait {
  const bad = (detail: string) => new CarapaceError('E_OPTIONS_INVALID', where, detail);
  if (value === undefined) return { wait: false, waitMs: 0, pollMs: 1000 };
  if (!isPlainObject(value)) throw bad('review: { wait, timeoutMs?, pollMs? }');
  for (const key of Object.keys(value))
    if (!['wait', 'timeoutMs', 'pollMs'].includes(key)) throw bad(`review: unknown field "${key}"`);
  const waitMs = value.timeoutMs ?? 5 * 60 * 1000;
  const pollMs = value.pollMs ?? 1000;
  if (
    !Number.isSafeInteger(waitMs) ||
    (waitMs as number) < 0 ||
    !Number.isSafeInteger(pollMs) ||
    (pollMs as number) <= 0
  )
    throw bad('review: whole milliseconds');
  return { wait: value.wait === true, waitMs: waitMs as number, pollMs: pollMs as number };
}

/**
 * Polls `read` every `pollMs` for up to `waitMs`. Resolves with what the approved review runs with;
 * throws CarapaceDeniedError (E_REVIEW_REJECTED, E_REVIEW_EXPIRED) for a review that will never run,
 * and `pending` itself when the wait ends first.
 */
export async function awaitReviewDecision<T>(
  read: () => Promise<ReviewState<T>>,
  pending: CarapaceReviewPendingError,
  wait: ReviewWait,
): Promise<T> {
  const deadline = Date.now() + wait.waitMs;
  for (;;) {
    const state = await read();
    if (state.status === 'approved') return state.approved;
    if (state.status === 'rejected' || state.status === 'expired')
      throw new CarapaceDeniedError({
        tool: pending.tool,
        decision: 'DENY',
        rule: pending.rule,
        explanation: `review ${pending.reviewId} was ${state.status}${state.note ? `: ${state.note}` : ''}`,
        record: pending.record,
        audit: pending.audit,
        code: state.status === 'rejected' ? 'E_REVIEW_REJECTED' : 'E_REVIEW_EXPIRED',
      });
    const left = deadline - Date.now();
    if (left <= 0) throw pending;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait.pollMs, left)));
  }
}
