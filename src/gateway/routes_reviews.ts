// Human review: approvers list, approve and reject; approval re-evaluates the envelope against the
// current state first. The requesting agent polls its review and, once approved, gets a token bound
// to exactly that envelope, whose id is the review's, so the approved action runs at most once.

import type { FastifyInstance } from 'fastify';
import { REVIEW_STATUSES, type Review, type ReviewStatus } from '../store/store.js';
import { mintExecutionToken } from '../tokens/index.js';
import { admit, principalOf } from './auth.js';
import { boundedString, strictBody } from './body.js';
import { auditEvent, decideForAgent, type GatewayContext, spendPolicyCounters } from './context.js';
import { GatewayError } from './gateway_error.js';
import { MAX_NOTE_CHARS, reviewDecisionSchema, reviewGetSchema, reviewListSchema } from './schemas.js';

const OUTCOME_STATUS: Record<string, number> = {
  approved: 200,
  rejected: 200,
  pending_second_approval: 202,
  conflict: 409,
  expired: 409,
  not_found: 404,
};

export function reviewRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const readers = admit(ctx.store, ['approver', 'admin', 'auditor']);
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

  const pollers = admit(ctx.store, ['agent', 'approver', 'admin', 'auditor']);
  app.get('/v1/reviews/:id', { schema: reviewGetSchema, onRequest: pollers }, async (request) => {
    const principal = principalOf(request);
    const review = await findReview(ctx, (request.params as { id: string }).id);
    if (principal.role === 'agent' && review.agent_id !== principal.id)
      throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', 'an agent sees only its own reviews');
    if (principal.role !== 'agent' || review.status !== 'approved') return { review };
    const envelope = review.envelope as { tool: string; args: unknown };
    const { token, claims } = await mintExecutionToken({
      key: ctx.tokenKey,
      agentId: review.agent_id,
      tool: ctx.engine.catalog.tools.get(envelope.tool)?.name ?? envelope.tool,
      args: envelope.args,
      decisionHash: review.decision_record_hash,
      rulesetHash: ctx.engine.ruleset.hash,
      now: ctx.now(),
      ttlMs: ctx.tokenTtlMs,
      jti: review.id,
    });
    return { review, token, token_expires_at: new Date(claims.exp_ms).toISOString() };
  });

  for (const verb of ['approve', 'reject'] as const) {
    const approvers = admit(ctx.store, ['approver']);
    const schema = reviewDecisionSchema(verb);
    app.post(`/v1/reviews/:id/${verb}`, { schema, onRequest: approvers }, async (request, reply) => {
      const approver = principalOf(request);
      const body = strictBody(request.body ?? {}, verb === 'reject' ? ['note'] : [], ['note']);
      const note = body.note === undefined ? '' : boundedString(body.note, 'note', MAX_NOTE_CHARS);
      const review = await findReview(ctx, (request.params as { id: string }).id);

      let approve = verb === 'approve';
      let recordedNote = note;
      let reevaluation: string | null = null;
      if (approve && review.status === 'pending') {
        // Re-evaluate against what holds now (revocations, new taint in the session, a changed ruleset).
        const agent = await ctx.store.getPrincipal(review.agent_id);
        const again =
          agent && !agent.disabled ? await decideForAgent(ctx, agent, { envelope: review.envelope }) : null;
        // An approved action spends its policy's rate limits and budgets now, once; a full window refuses.
        const completes = review.approvals.length + 1 >= review.required_approvals;
        if (completes && again && again.final.decision !== 'DENY' && again.final.decision !== 'QUARANTINE')
          await spendPolicyCounters(ctx, again);
        const now = again?.final ?? null;
        if (!now || now.decision === 'DENY' || now.decision === 'QUARANTINE') {
          reevaluation = now
            ? `${now.decision} by ${now.rule}: ${now.explanation}`
            : 'the requesting agent is disabled';
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
        note,
        outcome: result.outcome,
        reevaluation,
      });
      if (reevaluation !== null && result.outcome === 'rejected')
        throw new GatewayError(409, 'E_REVIEW_REEVALUATED', 'the action is no longer allowed', reevaluation);
      const status = OUTCOME_STATUS[result.outcome] ?? 500;
      if (status >= 400)
        throw new GatewayError(
          status,
          `E_REVIEW_${result.outcome.toUpperCase()}`,
          `review ${result.outcome.replaceAll('_', ' ')}`,
          `review ${review.id} is ${result.review?.status ?? 'unknown'}`,
        );
      return reply.code(status).send({ outcome: result.outcome, review: result.review });
    });
  }
}

async function findReview(ctx: GatewayContext, id: string): Promise<Review> {
  if (!/^rev_[0-9a-f]{32}$/.test(id))
    throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', `${id} is not a review id`);
  await ctx.store.expireReviews(new Date(ctx.now()).toISOString());
  const review = await ctx.store.getReview(id);
  if (!review) throw new GatewayError(404, 'E_NOT_FOUND', 'no such review', id);
  return review;
}
