// Admin routes: ingestion channels (with their fixed trust level) and principals (keys shown once).

import type { FastifyInstance } from 'fastify';
import { PRINCIPAL_ROLES, TRUST_LEVELS } from '../store/store.js';
import { admit, generateApiKey, hashApiKey, principalOf } from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import { auditEvent, type GatewayContext } from './context.js';
import { channelCreateSchema, NAME, principalCreateSchema, principalListSchema } from './schemas.js';

export function adminRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  // The schemas validate first; the checks below stay as a second line that needs no schema.
  const admins = admit(ctx.store, ['admin']);
  app.post(
    '/v1/admin/channels',
    { schema: channelCreateSchema, onRequest: admins },
    async (request, reply) => {
      const admin = principalOf(request);
      const body = strictBody(request.body, ['name', 'trust'], []);
      const name = boundedString(body.name, 'name', 64, NAME);
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
      const body = strictBody(request.body, ['name', 'role'], ['channel']);
      const name = boundedString(body.name, 'name', 64, NAME);
      const role = oneOf(body.role, 'role', PRINCIPAL_ROLES);
      const channel =
        body.channel === undefined ? undefined : boundedString(body.channel, 'channel', 64, NAME);
      const key = generateApiKey();
      const principal = await ctx.store.createPrincipal({
        id: `${role}:${name}`,
        name,
        role: role,
        api_key_hash: hashApiKey(key),
        ...(channel ? { channel } : {}),
        created_at: new Date(ctx.now()).toISOString(),
      });
      await auditEvent(ctx, 'admin.principal_created', {
        by: admin.id,
        principal: principal.id,
        role: principal.role,
        channel: channel ?? null,
      });
      // The key is in this response and nowhere else: not in the store, the audit log or the logs.
      return reply
        .code(201)
        .send({ id: principal.id, name, role: principal.role, channel: channel ?? null, api_key: key });
    },
  );

  app.get(
    '/v1/admin/principals',
    { schema: principalListSchema, onRequest: admit(ctx.store, ['admin', 'auditor']) },
    async () => (await ctx.store.listPrincipals()).map(({ api_key_hash: _hash, ...p }) => p),
  );
}
