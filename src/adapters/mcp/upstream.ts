// One upstream MCP server, reached with the official client over stdio (a child process the gateway
// starts) or Streamable HTTP. Connected on first use and again after the server exits or drops the
// connection; every request is bounded in time; credentials from the config go to the upstream only.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamSpec } from './config.js';

/** Upstream failures carry a stable code; the message never holds a header or an environment value. */
export class UpstreamError extends Error {
  constructor(
    readonly code: 'E_MCP_UPSTREAM_UNAVAILABLE' | 'E_MCP_UPSTREAM_FAILED' | 'E_MCP_UPSTREAM_TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

const MAX_LIST_PAGES = 20;
const MAX_TOOLS = 1000;

export class Upstream {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private listing: { at: number; tools: Tool[] } | null = null;
  private closed = false;

  constructor(
    readonly spec: UpstreamSpec,
    /** Called when the upstream says its tool list changed. */
    private readonly onToolsChanged: () => void = () => {},
    private readonly clientVersion = '0.1.0',
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The connected client, connecting first when there is none (again after a crash). */
  connect(): Promise<Client> {
    if (this.closed)
      return Promise.reject(new UpstreamError('E_MCP_UPSTREAM_UNAVAILABLE', 'the gateway is closing'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Client> {
    const transport = this.transport();
    const client = new Client(
      { name: 'carapace-mcp-gateway', version: this.clientVersion },
      { capabilities: {} },
    );
    client.onclose = () => {
      // The child exited or the connection dropped: the next use connects again, and lists again.
      if (this.client === client) {
        this.client = null;
        this.listing = null;
      }
    };
    client.onerror = () => {};
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.listing = null;
      this.onToolsChanged();
    });
    try {
      await client.connect(transport, { timeout: this.spec.connect_timeout_ms });
    } catch (e) {
      await client.close().catch(() => {});
      throw new UpstreamError(
        'E_MCP_UPSTREAM_UNAVAILABLE',
        `MCP server ${this.name} cannot be reached: ${describe(e)}`,
      );
    }
    if (this.closed) {
      await client.close().catch(() => {});
      throw new UpstreamError('E_MCP_UPSTREAM_UNAVAILABLE', 'the gateway is closing');
    }
    this.client = client;
    return client;
  }

  private transport(): Transport {
    const spec = this.spec;
    if (spec.transport === 'stdio')
      return new StdioClientTransport({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        // A minimal environment (PATH, HOME, ...) and what the config gives: never the gateway's whole
        // environment, which holds its own secrets.
        env: { ...getDefaultEnvironment(), ...spec.env },
        stderr: spec.stderr,
      });
    const headers = spec.headers;
    return new StreamableHTTPClientTransport(spec.url, {
      requestInit: { headers },
      // Never follow a redirect: it would carry the configured credentials to wherever it points.
      fetch: (url, init) => fetch(url, { ...init, redirect: 'error' }),
    });
  }

  /** The upstream's tools, fetched again when the last list is older than `maxAgeMs`. */
  async listTools(maxAgeMs: number, now = Date.now()): Promise<Tool[]> {
    if (this.listing && maxAgeMs > 0 && now - this.listing.at < maxAgeMs) return this.listing.tools;
    const client = await this.connect();
    const tools: Tool[] = [];
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: this.spec.call_timeout_ms,
        });
        tools.push(...result.tools);
        if (tools.length > MAX_TOOLS)
          throw new UpstreamError(
            'E_MCP_UPSTREAM_FAILED',
            `MCP server ${this.name} lists more than ${MAX_TOOLS} tools`,
          );
        cursor = result.nextCursor;
        if (cursor === undefined) break;
        if (page === MAX_LIST_PAGES - 1)
          throw new UpstreamError(
            'E_MCP_UPSTREAM_FAILED',
            `MCP server ${this.name} lists more than ${MAX_LIST_PAGES} pages`,
          );
      }
    } catch (e) {
      throw asUpstreamError(this.name, 'tools/list', e);
    }
    this.listing = { at: now, tools };
    return tools;
  }

  /** Calls a tool once; a timeout, a dropped connection or a protocol error rejects, never resolves. */
  async callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const client = await this.connect();
    try {
      const result = await client.callTool({ name, arguments: args }, CallToolResultSchema, {
        timeout: this.spec.call_timeout_ms,
      });
      return result as CallToolResult;
    } catch (e) {
      throw asUpstreamError(this.name, `tools/call ${name}`, e);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    await client?.close().catch(() => {});
  }
}

function asUpstreamError(server: string, what: string, e: unknown): UpstreamError {
  if (e instanceof UpstreamError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  // -32001 is the MCP client's request timeout.
  if (code === -32001)
    return new UpstreamError('E_MCP_UPSTREAM_TIMEOUT', `MCP server ${server} did not answer ${what} in time`);
  return new UpstreamError('E_MCP_UPSTREAM_FAILED', `MCP server ${server} failed ${what}: ${describe(e)}`);
}

/** A short reason: the error's message, bounded (a server's message is outside text). */
function describe(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}
