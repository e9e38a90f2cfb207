// Ingestion channels as the console lists them (creating one is POST /v1/admin/channels).

import type { FastifyInstance } from 'fastify';
import { admit } from './auth.js';
import type { GatewayContext } from './context.js';
import { channelListSchema } from './schemas.js';

export function channelRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get(
    '/v1/admin/channels',
    { schema: channelListSchema, onRequest: admit(ctx, ['admin', 'auditor']) },
    async () => ctx.store.listChannels(),
  );
}
