// The action routes. /v1/decide answers what would happen; /v1/actions decides, records the decision
// durably, and then mints a token (ALLOW), opens a review (HUMAN_REVIEW) or refuses (DENY, QUARANTINE);
// /v1/execute redeems a token once and runs the bound action. No token, no action.

import type { FastifyInstance } from 'fastify';
import { executeAction, proposeAction } from './actions.js';
import { admit, principalOf } from './auth.js';
import { strictBody } from './body.js';
import { decideForAgent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { policySummary } from './policy_stage.js';
import { actionSchema, decideSchema, executeSchema } from './schemas.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function actionRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const agents = admit(ctx.store, ['agent']);
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
    const body = strictBody(request.body, ['token', 'tool', 'args'], []);
    if (typeof body.token !== 'string' || typeof body.tool !== 'string')
      throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', 'token and tool must be strings');
    return executeAction(ctx, principalOf(request), { token: body.token, tool: body.tool, args: body.args });
  });
}
