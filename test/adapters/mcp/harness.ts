// A real gateway with the MCP gateway mounted, in a fresh data directory, fronting real upstream MCP
// servers (test/adapters/mcp/upstream_server.ts): one over stdio (a child process) and, when asked, one
// over Streamable HTTP. Agents connect with the official MCP client.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpGateway } from '../../../src/adapters/mcp/gateway.js';
import { segmentsDir } from '../../../src/audit/log_files.js';
import { listSegments } from '../../../src/audit/segment_store.js';
import { type RunningGateway, startGateway } from '../../../src/gateway/serve.js';

export const UPSTREAM_SCRIPT = fileURLToPath(new URL('./upstream_server.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The ops upstream as a stdio server entry of a config. */
export function stdioOpsServer(
  dir: string,
  tools: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', UPSTREAM_SCRIPT],
    cwd: REPO_ROOT,
    env: { EFFECTS_FILE: join(dir, 'effects.jsonl'), STATE_FILE: join(dir, 'state.json') },
    tools,
    ...extra,
  };
}

/** The classification of the ops tools the tests use (crash and hang are observe; format_disk is left out). */
export const OPS_TOOLS = {
  get_telemetry: { intent: 'observe', radius: 'none' },
  read_logs: { intent: 'observe', radius: 'none' },
  isolate_network_device: {
    intent: 'remediate_destructive',
    radius: 'site',
    args: { type: 'object', required: ['device_id'], properties: { device_id: { type: 'string' } } },
    resolve: { device_id: 'network_device' },
    classify: [
      { when: { role: { device_id: 'spine' } }, intent: 'remediate_destructive', radius: 'site' },
      { when: { role: { device_id: 'leaf' } }, intent: 'remediate_destructive', radius: 'vlan' },
    ],
  },
  crash: { intent: 'observe', radius: 'none' },
  hang: { intent: 'observe', radius: 'none' },
};

export interface McpHarness {
  dir: string;
  dataDir: string;
  gateway: RunningGateway;
  mcp: McpGateway;
  adminKey: string;
  agentKey: string;
  approverKey: string;
  /** The upstream's effects: every call it really ran. */
  effects(): { tool: string; args: Record<string, unknown> }[];
  /** Changes what the upstream says a tool does. */
  setDescription(tool: string, text: string): void;
  /** Changes the input schema the upstream gives a tool. */
  setInputSchema(tool: string, schema: Record<string, unknown>): void;
  http<T = Record<string, unknown>>(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  connect(key?: string): Promise<Client>;
  /** Stops the gateway and the upstreams, and starts them again on the same data directory. */
  restart(): Promise<void>;
  /** Every audit entry written so far. */
  audit(): Promise<AuditLine[]>;
  close(): Promise<void>;
}

export interface AuditLine {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

export async function startMcpHarness(
  config: (dir: string) => Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<McpHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-mcp-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'mcp.yaml');
  writeFileSync(configFile, JSON.stringify(config(dir), null, 2));
  const start = async (dev: boolean) => {
    const mcp = McpGateway.open({ configFile, dataDir, env });
    const gateway = await startGateway({
      dataDir,
      port: 0,
      dev,
      logLevel: 'silent',
      engine: mcp.engine,
      executors: (gate) => [mcp.executor(gate)],
      adapters: { mcp: { gateway: mcp } },
    });
    return { mcp, gateway };
  };
  const { mcp, gateway } = await start(true);
  const adminKey = gateway.devAdminKey as string;
  const clients: Client[] = [];
  const h: McpHarness = {
    dir,
    dataDir,
    gateway,
    mcp,
    adminKey,
    agentKey: '',
    approverKey: '',
    effects() {
      let text: string;
      try {
        text = readFileSync(join(dir, 'effects.jsonl'), 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { tool: string; args: Record<string, unknown> });
    },
    setDescription(tool, text) {
      updateState(dir, (state) => {
        state.descriptions = { ...state.descriptions, [tool]: text };
      });
    },
    setInputSchema(tool, schema) {
      updateState(dir, (state) => {
        state.inputSchemas = { ...state.inputSchemas, [tool]: schema };
      });
    },
    async http<T>(method: string, path: string, key: string | null, body?: unknown) {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${h.gateway.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
    },
    async connect(key = h.agentKey) {
      const client = new Client({ name: 'mcp-test-agent', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${h.gateway.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async audit() {
      const segments = segmentsDir(dataDir);
      const text = (await listSegments(segments))
        .map((n) => readFileSync(join(segments, n), 'utf8'))
        .join('');
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as AuditLine);
    },
    async restart() {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
      await h.gateway.close();
      await h.mcp.close();
      ({ mcp: h.mcp, gateway: h.gateway } = await start(false));
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await h.gateway.close();
      await h.mcp.close();
    },
  };
  const make = async (name: string, role: string, channel?: string) => {
    const reply = await h.http('POST', '/v1/admin/principals', adminKey, {
      name,
      role,
      ...(channel ? { channel } : {}),
    });
    if (reply.status !== 201) throw new Error(`cannot create ${name}: ${JSON.stringify(reply.body)}`);
    return reply.body.api_key as string;
  };
  h.agentKey = await make('mcp-agent', 'agent', 'operator-console');
  h.approverKey = await make('mcp-approver', 'approver');
  return h;
}

/** The MCP session id of a connected client: the Carapace session its calls and results belong to. */
export function sessionOf(client: Client): string {
  const id = (client.transport as StreamableHTTPClientTransport | undefined)?.sessionId;
  if (!id) throw new Error('the client has no MCP session');
  return id;
}

/** The decision the gateway puts in a result's _meta (docs/mcp.md). */
export interface DecisionView {
  decision: string;
  rule: string | null;
  explanation: string;
  audit: { seq: number; hash: string };
  review?: { id: string; status: string; expires_at?: string; decided_by?: string; note?: string };
}
export interface ChunkView {
  id: string;
  trust: string;
  injection_suspected: boolean;
}
export interface ErrorView {
  code: string;
  detail: string;
  ran?: boolean;
}

type ToolResult = { [key: string]: unknown };

function meta(result: ToolResult, name: string): unknown {
  const value = (result._meta as Record<string, unknown> | undefined)?.[`carapace.dev/${name}`];
  if (!value) throw new Error(`no ${name} in ${JSON.stringify(result)}`);
  return value;
}
export const decisionOf = (result: ToolResult) => meta(result, 'decision') as DecisionView;
export const chunkOf = (result: ToolResult) => meta(result, 'chunk') as ChunkView;
export const errorOf = (result: ToolResult) => meta(result, 'error') as ErrorView;

/** A tool pin as GET /v1/mcp/pins shows it. */
export interface PinView {
  server: string;
  tool: string;
  exposed: string | null;
  hash: string | null;
  pinned_by: string | null;
  definition: { description?: string } | null;
  pending: { hash: string; definition: { description?: string } } | null;
}

/** The text of a result's first content item. */
export function textOf(result: { [key: string]: unknown }): string {
  const first = (result.content as { type: string; text?: string }[] | undefined)?.[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}

interface UpstreamState {
  descriptions?: Record<string, string>;
  inputSchemas?: Record<string, unknown>;
}

function updateState(dir: string, change: (state: UpstreamState) => void): void {
  let state: UpstreamState = {};
  try {
    state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as UpstreamState;
  } catch {
    // no state yet
  }
  change(state);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
}
