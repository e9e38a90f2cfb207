// The gateway's composition root: a Fastify app with every route area registered as a plugin, one
// error shape ({error, code, detail}) for everything that goes wrong, health, OpenAPI and metrics, and
// the web console (its routes, and its built assets at /).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerFactory,
  LogController,
} from 'fastify';
import { adapterRoutes } from '../adapters/index.js';
import { StoreError } from '../store/store_error.js';
import { admitRequest } from './auth.js';
import { answerClientError } from './client_error.js';
import { type ConsoleOptions, createConsoleContext } from './console_context.js';
import type { GatewayContext } from './context.js';
import { DemoRunner } from './demo_runner.js';
import { GatewayError } from './gateway_error.js';
import { parseJsonBodiesAsUtf8 } from './json_body.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import { openApiOptions } from './openapi.js';
import { servedOnThisListener } from './planes.js';
import { actionRoutes } from './routes_actions.js';
import { adminRoutes } from './routes_admin.js';
import { auditRoutes } from './routes_audit.js';
import { channelRoutes } from './routes_channels.js';
import { channelSigningRoutes } from './routes_channel_signing.js';
import { instructionRoutes } from './routes_instructions.js';
import { decisionRoutes } from './routes_decisions.js';
import { demoRoutes } from './routes_demo.js';
import { eventRoutes } from './routes_events.js';
import { identityRoutes } from './routes_identity.js';
import { ingestRoutes } from './routes_ingest.js';
import { meRoutes } from './routes_me.js';
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

/** Where `npm run build` puts the console (web/ built by Vite); the same path from src/ and from dist/. */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * The console's pages may load only what the gateway serves, may talk only to it, and may not be framed.
 * React sets styles through the DOM, which style-src does not restrict.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function buildGateway(
  ctx: GatewayContext,
  options: {
    logger?: FastifyBaseLogger;
    /** The console's routes need the data directory (its audit files) and, for Before/After, the hall. */
    console?: ConsoleOptions;
    /** The console's built assets (default CONSOLE_ASSETS). */
    consoleAssets?: string;
    /**
     * Makes the server(s) the app is served on (listeners.ts): TLS, and split planes, where each
     * listener marks its requests with its plane. Default: Fastify's own plain HTTP server.
     */
    serverFactory?: FastifyServerFactory;
    /** Split planes: where a browser opening the data listener's `/` is sent (the console), or null. */
    consoleUrl?: () => string | null;
  } = {},
): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // One line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Reject, never repair: no stripping of unknown fields, no type coercion, no defaults filled in.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    // A URL the router refuses before any route (bad percent-encoding, a path parameter over its length)
    // is answered in the gateway's error shape too, not Fastify's.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      return (reply as unknown as FastifyReply).code(status).send({
        error: status === 414 ? 'path parameter too long' : 'bad request',
        code: status === 414 ? 'E_INPUT_TOO_LARGE' : 'E_REQUEST_INVALID',
        detail: status === 414 ? 'a path parameter is longer than 100 characters' : 'the URL is not valid',
      });
    },
  }) as unknown as FastifyInstance;

  app.decorateRequest('principal', null);
  // Split planes: a route of the other plane is not served on this listener (before any route's hooks).
  app.addHook('onRequest', servedOnThisListener(options.consoleUrl ?? (() => null)));
  parseJsonBodiesAsUtf8(app);

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
    // The database itself failed (disk full, I/O error, handle gone): an outage, not a bug.
    if (error instanceof Error && error.name === 'SqliteError')
      return reply.code(503).send({
        error: 'the store is unavailable',
        code: 'E_STORE_UNAVAILABLE',
        detail: `${e.code ?? 'SQLITE_ERROR'}: the request was not carried out`,
      });
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
  const consoleContext = options.console ? createConsoleContext(options.console, ctx.audit) : null;
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime;
    // Content that came in is kept a while (credentials replaced) so the console can show its spans.
    if (consoleContext && request.routeOptions.url === '/v1/ingest' && reply.statusCode < 300) {
      const content = (request.body as { content?: unknown } | null)?.content;
      if (typeof content === 'string') consoleContext.chunkTexts.remember(content);
    }
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
      // Not ready while the audit log cannot append (its store failed and has not come back).
      const ready = await ctx.audit.ready();
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
    meRoutes(api, ctx);
    channelRoutes(api, ctx);
    // Control-plane routes of semantic governance (issue 14): instruction sets, channel signing keys.
    instructionRoutes(api, ctx);
    channelSigningRoutes(api, ctx);
    if (consoleContext) {
      const runner = consoleContext.hall
        ? new DemoRunner(consoleContext.hall, injectedApi(app), consoleContext.reader)
        : null;
      eventRoutes(api, ctx, consoleContext);
      decisionRoutes(api, ctx, consoleContext);
      auditRoutes(api, ctx, consoleContext);
      demoRoutes(api, ctx, consoleContext, runner);
      // Streams end and a scenario run stops before the server waits for connections to close.
      api.addHook('preClose', async () => {
        consoleContext.streams.closeAll();
        consoleContext.feed.close();
        await runner?.close();
      });
    }
  });
  registerConsoleAssets(app, options.consoleAssets ?? CONSOLE_ASSETS);
  return app;
}

/** The built console at / (index.html and its hashed assets), or a 503 saying how to build it. */
function registerConsoleAssets(app: FastifyInstance, root: string): void {
  if (!existsSync(`${root}/index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).send({
        error: 'the console is not built',
        code: 'E_CONSOLE_NOT_BUILT',
        detail: 'run npm run build (npm install runs it)',
      }),
    );
    return;
  }
  app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    // Hashed file names never change content; index.html must be fetched again to find new ones.
    setHeaders: (res, path) => {
      res.setHeader('content-security-policy', CONSOLE_CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}

/** The gateway's own routes, called in process (authenticated, validated and audited like any request). */
function injectedApi(app: FastifyInstance) {
  return {
    async call(method: 'GET' | 'POST', path: string, key: string, body?: unknown) {
      const response = await app.inject({
        method,
        url: path,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
      const answer = JSON.parse(response.body) as Record<string, unknown>;
      if (response.statusCode >= 400)
        throw new Error(
          `${method} ${path}: ${response.statusCode} ${String(answer.code)}: ${String(answer.detail)}`,
        );
      return answer;
    },
  };
}
