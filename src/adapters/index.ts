// The surfaces agents already speak, mounted on the gateway beside its own API: the OpenAI
// chat-completions proxy and the MCP gateway's Streamable HTTP endpoint. Each takes its options from
// startGateway({adapters}) and is off when they are absent.

import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../gateway/context.js';
import { mcpHttpRoutes, type McpGatewayOptions } from './mcp/routes.js';
import { openaiProxyRoutes, type OpenAIProxyOptions } from './openai/routes.js';

export interface AdapterOptions {
  openai?: OpenAIProxyOptions;
  mcp?: McpGatewayOptions;
}

export function adapterRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const options = ctx.adapters ?? {};
  if (options.openai) openaiProxyRoutes(app, ctx, options.openai);
  if (options.mcp) mcpHttpRoutes(app, ctx, options.mcp);
}
