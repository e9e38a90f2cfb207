// The action routes. /v1/decide answers what would happen; /v1/actions decides, records the decision
// durably, and then mints a token (ALLOW), opens a review (HUMAN_REVIEW) or refuses (DENY, QUARANTINE);
// /v1/execute redeems a token once and runs the bound action in the gateway's executor; /v1/redeem
// redeems it for a tool the agent runs itself, whose result comes to /v1/results. No token, no action.

import type { FastifyInstance } from 'fastify';
import { isPlainObject } from '../engine/index.js';
import { catalogToolName, executeAction, executionAnswer, proposeAction } from './actions.js';
import { admit, principalOf } from './auth.js';
import { boundedString, strictBody } from './body.js';
import { argsObject, recordClientResult, redeemForClient, redemptionSession } from './client_runs.js';
import { decideForAgent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { policySummary } from './policy_stage.js';
import {
  actionSchema,
  decideSchema,
  executeSchema,
  MAX_ERROR_MESSAGE_CHARS,
  redeemSchema,
  RESULTS_BODY_LIMIT_BYTES,
  resultsSchema,
  SESSION,
} from './schemas.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function actionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const agents = admit(ctx, ['agent']);
  app.post('/v1/decide', { schema: decideSchema, onRequest: agents }, async (request, reply) => {
    const { json, inspect, policy, final } = await decideForAgent(ctx, principalOf(request), request.body);
    ctx.metrics.countDecision(final.decision, final.rule);
    // The stages beside the engine, when they ran: what the inspect stage found, the policy's verdict
    // (nothing is spent: this only answers what would happen), and the final verdict.
    const stages = {
      ...(inspect.decision !== 'ALLOW' ? { inspect } : {}),
      ...(policy ? { policy: policySummary(policy) } : {}),
    };
    const prefix =
      Object.keys(stages).length > 0 ? `${JSON.stringify({ ...stages, final }).slice(1, -1)},` : '';
    return reply.type(JSON_TYPE).send(`{${prefix}"record":${json.json}}`);
  });

  app.post('/v1/actions', { schema: actionSchema, onRequest: agents }, async (request, reply) => {
    const { status, fields, decided } = await proposeAction(ctx, principalOf(request), request.body);
    // The record goes out as the canonical text already made for the audit entry, not serialised again.
    return reply
      .code(status)
      .type(JSON_TYPE)
      .send(`${JSON.stringify(fields).slice(0, -1)},"record":${decided.json.json}}`);
  });

  app.post('/v1/execute', { schema: executeSchema, onRequest: agents }, async (request) => {
    const agent = principalOf(request);
    const { token, tool, args, session } = redemptionBody(request.body);
    const output = {
      session: await redemptionSession(
        ctx,
        agent,
        token,
        { agentId: agent.id, tool: catalogToolName(ctx, tool), args: isPlainObject(args) ? args : {} },
        session,
      ),
    };
    return executionAnswer(await executeAction(ctx, agent, { token, tool, args }, output));
  });

  app.post('/v1/redeem', { schema: redeemSchema, onRequest: agents }, async (request) => {
    const { token, tool, args, session } = redemptionBody(request.body);
    return redeemForClient(ctx, principalOf(request), {
      token,
      tool,
      args: argsObject(args),
      ...(session !== undefined ? { session } : {}),
    });
  });

  app.post(
    '/v1/results',
    { schema: resultsSchema, onRequest: agents, bodyLimit: RESULTS_BODY_LIMIT_BYTES },
    async (request) => {
      const body = strictBody(request.body, ['jti'], ['output', 'error', 'redact']);
      const jti = boundedString(body.jti, 'jti', 128, /^[A-Za-z0-9_-]{16,128}$/);
      if ((body.output === undefined) === (body.error === undefined))
        throw new GatewayError(
          400,
          'E_REQUEST_INVALID',
          'invalid request',
          'give exactly one of output and error',
        );
      let outcome: Parameters<typeof recordClientResult>[2]['outcome'];
      if (body.error !== undefined) {
        const error = strictBody(body.error, ['code', 'message'], []);
        outcome = {
          error: {
            code: boundedString(error.code, 'error.code', 64),
            message: typeof error.message === 'string' ? error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) : '',
          },
        };
      } else outcome = { output: body.output };
      const redact = Array.isArray(body.redact) ? (body.redact as string[]) : undefined;
      const recorded = await recordClientResult(ctx, principalOf(request), {
        jti,
        outcome,
        ...(redact !== undefined ? { redact } : {}),
      });
      return executionAnswer(recorded);
    },
  );
}

/** {token, tool, args, session?}, as /v1/execute and /v1/redeem take it. */
function redemptionBody(raw: unknown): {
  token: string;
  tool: string;
  args: unknown;
  session: string | undefined;
} {
  const body = strictBody(raw, ['token', 'tool', 'args'], ['session']);
  if (typeof body.token !== 'string' || typeof body.tool !== 'string')
    throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'token and tool must be strings');
  return {
    token: body.token,
    tool: body.tool,
    args: body.args,
    session: body.session === undefined ? undefined : boundedString(body.session, 'session', 128, SESSION),
  };
}
