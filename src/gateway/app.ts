// The gateway's composition root: a Fastify app with every route area registered, one error shape
// ({error, code, detail}) for everything that goes wrong, and health endpoints.

import Fastify, { type FastifyInstance } from 'fastify';
import { StoreError } from '../store/store_error.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { actionRoutes } from './routes_actions.js';
import { adminRoutes } from './routes_admin.js';
import { ingestRoutes } from './routes_ingest.js';
import { reviewRoutes } from './routes_reviews.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const STORE_STATUS: Record<string, number> = {
  E_STORE_CONFLICT: 409,
  E_STORE_NOT_FOUND: 404,
  E_STORE_INVALID: 400,
};

export function buildGateway(ctx: GatewayContext): FastifyInstance {
  const app = Fastify({ bodyLimit: BODY_LIMIT_BYTES, logger: false, return503OnClosing: true });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof GatewayError) return reply.code(error.status).send(error.body);
    if (error instanceof StoreError) {
      const status = STORE_STATUS[error.code] ?? 503;
      return reply
        .code(status)
        .send({ error: 'request refused by the store', code: error.code, detail: error.message });
    }
    const e = error as { statusCode?: number; code?: string; message: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({
        error: 'body too large',
        code: 'E_INPUT_TOO_LARGE',
        detail: `the limit is ${BODY_LIMIT_BYTES} bytes`,
      });
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
      return reply
        .code(e.statusCode)
        .send({ error: 'bad request', code: 'E_REQUEST_INVALID', detail: e.message });
    // Anything else is a bug: fail closed, say nothing about internals.
    return reply
      .code(500)
      .send({ error: 'internal error', code: 'E_INTERNAL', detail: 'the request was not carried out' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'no such route', code: 'E_NOT_FOUND', detail: `${request.method} ${request.url}` }),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = ctx.audit.durableSize >= 0;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', audit_entries: ctx.audit.size });
  });

  adminRoutes(app, ctx);
  ingestRoutes(app, ctx);
  actionRoutes(app, ctx);
  reviewRoutes(app, ctx);
  return app;
}
