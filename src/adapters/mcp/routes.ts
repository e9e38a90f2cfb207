// The MCP gateway's Streamable HTTP endpoint (issue 8 item 2). Not built yet: nothing is mounted.

import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway/context.js';

export interface McpGatewayOptions {
  /** Path of the MCP gateway's configuration (upstream servers and their tools). */
  configFile: string;
}

export function mcpHttpRoutes(
  _app: FastifyInstance,
  _ctx: GatewayContext,
  _options: McpGatewayOptions,
): void {
  throw new Error('the MCP gateway is not built yet');
}
