// Tools the agent runs itself (the SDK's remote mode): POST /v1/redeem spends the token through the
// gateway's gate, for a tool no gateway executor claims, and remembers which agent redeemed it; POST
// /v1/results takes that agent's one result, in time, and records it as every output is recorded.

import { isPlainObject } from '../engine/index.js';
import type { ActionCall } from '../executors/executor.js';
import type { Principal } from '../store/store.js';
import { TokenError } from '../tokens/index.js';
import { auditRef, catalogToolName, type RecordedOutcome, recordFailure, recordOutcome } from './actions.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { REVIEW_ID } from './reviews.js';
import { DEFAULT_EXECUTOR_TIMEOUT_MS, peekToken, tokenRefusalStatus } from './token_gate.js';

/** Who ran a tool whose result came to POST /v1/results, in the audit log. */
export const CLIENT_EXECUTOR = 'client';

/** What POST /v1/redeem answers: the run the gateway now waits on. */
export interface ClientRedemption {
  jti: string;
  /** The catalog's tool name. */
  tool: string;
  /** The arguments the token binds: the function runs with exactly these. */
  args: Record<string, unknown>;
  /** The session the output will join. */
  session: string | null;
  /** A result at or after this time is refused. */
  result_due: string;
  /** The same bound as a duration, for a caller whose clock is not the gateway's. */
  result_within_ms: number;
}

/**
 * Redeems `token` for a tool the caller runs itself. 409 E_TOOL_HAS_EXECUTOR (nothing redeemed) when a
 * gateway executor claims the tool: its token is redeemed at POST /v1/execute, where that executor
 * acts. 403 for a token the gate refuses (audited), 409 E_SESSION_MISMATCH for a session other than an
 * approved review's. The result is due within the time a gateway executor would get.
 */
export async function redeemForClient(
  ctx: GatewayContext,
  agent: Principal,
  body: { token: string; tool: string; args: Record<string, unknown>; session?: string },
): Promise<ClientRedemption> {
  const tool = catalogToolName(ctx, body.tool);
  const claimedBy = ctx.executors.describe()[tool];
  if (claimedBy !== undefined)
    throw new GatewayError(
      409,
      'E_TOOL_HAS_EXECUTOR',
      'the gateway runs this tool in an executor of its own',
      `${tool} runs on executor ${claimedBy}: redeem its token at POST /v1/execute; nothing was redeemed`,
    );
  const call: ActionCall = { agentId: agent.id, tool, args: body.args };
  const session = await redemptionSession(ctx, agent, body.token, call, body.session);
  let jti: string;
  try {
    // Verified for exactly this call, spent once, and `execution` durable in the log.
    jti = (await ctx.gate(body.token, call)).jti;
  } catch (e) {
    if (e instanceof TokenError)
      throw new GatewayError(tokenRefusalStatus(e), e.code, 'redemption refused', e.message);
    throw e;
  }
  const now = ctx.now();
  const within = ctx.executorTimeoutMs ?? DEFAULT_EXECUTOR_TIMEOUT_MS;
  const due = new Date(now + within).toISOString();
  try {
    await ctx.store.createClientRun({
      jti,
      agent_id: agent.id,
      tool,
      ...(session !== null ? { session } : {}),
      redeemed_at: new Date(now).toISOString(),
      result_due: due,
    });
  } catch (e) {
    // The token is spent, but no result could ever be taken: the tool must not run, and the log says so.
    const reason = `the run could not be stored, so the tool must not run: ${(e as Error).message}`;
    await recordFailure(ctx, agent, {
      jti,
      tool,
      executor: CLIENT_EXECUTOR,
      code: 'E_RUN_UNRECORDED',
      reason,
    });
    throw new GatewayError(503, 'E_RUN_UNRECORDED', 'the redemption cannot be followed by a result', reason);
  }
  return { jti, tool, args: body.args, session, result_due: due, result_within_ms: within };
}

/**
 * Takes the one result of a run this agent redeemed at POST /v1/redeem: an output (recorded by
 * recordOutcome: output rules, redaction with the defaults, the policy's and `redact`, a chunk of the
 * decision's session) or an error (`execution.failed`). 404 for a run that is not this agent's, 409
 * E_RESULT_RECORDED for a second result, 409 E_RESULT_OVERDUE (recorded as failed) for a late one.
 */
export async function recordClientResult(
  ctx: GatewayContext,
  agent: Principal,
  body: {
    jti: string;
    outcome: { output: unknown } | { error: { code: string; message: string } };
    redact?: readonly string[];
  },
): Promise<RecordedOutcome> {
  const closed = await ctx.store.closeClientRun(body.jti, agent.id, new Date(ctx.now()).toISOString());
  const run = closed.run;
  if (closed.outcome === 'not_found' || run === null)
    throw new GatewayError(404, 'E_NOT_FOUND', 'no such run', 'no run this agent redeemed has this jti');
  if (closed.outcome === 'already_closed')
    throw new GatewayError(
      409,
      'E_RESULT_RECORDED',
      'this run already has its result',
      `run ${run.jti} was closed at ${run.closed_at ?? 'an earlier time'}`,
    );
  const about = { jti: run.jti, tool: run.tool, executor: CLIENT_EXECUTOR };
  if (closed.outcome === 'overdue') {
    const reason = `the result came after ${run.result_due}; the run is closed and its output not taken`;
    await recordFailure(ctx, agent, { ...about, code: 'E_RESULT_OVERDUE', reason });
    throw new GatewayError(409, 'E_RESULT_OVERDUE', 'the result came too late', reason);
  }
  if ('error' in body.outcome) {
    const { code, message } = body.outcome.error;
    const done = await recordFailure(ctx, agent, { ...about, code, reason: message });
    return { result: null, output_chunk: null, chunk: null, audit: auditRef(done) };
  }
  return recordOutcome(ctx, agent, {
    ...about,
    outcome: body.outcome.output,
    session: run.session ?? null,
    ...(body.redact !== undefined ? { redact: body.redact } : {}),
  });
}

/**
 * The session a redeemed action's output joins. An approved review's token (its id is the review's)
 * joins the reviewed envelope's session, and naming another is refused before anything is redeemed
 * (409 E_SESSION_MISMATCH). Any other token's output joins the session the agent names, the one its
 * envelope named: the token does not carry the session, and keeping one per allowed action would cost
 * a durable write on every decision.
 */
export async function redemptionSession(
  ctx: GatewayContext,
  agent: Principal,
  token: string,
  call: ActionCall,
  named: string | undefined,
): Promise<string | null> {
  const claims = await peekToken(ctx, token, call);
  if (claims && REVIEW_ID.test(claims.jti)) {
    const review = await ctx.store.getReview(claims.jti);
    if (review && review.agent_id === agent.id) {
      const session = typeof review.envelope.session === 'string' ? review.envelope.session : null;
      if (named !== undefined && named !== session)
        throw new GatewayError(
          409,
          'E_SESSION_MISMATCH',
          'the output joins the reviewed envelope’s session',
          `review ${review.id} was of session ${session ?? '(none)'}, not ${named}; nothing was redeemed`,
        );
      return session;
    }
  }
  return named ?? null;
}

/** A body's arguments as the object the token binds (the schema already requires an object). */
export function argsObject(value: unknown): Record<string, unknown> {
  if (!isPlainObject(value))
    throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'args: must be an object');
  return value;
}
