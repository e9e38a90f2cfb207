// The MCP gateway on the gateway's HTTP port: Streamable HTTP at /mcp for agents (each request
// authenticated with the agent's API key; a session belongs to the agent that opened it), and the
// admin routes that list tool pins and accept a changed tool definition (audited).

import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { admit, principalOf } from '../../gateway/auth.js';
import { boundedString, strictBody } from '../../gateway/body.js';
import { auditEvent, type GatewayContext } from '../../gateway/context.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import { errorBody } from '../../gateway/schemas.js';
import type { McpGateway } from './gateway.js';
import { ToolPinError } from './tool_pins.js';

export interface McpGatewayOptions {
  /** The MCP gateway (McpGateway.open): its engine and executor must be the gateway's too. */
  gateway: McpGateway;
  /** Where Streamable HTTP is served; default /mcp. */
  path?: string;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  server: Server;
  agentId: string;
  lastSeen: number;
}

const SESSION_HEADER = 'mcp-session-id';

export function mcpHttpRoutes(app: FastifyInstance, ctx: GatewayContext, options: McpGatewayOptions): void {
  const mcp = options.gateway;
  const path = options.path ?? '/mcp';
  const sessions = new Map<string, HttpSession>();
  const { max_sessions: maxSessions, session_idle_ms: idleMs } = mcp.config.http;
  mcp.log = (error, message) => app.log.error({ err: error }, message);

  const closeSession = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    s.server.close().catch(() => {});
  };
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) if (now - s.lastSeen > idleMs) closeSession(id);
    },
    Math.min(60_000, idleMs),
  ).unref();
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    for (const id of [...sessions.keys()]) closeSession(id);
  });

  const agents = admit(ctx, ['agent']);
  app.route({
    method: ['POST', 'GET', 'DELETE'],
    url: path,
    schema: {
      summary: 'The MCP gateway over Streamable HTTP (agent); see docs/mcp.md',
      tags: ['mcp'],
      security: [{ bearer: [] }],
    },
    onRequest: agents,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const agent = principalOf(request);
      const header = request.headers[SESSION_HEADER];
      const id = typeof header === 'string' ? header : undefined;
      if (id !== undefined) {
        const session = sessions.get(id);
        // Another agent's session is as unknown as one that never existed.
        if (!session || session.agentId !== agent.id)
          return reply.code(404).send(jsonRpcError(-32001, 'Session not found'));
        session.lastSeen = Date.now();
        return forward(session.transport, request, reply);
      }
      if (request.method !== 'POST' || !isInitializeRequest(request.body))
        return reply
          .code(400)
          .send(jsonRpcError(-32000, 'Bad Request: no valid session id; initialize first'));
      if (sessions.size >= maxSessions)
        return reply.code(503).send(jsonRpcError(-32000, `the MCP gateway has ${maxSessions} sessions open`));
      // The session id is the Carapace session too: every result joins it, and an agent's host can
      // ingest its operator's content into it (/v1/ingest with this session).
      const sessionId = `mcp-${randomUUID()}`;
      const server = mcp.createServer(ctx, agent, sessionId);
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => sessionId,
        onsessioninitialized: (sid) => {
          sessions.set(sid, { transport, server, agentId: agent.id, lastSeen: Date.now() });
        },
        onsessionclosed: (sid) => closeSession(sid),
      });
      transport.onclose = () => closeSession(sessionId);
      await server.connect(transport);
      return forward(transport, request, reply);
    },
  });

  const readers = admit(ctx, ['admin', 'auditor']);
  app.get(
    '/v1/mcp/pins',
    {
      schema: {
        summary: 'The MCP tool pins: accepted and pending definition hashes (admin, auditor)',
        tags: ['mcp'],
        security: [{ bearer: [] }],
        response: { '4xx': errorBody, '5xx': errorBody },
      },
      onRequest: readers,
    },
    async () => ({
      pins: mcp.pins.list().map((p) => ({
        server: p.server,
        tool: p.tool,
        exposed:
          [...mcp.routes.values()].find((r) => r.server === p.server && r.upstream === p.tool)?.exposed ??
          null,
        hash: p.hash,
        pinned_at: p.pinned_at,
        pinned_by: p.pinned_by,
        definition: p.definition,
        pending: p.pending,
      })),
    }),
  );

  const admins = admit(ctx, ['admin']);
  app.post(
    '/v1/mcp/pins/accept',
    {
      schema: {
        summary: 'Accept the pending definition of an MCP tool, by its hash (admin; audited)',
        tags: ['mcp'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['server', 'tool', 'hash'],
          additionalProperties: false,
          properties: {
            server: { type: 'string', minLength: 1, maxLength: 64 },
            tool: { type: 'string', minLength: 1, maxLength: 128 },
            hash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
            note: { type: 'string', maxLength: 4096 },
          },
        },
        response: { '4xx': errorBody, '5xx': errorBody },
      },
      onRequest: admins,
    },
    async (request) => {
      const admin = principalOf(request);
      const body = strictBody(request.body, ['server', 'tool', 'hash'], ['note']);
      const server = boundedString(body.server, 'server', 64);
      const tool = boundedString(body.tool, 'tool', 128);
      const hash = boundedString(body.hash, 'hash', 71, /^sha256:[0-9a-f]{64}$/);
      const note = body.note === undefined ? '' : String(body.note);
      try {
        const pin = await mcp.pins.accept(
          server,
          tool,
          hash,
          admin.id,
          new Date(ctx.now()).toISOString(),
          (previous) =>
            auditEvent(ctx, 'mcp.tool_accepted', {
              by: admin.id,
              server,
              tool,
              previous_hash: previous.hash,
              hash,
              note,
            }),
        );
        return { pin };
      } catch (e) {
        if (e instanceof ToolPinError)
          throw new GatewayError(
            e.code === 'E_MCP_PIN_HASH_MISMATCH' ? 409 : 404,
            e.code,
            'the pin was not accepted',
            e.message,
          );
        throw e;
      }
    },
  );
}

/** Hands the request to the MCP transport, which writes the response (JSON or an SSE stream) itself. */
async function forward(
  transport: StreamableHTTPServerTransport,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  reply.hijack();
  await transport.handleRequest(request.raw, reply.raw, request.body);
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
