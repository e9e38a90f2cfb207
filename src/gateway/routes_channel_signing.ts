// Admin routes that make a channel signed (issue 14 item 2) and show how it is signed, never with its
// secret. Control-plane routes.

import type { FastifyInstance } from 'fastify';
import { admit, principalOf } from './auth.js';
import { boundedString, oneOf, strictBody } from './body.js';
import { channelSigningInfo, setChannelSigning, SIGNING_ALGS } from './channel_signing.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { channelSigningGetSchema, channelSigningSetSchema } from './schemas_semantic.js';

export function channelSigningRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post(
    '/v1/admin/channels/:name/signing',
    { schema: channelSigningSetSchema, onRequest: admit(ctx, ['admin']) },
    async (request) => {
      const admin = principalOf(request);
      const name = boundedString((request.params as { name: unknown }).name, 'name', 64);
      const body = strictBody(request.body, ['alg'], ['public_key', 'secret']);
      const alg = oneOf(body.alg, 'alg', SIGNING_ALGS);
      const field = alg === 'ed25519' ? 'public_key' : 'secret';
      const other = alg === 'ed25519' ? 'secret' : 'public_key';
      if (body[other] !== undefined)
        throw new GatewayError(400, 'E_REQUEST_INVALID', 'invalid request', `${other}: not used with ${alg}`);
      const key = boundedString(body[field], field, 4096);
      return setChannelSigning(ctx, admin.id, name, alg, key);
    },
  );

  app.get(
    '/v1/admin/channels/:name/signing',
    { schema: channelSigningGetSchema, onRequest: admit(ctx, ['admin', 'auditor']) },
    async (request) => {
      const name = boundedString((request.params as { name: unknown }).name, 'name', 64);
      if (!(await ctx.store.getChannel(name)))
        throw new GatewayError(404, 'E_NOT_FOUND', 'no such channel', name);
      const info = await channelSigningInfo(ctx, name);
      return info ?? { channel: name, alg: null, fingerprint: null, configured_at: null };
    },
  );
}
