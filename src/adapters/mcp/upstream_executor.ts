// The executor behind every MCP tool the gateway fronts (DESIGN.md §5): it redeems the execution token
// at the gateway's gate, and only then calls the tool on its upstream server, once. What cannot run
// (no route, an upstream that cannot be reached, a tool whose pin is not accepted) is refused before
// the gate, so the token stays unspent; a failure after the gate is a failure, never a success.

import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toCanonicalJson } from '../../engine/index.js';
import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../../executors/executor.js';
import type { ToolRoute } from './tool_routes.js';
import type { Upstream } from './upstream.js';

export const MCP_EXECUTOR_NAME = 'mcp-upstream';

/** An executor refusal or failure with a stable code (the gateway records it as the execution's code). */
export class McpExecutionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'McpExecutionError';
  }
}

export interface UpstreamExecutorDeps {
  routes: ReadonlyMap<string, ToolRoute>;
  upstreams: ReadonlyMap<string, Upstream>;
  /** True when the tool's current upstream definition is the accepted pin. */
  usable(route: ToolRoute): boolean;
  maxResultChars: number;
  now: () => number;
}

export function createMcpUpstreamExecutor(deps: UpstreamExecutorDeps, gate: TokenGate): Executor {
  return {
    name: MCP_EXECUTOR_NAME,
    simulated: false,
    tools: [...deps.routes.keys()],
    async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
      const route = deps.routes.get(call.tool);
      const upstream = route ? deps.upstreams.get(route.server) : undefined;
      if (!route || !upstream)
        throw new McpExecutionError('E_MCP_UNKNOWN_TOOL', `${call.tool} is not a tool of any MCP server`);
      if (!deps.usable(route))
        throw new McpExecutionError(
          'E_MCP_TOOL_CHANGED',
          `${call.tool}: its definition on ${route.server} is not the accepted pin`,
        );
      // Reached before the gate, so an upstream that is down costs no token.
      await upstream.connect();
      await gate(token, call);
      const result = await upstream.callTool(route.upstream, call.args);
      const passed = withoutBinaries(result);
      const size = toCanonicalJson(passed, 48, deps.maxResultChars);
      if (!size.ok)
        throw new McpExecutionError(
          'E_MCP_RESULT_REFUSED',
          `the result of ${route.upstream} on ${route.server} was refused: ${size.reason}`,
        );
      return {
        executor: MCP_EXECUTOR_NAME,
        simulated: false,
        tool: call.tool,
        args: structuredClone(call.args),
        executed_at: new Date(deps.now()).toISOString(),
        effect: `called tool ${route.upstream} on MCP server ${route.server}${passed.isError ? ' (the tool reported an error)' : ''}`,
        details: {
          server: route.server,
          upstream_tool: route.upstream,
          result: size.value as Record<string, unknown>,
        },
      };
    },
  };
}

/**
 * The result without images, audio or binary resources: their bytes cannot be redacted or scanned as
 * text, so each is replaced by a note with its type, size and hash. Only the fields of a tool result
 * are kept (no `_meta` from upstream reaches the agent).
 */
export function withoutBinaries(result: CallToolResult): CallToolResult {
  const content = (result.content ?? []).map((item) => {
    if (item.type === 'image' || item.type === 'audio')
      return binaryNote(item.type, item.mimeType, item.data);
    if (item.type === 'resource' && 'blob' in item.resource)
      return binaryNote('resource', item.resource.mimeType ?? 'application/octet-stream', item.resource.blob);
    return item;
  });
  return {
    content,
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    ...(result.isError === true ? { isError: true } : {}),
  };
}

function binaryNote(kind: string, mimeType: string, base64: string): { type: 'text'; text: string } {
  const bytes = Buffer.from(base64, 'base64');
  const hash = createHash('sha256').update(bytes).digest('hex');
  return {
    type: 'text',
    text: `[carapace: ${kind} content withheld (${mimeType}, ${bytes.length} bytes, sha256:${hash}); binary content is not passed to agents]`,
  };
}
