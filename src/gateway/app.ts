// The gateway's composition root: a Fastify app with every route area registered as a plugin, one
// error shape ({error, code, detail}) for everything that goes wrong, health, OpenAPI and metrics.

import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { adapterRoutes } from '../adapters/index.js';
import { StoreError } from '../store/store_error.js';
import { admitRequest } from './auth.js';
import type { GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import { openApiOptions } from './openapi.js';
import { actionRoutes } from './routes_actions.js';
import { adminRoutes } from './routes_admin.js';
import { identityRoutes } from './routes_identity.js';
import { ingestRoutes } from './routes_ingest.js';
import { reviewRoutes } from './routes_reviews.js';
import { healthSchema, metricsSchema, openapiSchema, readySchema } from './schemas.js';
import { gatewayErrorFromValidation } from './validation_error.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const STORE_STATUS: Record<string, number> = {
  E_STORE_CONFLICT: 409,
  E_STORE_NOT_FOUND: 404,
  E_STORE_INVALID: 400,
};

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function buildGateway(
  ctx: GatewayContext,
  options: { logger?: FastifyBaseLogger } = {},
): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // One line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Reject, never repair: no stripping of unknown fields, no type coercion, no defaults filled in.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
  }) as unknown as FastifyInstance;

  app.decorateRequest('principal', null);

  app.setErrorHandler((error, request, reply) => {
    const e = error as {
      statusCode?: number;
      code?: string;
      message: string;
      validation?: Parameters<typeof gatewayErrorFromValidation>[0];
      validationContext?: string;
    };
    if (e.validation) {
      const invalid = gatewayErrorFromValidation(e.validation, e.validationContext);
      return reply.code(invalid.status).send(invalid.body);
    }
    if (error instanceof GatewayError)
      return reply.code(error.status).headers(error.headers).send(error.body);
    if (error instanceof StoreError) {
      const status = STORE_STATUS[error.code] ?? 503;
      return reply
        .code(status)
        .send({ error: 'request refused by the store', code: error.code, detail: error.message });
    }
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
    // Anything else is a bug: fail closed, say nothing about internals (the log has it).
    request.log.error({ err: error }, 'internal error');
    return reply
      .code(500)
      .send({ error: 'internal error', code: 'E_INTERNAL', detail: 'the request was not carried out' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'no such route', code: 'E_NOT_FOUND', detail: `${request.method} ${request.url}` }),
  );

  // Metrics by route pattern, so ids in paths never multiply the label set; unmatched paths share one
  // label. The log line has method, path without its query string (which could carry anything), status,
  // duration and the caller's principal id: never a header or a body.
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime;
    ctx.metrics.observeRequest(request.routeOptions.url ?? 'unmatched', reply.statusCode, ms / 1000);
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?', 1)[0],
        status: reply.statusCode,
        ms: Math.round(ms * 1000) / 1000,
        principal: request.principal?.id ?? null,
      },
      'request',
    );
  });

  app.register(swagger, openApiOptions());
  app.register(async (api) => {
    api.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
    api.get('/readyz', { schema: readySchema }, async (_request, reply) => {
      const ready = ctx.audit.durableSize >= 0;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not ready', audit_entries: ctx.audit.size });
    });
    api.get('/v1/openapi.json', { schema: openapiSchema }, async () => api.swagger());

    // Unauthenticated from loopback only (a local Prometheus or sidecar). From anywhere else it needs
    // an admin or auditor key. A reverse proxy on the same host makes every caller loopback: put the
    // proxy's own access control in front of /metrics, or do not route it.
    api.get(
      '/metrics',
      {
        schema: metricsSchema,
        onRequest: async (request) => {
          if (!LOOPBACK.has(request.socket.remoteAddress ?? ''))
            await admitRequest(ctx, request, ['admin', 'auditor']);
        },
      },
      async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(ctx.metrics.render(ctx.audit.size)),
    );

    adminRoutes(api, ctx);
    ingestRoutes(api, ctx);
    actionRoutes(api, ctx);
    reviewRoutes(api, ctx);
    identityRoutes(api, ctx);
    adapterRoutes(api, ctx);
  });
  return app;
}
