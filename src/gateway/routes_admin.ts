// Admin routes: ingestion channels (with their fixed trust level) and principals (keys shown once).

import type { FastifyInstance } from 'fastify';
import { PRINCIPAL_ROLES, TRUST_LEVELS, TRUST_TIERS } from '../store/store.js';
import { requiresAgentDpop } from './security_levels.js';
import { admit, generateApiKey, hashApiKey, principalOf } from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import { isReservedChannel } from './chunks.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { recordTrust } from './identity.js';
import {
  channelCreateSchema,
  NAME,
  policyGetSchema,
  policyReloadSchema,
  principalCreateSchema,
  principalListSchema,
  principalTierSchema,
} from './schemas.js';

export function adminRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  // The schemas validate first; the checks below stay as a second line that needs no schema.
  const admins = admit(ctx, ['admin']);
  app.post(
    '/v1/admin/channels',
    { schema: channelCreateSchema, onRequest: admins },
    async (request, reply) => {
      const admin = principalOf(request);
      const body = strictBody(request.body, ['name', 'trust'], []);
      const name = notReserved(boundedString(body.name, 'name', 64, NAME));
      const trust = oneOf(body.trust, 'trust', TRUST_LEVELS);
      const channel = await ctx.store.createChannel({
        name,
        trust,
        created_by: admin.id,
        created_at: new Date(ctx.now()).toISOString(),
      });
      await auditEvent(ctx, 'admin.channel_created', {
        by: admin.id,
        channel: channel.name,
        trust: channel.trust,
      });
      return reply.code(201).send(channel);
    },
  );

  app.post(
    '/v1/admin/principals',
    { schema: principalCreateSchema, onRequest: admins },
    async (request, reply) => {
      const admin = principalOf(request);
      const body = strictBody(request.body, ['name', 'role'], ['channel', 'tier']);
      const name = boundedString(body.name, 'name', 64, NAME);
      const role = oneOf(body.role, 'role', PRINCIPAL_ROLES);
      const channel =
        body.channel === undefined
          ? undefined
          : notReserved(boundedString(body.channel, 'channel', 64, NAME));
      const tier = body.tier === undefined ? 'T0' : oneOf(body.tier, 'tier', TRUST_TIERS);
      const key = generateApiKey();
      const principal = await ctx.store.createPrincipal({
        id: `${role}:${name}`,
        name,
        role: role,
        api_key_hash: hashApiKey(key),
        ...(channel ? { channel } : {}),
        certified_tier: tier,
        // From SH-2 an agent acts only with DPoP-bound tokens, from its first request.
        ...(role === 'agent' && requiresAgentDpop(ctx.securityLevel) ? { dpop_required: true } : {}),
        created_at: new Date(ctx.now()).toISOString(),
      });
      await auditEvent(ctx, 'admin.principal_created', {
        by: admin.id,
        principal: principal.id,
        role: principal.role,
        channel: channel ?? null,
        tier,
      });
      // The key is in this response and nowhere else: not in the store, the audit log or the logs.
      return reply.code(201).send({
        id: principal.id,
        name,
        role: principal.role,
        channel: channel ?? null,
        certified_tier: tier,
        api_key: key,
      });
    },
  );

  app.post(
    '/v1/admin/principals/:id/tier',
    { schema: principalTierSchema, onRequest: admins },
    async (request) => {
      const admin = principalOf(request);
      const id = boundedString((request.params as { id: unknown }).id, 'id', 200);
      const tier = oneOf(strictBody(request.body, ['tier'], []).tier, 'tier', TRUST_TIERS);
      const before = await ctx.store.getPrincipal(id);
      if (!before) throw new GatewayError(404, 'E_NOT_FOUND', 'no such principal', id);
      const after = await ctx.store.setPrincipalTier(id, tier);
      ctx.identity.principals.clear();
      await auditEvent(ctx, 'admin.tier_set', {
        by: admin.id,
        principal: id,
        from: before.certified_tier,
        to: tier,
      });
      // The certification sets where the runtime score starts, and raises it to that floor.
      await recordTrust(ctx, after, { type: 'certified', tier });
      const { api_key_hash: _hash, ...shown } = after;
      return shown;
    },
  );

  // The policy in force, for the console and the CLI: every rule with the sentence it came from.
  app.get(
    '/v1/policy',
    { schema: policyGetSchema, onRequest: admit(ctx, ['admin', 'auditor', 'approver']) },
    async () => {
      const runtime = ctx.policy;
      if (!runtime) return { enforced: false, policy: null, history: [] };
      return { enforced: true, path: runtime.path, policy: runtime.current, history: runtime.history };
    },
  );

  app.post('/v1/admin/policy/reload', { schema: policyReloadSchema, onRequest: admins }, async () => {
    const runtime = ctx.policy;
    if (!runtime)
      throw new GatewayError(
        409,
        'E_NO_POLICY',
        'no policy file',
        'the gateway was started without --policy',
      );
    const outcome = await runtime.reload().catch((e: Error) => {
      throw new GatewayError(
        503,
        'E_AUDIT_UNAVAILABLE',
        'the audit log cannot record the policy change',
        e.message,
      );
    });
    if (outcome.outcome === 'refused')
      throw new GatewayError(
        422,
        'E_POLICY_COMPILE',
        'the policy does not compile; the one in force stays',
        outcome.errors
          .slice(0, 5)
          .map((e) => `${e.line !== undefined ? `line ${e.line}: ` : ''}${e.detail}`)
          .join('; '),
      );
    return outcome;
  });

  app.get(
    '/v1/admin/principals',
    { schema: principalListSchema, onRequest: admit(ctx, ['admin', 'auditor']) },
    async () => (await ctx.store.listPrincipals()).map(({ api_key_hash: _hash, ...p }) => p),
  );
}

/**
 * The tool-output channels are the gateway's own: no admin creates one, and no principal ingests
 * through one, so a chunk in them is always a tool's output with the trust its name says.
 */
function notReserved(channel: string): string {
  if (isReservedChannel(channel))
    throw new GatewayError(
      403,
      'E_CHANNEL_RESERVED',
      'the tool-output channels are the gateway’s own',
      `${channel}: tool outputs enter through it; ingest through a channel of your own`,
    );
  return channel;
}
