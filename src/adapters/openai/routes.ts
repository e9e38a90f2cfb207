// The OpenAI-compatible proxy's routes (issue 8 item 1). Not built yet: nothing is mounted.

import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway/context.js';

export interface OpenAIProxyOptions {
  /** The upstream chat-completions base URL (CARAPACE_UPSTREAM_URL). */
  upstreamUrl: string;
}

export function openaiProxyRoutes(
  _app: FastifyInstance,
  _ctx: GatewayContext,
  _options: OpenAIProxyOptions,
): void {
  throw new Error('the OpenAI proxy is not built yet');
}
