// Which upstream tool each exposed name stands for, and the engine that classifies them: the MCP
// config's tools become entries of the gateway's tool catalog beside a base catalog (the demo data
// hall by default), so the engine decides an MCP call exactly as any other action. A name the
// catalog does not hold is DENY by R9; here, an upstream tool the config does not classify has no
// route at all and is never offered.

import {
  compileCatalog,
  DEFAULT_RULESET,
  type Engine,
  isPlainObject,
  type IntentClass,
  type BlastRadius,
  type TrustLevel,
} from '../../engine/index.js';
import { DEMO_CATALOG_SOURCE } from '../../engine/builtin/index.js';
import { type McpConfig, McpConfigError, TOOL_NAME } from './config.js';

export interface ToolRoute {
  /** The name the agent sees and the catalog knows: `tool`, or `server.tool` when namespaced. */
  exposed: string;
  server: string;
  /** The tool's name on its upstream server. */
  upstream: string;
  intent: IntentClass;
  radius: BlastRadius;
  output_trust: TrustLevel;
}

export function toolRoutes(config: McpConfig): Map<string, ToolRoute> {
  const namespaced = config.namespace === 'always' || config.servers.length > 1;
  const routes = new Map<string, ToolRoute>();
  for (const server of config.servers)
    for (const [tool, c] of Object.entries(server.tools)) {
      const exposed = namespaced ? `${server.name}.${tool}` : tool;
      if (exposed.length > 128 || !TOOL_NAME.test(exposed))
        throw new McpConfigError(
          `servers.${server.name}.tools.${tool}: "${exposed}" is not a valid tool name`,
        );
      if (routes.has(exposed))
        throw new McpConfigError(`servers.${server.name}.tools.${tool}: "${exposed}" is exposed twice`);
      routes.set(exposed, {
        exposed,
        server: server.name,
        upstream: tool,
        intent: c.intent,
        radius: c.radius,
        output_trust: c.output_trust ?? server.output_trust,
      });
    }
  return routes;
}

/**
 * The catalog source: `base` (whose entities `resolve` and `classify` may name) plus one entry per
 * configured MCP tool. A name both hold is an error, never a silent override.
 */
export function mcpCatalogSource(config: McpConfig, base: unknown = DEMO_CATALOG_SOURCE): unknown {
  if (!isPlainObject(base) || !Array.isArray(base.tools) || !Array.isArray(base.entities))
    throw new McpConfigError('the base catalog has no tools and entities');
  const taken = new Set<string>();
  for (const t of base.tools as { name?: unknown; aliases?: unknown }[]) {
    if (typeof t.name === 'string') taken.add(t.name);
    if (Array.isArray(t.aliases)) for (const a of t.aliases) if (typeof a === 'string') taken.add(a);
  }
  const tools: unknown[] = [];
  for (const route of toolRoutes(config).values()) {
    const c = config.servers.find((s) => s.name === route.server)?.tools[route.upstream];
    if (!c) throw new Error(`no classification for ${route.exposed}`);
    if (taken.has(route.exposed))
      throw new McpConfigError(
        `servers.${route.server}.tools.${route.upstream}: "${route.exposed}" is already a tool of catalog ${String(base.name)}; set namespace: always`,
      );
    tools.push({
      name: route.exposed,
      description: `MCP tool ${route.upstream} of server ${route.server}`,
      intent: c.intent,
      radius: c.radius,
      args: c.args ?? { type: 'object' },
      ...(c.resolve !== undefined ? { resolve: c.resolve } : {}),
      ...(c.classify !== undefined ? { classify: c.classify } : {}),
    });
  }
  return { ...base, name: `${String(base.name)}+mcp`, tools: [...(base.tools as unknown[]), ...tools] };
}

/** The built-in ruleset over the catalog with the MCP tools; a tool entry the catalog refuses is an error. */
export function mcpEngine(
  config: McpConfig,
  baseCatalog?: unknown,
): { engine: Engine; catalogSource: unknown } {
  const catalogSource = mcpCatalogSource(config, baseCatalog);
  const compiled = compileCatalog(catalogSource);
  if (!compiled.ok) throw new McpConfigError(`tool classification: ${compiled.error.detail}`);
  return { engine: { ruleset: DEFAULT_RULESET, catalog: compiled.value }, catalogSource };
}
