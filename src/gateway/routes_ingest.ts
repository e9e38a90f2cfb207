// Ingestion: content enters through a channel bound to the calling principal, is stored as a
// content-addressed chunk with the channel's trust (the caller can never set it), is scanned for
// injection, and joins the session of the agent it was shown to.

import type { FastifyInstance } from 'fastify';
import { admit, principalOf } from './auth.js';
import { boundedString, strictBody } from './body.js';
import { registerChunk } from './chunks.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { ingestSchema, MAX_AGENT_ID_CHARS, MAX_CONTENT_CHARS, SESSION } from './schemas.js';

export function ingestRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const ingesters = admit(ctx.store, ['agent', 'service']);
  app.post('/v1/ingest', { schema: ingestSchema, onRequest: ingesters }, async (request, reply) => {
    const principal = principalOf(request);
    if (!principal.channel)
      throw new GatewayError(
        403,
        'E_NO_CHANNEL',
        'no ingestion channel',
        `${principal.id} is bound to no channel; an admin binds principals to channels`,
      );
    const body = strictBody(request.body, ['content'], ['session', 'agent']);
    const content = boundedString(body.content, 'content', MAX_CONTENT_CHARS);
    const session = body.session === undefined ? null : boundedString(body.session, 'session', 128, SESSION);
    // An agent's content joins its own session; a service names the agent it showed the content to.
    let agentId: string | null = principal.role === 'agent' ? principal.id : null;
    if (body.agent !== undefined) {
      if (principal.role !== 'service')
        throw new GatewayError(
          403,
          'E_FORBIDDEN',
          'not allowed for this role',
          'only a service names the agent a chunk was shown to',
        );
      agentId = boundedString(body.agent, 'agent', MAX_AGENT_ID_CHARS);
    }
    if (session && !agentId)
      throw new GatewayError(
        400,
        'E_REQUEST_INVALID',
        'invalid request',
        'session: needs the agent it belongs to',
      );

    const channel = await ctx.store.getChannel(principal.channel);
    if (!channel)
      throw new GatewayError(
        403,
        'E_NO_CHANNEL',
        'no ingestion channel',
        `channel ${principal.channel} does not exist`,
      );
    const { chunk, inserted, matched } = await registerChunk(ctx, channel, content);
    if (session && agentId) await ctx.store.addSessionChunks(session, agentId, [chunk.id]);
    await auditEvent(ctx, 'ingest', {
      by: principal.id,
      chunk: chunk.id,
      channel: chunk.channel,
      trust: chunk.trust,
      injection_suspected: chunk.injection_suspected,
      matched,
      session,
      agent: agentId,
      first_seen: inserted,
    });
    return reply.code(inserted ? 201 : 200).send({ ...chunk, matched });
  });
}
