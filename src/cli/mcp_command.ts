// `carapace mcp`: the MCP gateway for an agent that launches its MCP servers as commands. It runs the
// gateway on a data directory (its HTTP API on a loopback port, for reviews and pins) and speaks MCP
// on stdin/stdout for one agent, authenticated by $CARAPACE_API_KEY. `carapace mcp pins` lists and
// accepts tool pins on a running gateway; `carapace mcp catalog` prints the catalog a config makes.

import { pino } from 'pino';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { McpConfigError, loadMcpConfig } from '../adapters/mcp/config.js';
import { McpGateway } from '../adapters/mcp/gateway.js';
import { ToolPinError } from '../adapters/mcp/tool_pins.js';
import { mcpEngine } from '../adapters/mcp/tool_routes.js';
import { authenticate, requireRole } from '../gateway/auth.js';
import { GatewayError } from '../gateway/gateway_error.js';
import { PolicyLoadError, startGateway } from '../gateway/serve.js';
import { resolveDataDir } from './data_dir.js';
import { type ConnectionOptions, gatewayRequest, KEY_ENV, resolveConnection } from './gateway_client.js';
import { failure, printJson } from './io.js';

const SESSION = /^[A-Za-z0-9._:-]{1,128}$/;

export interface McpStdioOptions {
  config?: string;
  dataDir?: string;
  port?: string;
  host?: string;
  policy?: string;
  session?: string;
}

/** Opens a config as the gateway will, turning its errors into the CLI's {error, code, detail}. */
export function openMcpGateway(configFile: string, dataDir: string): McpGateway {
  try {
    return McpGateway.open({ configFile, dataDir });
  } catch (e) {
    if (e instanceof McpConfigError)
      throw failure(e.code, 'the MCP gateway configuration is invalid', e.detail);
    if (e instanceof ToolPinError) throw failure(e.code, 'the MCP tool pins cannot be read', e.message);
    throw e;
  }
}

export async function mcpStdioCommand(options: McpStdioOptions): Promise<number> {
  if (options.config === undefined)
    throw failure('E_ARG_INVALID', 'no MCP gateway configuration', 'pass --config FILE (docs/mcp.md)');
  const key = (process.env[KEY_ENV] ?? '').trim();
  if (key === '') throw failure('E_KEY_MISSING', 'no API key', `set $${KEY_ENV} to the API key of an agent`);
  const session = options.session ?? `mcp-stdio-${crypto.randomUUID()}`;
  if (!SESSION.test(session))
    throw failure('E_ARG_INVALID', 'invalid --session', `must match ${SESSION.source}`);
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw failure('E_ARG_INVALID', 'invalid --port', 'give a port from 0 to 65535');
  const dataDir = resolveDataDir(options.dataDir);
  const mcp = openMcpGateway(options.config, dataDir);
  // stdout carries MCP: the gateway's log lines go to stderr.
  const gateway = await startGateway({
    dataDir,
    port,
    host: options.host ?? '127.0.0.1',
    logStream: pino.destination({ dest: 2, sync: true }),
    engine: mcp.engine,
    executors: (gate) => [mcp.executor(gate)],
    adapters: { mcp: { gateway: mcp } },
    ...(options.policy !== undefined ? { policyFile: options.policy } : {}),
  }).catch(async (e: unknown) => {
    await mcp.close();
    if (e instanceof PolicyLoadError)
      throw failure(e.code, 'the policy does not compile; the gateway did not start', e.message);
    throw e;
  });
  const stop = async () => {
    await gateway.close().catch(() => {});
    await mcp.close();
  };
  let agent;
  try {
    agent = await authenticate(gateway.ctx.store, `Bearer ${key}`);
    requireRole(agent, ['agent']);
    // Over stdio there is no HTTP request to prove a key on: an agent that must use DPoP cannot use it.
    if (agent.dpop_required)
      throw new GatewayError(
        401,
        'E_DPOP_REQUIRED',
        'this agent must use DPoP',
        'serve the MCP gateway over Streamable HTTP (serve --mcp-config) and call it with a DPoP-bound token',
      );
  } catch (e) {
    await stop();
    if (e instanceof GatewayError) throw failure(e.code, e.error, e.detail);
    throw e;
  }
  process.stderr.write(
    `carapace mcp: agent ${agent.id}, session ${session}, gateway API on ${gateway.url} (data directory ${dataDir})\n`,
  );
  const server = mcp.createServer(gateway.ctx, agent, session);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    transport.onclose = resolve;
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close().catch(() => {});
  await stop();
  return 0;
}

export async function mcpPinsListCommand(options: ConnectionOptions): Promise<number> {
  printJson(await gatewayRequest(resolveConnection(options), 'GET', '/v1/mcp/pins'));
  return 0;
}

/** `ref` is `server/tool` (the upstream's names, as `pins list` shows them). */
export async function mcpPinsAcceptCommand(
  ref: string,
  options: ConnectionOptions & { hash?: string; note?: string },
): Promise<number> {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1)
    throw failure(
      'E_ARG_INVALID',
      'invalid tool',
      `${ref}: give SERVER/TOOL as carapace mcp pins list shows them`,
    );
  if (options.hash === undefined || !/^sha256:[0-9a-f]{64}$/.test(options.hash))
    throw failure('E_ARG_INVALID', 'invalid --hash', 'give the pending hash (sha256:...) that you reviewed');
  const body = {
    server: ref.slice(0, slash),
    tool: ref.slice(slash + 1),
    hash: options.hash,
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
  printJson(await gatewayRequest(resolveConnection(options), 'POST', '/v1/mcp/pins/accept', body));
  return 0;
}

/** The catalog (demo data hall + the config's MCP tools) that `carapace replay --catalog` needs. */
export function mcpCatalogCommand(options: { config?: string }): number {
  if (options.config === undefined)
    throw failure('E_ARG_INVALID', 'no MCP gateway configuration', 'pass --config FILE');
  try {
    printJson(mcpEngine(loadMcpConfig(options.config, null)).catalogSource);
  } catch (e) {
    if (e instanceof McpConfigError)
      throw failure(e.code, 'the MCP gateway configuration is invalid', e.detail);
    throw e;
  }
  return 0;
}
