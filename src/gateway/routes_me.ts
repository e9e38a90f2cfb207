// Who the caller is: the console signs in with a key and shows what the key's role may use (and refuses
// agent and service keys, which are for calling the API, not for operating it).

import type { FastifyInstance } from 'fastify';
import { PRINCIPAL_ROLES } from '../store/store.js';
import { admit, principalOf } from './auth.js';
import type { GatewayContext } from './context.js';
import { meSchema } from './schemas.js';

export function meRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/me', { schema: meSchema, onRequest: admit(ctx, PRINCIPAL_ROLES) }, async (request) => {
    const { api_key_hash: _hash, ...principal } = principalOf(request);
    return principal;
  });
}
