// Human review: approvers list, approve and reject; approval re-evaluates the envelope against the
// current state first. The requesting agent polls its review and, once approved, gets a token bound
// to exactly that envelope, whose id is the review's, so the approved action runs at most once.

import type { FastifyInstance } from 'fastify';
import { REVIEW_STATUSES, type ReviewStatus } from '../store/store.js';
import { tokenForApprovedReview } from './actions.js';
import { admit, principalOf } from './auth.js';
import { boundedString, strictBody } from './body.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { decideReview, findReview } from './reviews.js';
import { MAX_NOTE_CHARS, reviewDecisionSchema, reviewGetSchema, reviewListSchema } from './schemas.js';

export function reviewRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const readers = admit(ctx, ['approver', 'admin', 'auditor']);
  app.get('/v1/reviews', { schema: reviewListSchema, onRequest: readers }, async (request) => {
    const status = (request.query as { status?: string }).status;
    if (status !== undefined && !REVIEW_STATUSES.includes(status as ReviewStatus))
      throw new GatewayError(
        400,
        'E_REQUEST_INVALID',
        'invalid request',
        `status: must be one of ${REVIEW_STATUSES.join(', ')}`,
      );
    await ctx.store.expireReviews(new Date(ctx.now()).toISOString());
    return ctx.store.listReviews(status ? { status: status as ReviewStatus } : {});
  });

  const pollers = admit(ctx, ['agent', 'approver', 'admin', 'auditor']);
  app.get('/v1/reviews/:id', { schema: reviewGetSchema, onRequest: pollers }, async (request) => {
    const principal = principalOf(request);
    const review = await findReview(ctx, (request.params as { id: string }).id);
    if (principal.role === 'agent' && review.agent_id !== principal.id)
      throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', 'an agent sees only its own reviews');
    if (principal.role !== 'agent' || review.status !== 'approved') return { review };
    const { token, expires_at } = await tokenForApprovedReview(ctx, review, principal.dpop_jkt);
    return { review, token, token_expires_at: expires_at };
  });

  for (const verb of ['approve', 'reject'] as const) {
    const approvers = admit(ctx, ['approver']);
    const schema = reviewDecisionSchema(verb);
    app.post(`/v1/reviews/:id/${verb}`, { schema, onRequest: approvers }, async (request, reply) => {
      const body = strictBody(request.body ?? {}, verb === 'reject' ? ['note'] : [], ['note']);
      const note = body.note === undefined ? '' : boundedString(body.note, 'note', MAX_NOTE_CHARS);
      const decided = await decideReview(ctx, principalOf(request), (request.params as { id: string }).id, {
        approve: verb === 'approve',
        note,
      });
      return reply.code(decided.status).send({ outcome: decided.outcome, review: decided.review });
    });
  }
}
