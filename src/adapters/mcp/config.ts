// The MCP gateway's configuration file (docs/mcp.md): which upstream MCP servers it fronts, how to
// reach each (a stdio command or a Streamable HTTP URL), and how the engine classifies each of their
// tools. A tool the file does not classify is never offered to the agent (fail closed).

import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { BLAST_RADII, INTENT_CLASSES, TRUST_LEVELS, type TrustLevel } from '../../engine/index.js';

/** A config problem: stable code, and a detail naming the field. Never carries a secret's value. */
export class McpConfigError extends Error {
  readonly code = 'E_MCP_CONFIG';
  constructor(readonly detail: string) {
    super(`invalid MCP gateway configuration: ${detail}`);
    this.name = 'McpConfigError';
  }
}

/** Server names: they prefix tool names (`server.tool`) and key the pins. */
export const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The engine's tool-name alphabet (src/engine/envelope.ts), which every exposed name must fit. */
export const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const MAX_CONFIG_BYTES = 1024 * 1024;

const toolSchema = z.strictObject({
  intent: z.enum(INTENT_CLASSES),
  radius: z.enum(BLAST_RADII),
  /** The engine's argument schema (its JSON Schema subset); default: any object. */
  args: z.record(z.string(), z.unknown()).optional(),
  /** Arguments that must name an entity of the catalog's topology, and argument-aware cases. */
  resolve: z.record(z.string(), z.string()).optional(),
  classify: z.array(z.unknown()).optional(),
  /** Trust of this tool's output as a chunk of the session; default the server's. */
  output_trust: z.enum(TRUST_LEVELS).optional(),
});

const common = {
  tools: z.record(z.string().regex(TOOL_NAME).max(128), toolSchema),
  /** Trust of every output of this server (default untrusted: outputs carry outside text). */
  output_trust: z.enum(TRUST_LEVELS).default('untrusted'),
  /** How long one upstream tools/call may take. */
  call_timeout_ms: z.number().int().min(100).max(600_000).default(20_000),
  /** How long connecting (and the MCP handshake) may take. */
  connect_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
};

const stdioServerSchema = z.strictObject({
  command: z.string().min(1).max(4096),
  args: z.array(z.string().max(4096)).max(256).default([]),
  /** Working directory, relative to the config file's directory (default that directory). */
  cwd: z.string().min(1).max(4096).optional(),
  /** Literal environment values for the child (besides a minimal default environment). */
  env: z.record(z.string().regex(ENV_NAME), z.string().max(65_536)).default({}),
  /** Child variable → the gateway's variable it is copied from (credentials the agent never sees). */
  env_from: z.record(z.string().regex(ENV_NAME), z.string().regex(ENV_NAME)).default({}),
  /** The child's stderr: dropped (default: it may print anything, secrets included) or inherited. */
  stderr: z.enum(['ignore', 'inherit']).default('ignore'),
  ...common,
});

const httpServerSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(4096),
  headers: z.record(z.string().regex(HEADER_NAME), z.string().max(8192)).default({}),
  /** Header → the gateway's environment variable holding its value. */
  headers_from_env: z.record(z.string().regex(HEADER_NAME), z.string().regex(ENV_NAME)).default({}),
  ...common,
});

const configSchema = z.strictObject({
  // Each server is checked against the stdio or the HTTP shape below, by whether it has `command`.
  servers: z
    .record(z.string().regex(SERVER_NAME), z.record(z.string(), z.unknown()))
    .refine((s) => Object.keys(s).length > 0, 'at least one server is needed'),
  /** `auto`: `server.tool` only when there are several servers; `always`: every time. */
  namespace: z.enum(['auto', 'always']).default('auto'),
  /** A tool seen for the first time is pinned and usable (`pin`) or held until an admin accepts it. */
  first_sight: z.enum(['pin', 'hold']).default('pin'),
  /** Upstream tool lists older than this are fetched again before a call (0: before every call). */
  relist_ms: z.number().int().min(0).max(3_600_000).default(0),
  review: z
    .strictObject({
      /** How long a tools/call waits for a human decision before answering "pending" (0: no wait). */
      wait_ms: z.number().int().min(0).max(3_600_000).default(30_000),
      poll_ms: z.number().int().min(50).max(60_000).default(500),
    })
    .default({ wait_ms: 30_000, poll_ms: 500 }),
  /** Largest upstream result (canonical JSON characters) passed on; larger is an error. */
  max_result_chars: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  /** Streamable HTTP sessions: most at once, and idle time after which one is closed. */
  http: z
    .strictObject({
      max_sessions: z.number().int().min(1).max(100_000).default(1000),
      session_idle_ms: z
        .number()
        .int()
        .min(1000)
        .max(86_400_000)
        .default(30 * 60_000),
    })
    .default({ max_sessions: 1000, session_idle_ms: 30 * 60_000 }),
});

export type ToolClassification = z.infer<typeof toolSchema>;

interface ServerCommon {
  name: string;
  tools: Record<string, ToolClassification>;
  output_trust: TrustLevel;
  call_timeout_ms: number;
  connect_timeout_ms: number;
}

export type UpstreamSpec = ServerCommon &
  (
    | {
        transport: 'stdio';
        command: string;
        args: string[];
        cwd: string;
        /** The child's variables: literal ones and those copied from the gateway's environment. */
        env: Record<string, string>;
        stderr: 'ignore' | 'inherit';
      }
    | { transport: 'http'; url: URL; headers: Record<string, string> }
  );

export interface McpConfig {
  servers: UpstreamSpec[];
  namespace: 'auto' | 'always';
  first_sight: 'pin' | 'hold';
  relist_ms: number;
  review: { wait_ms: number; poll_ms: number };
  max_result_chars: number;
  http: { max_sessions: number; session_idle_ms: number };
}

/**
 * Reads and checks a config file (YAML or JSON); `env` is where `env_from`/`headers_from_env` read
 * (null: leave those out, for a use that never connects, such as printing the catalog).
 */
export function loadMcpConfig(path: string, env: NodeJS.ProcessEnv | null = process.env): McpConfig {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CONFIG_BYTES) throw new McpConfigError(`${path} exceeds ${MAX_CONFIG_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof McpConfigError) throw e;
    throw new McpConfigError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let source: unknown;
  try {
    source = parseYaml(text, { maxAliasCount: 0 });
  } catch (e) {
    throw new McpConfigError(`${path} is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return parseMcpConfig(source, dirname(resolve(path)), env);
}

/** Checks a config value; relative paths are resolved against `baseDir`. */
export function parseMcpConfig(
  source: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv | null = process.env,
): McpConfig {
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) throw new McpConfigError(issueText(parsed.error, []));
  const c = parsed.data;
  const servers: UpstreamSpec[] = Object.entries(c.servers).map(([name, raw]) => {
    if ('command' in raw && 'url' in raw)
      throw new McpConfigError(
        `servers.${name}: give either command (stdio) or url (Streamable HTTP), not both`,
      );
    const checked = ('command' in raw ? stdioServerSchema : httpServerSchema).safeParse(raw);
    if (!checked.success) throw new McpConfigError(issueText(checked.error, ['servers', name]));
    const s = checked.data;
    const base = {
      name,
      tools: s.tools,
      output_trust: s.output_trust,
      call_timeout_ms: s.call_timeout_ms,
      connect_timeout_ms: s.connect_timeout_ms,
    };
    if ('command' in s) {
      const fromEnv = copyFromEnv(s.env_from, env, `servers.${name}.env_from`);
      return {
        ...base,
        transport: 'stdio' as const,
        command: s.command,
        args: s.args,
        cwd: resolve(baseDir, s.cwd ?? '.'),
        env: { ...s.env, ...fromEnv },
        stderr: s.stderr,
      };
    }
    const headers = {
      ...s.headers,
      ...copyFromEnv(s.headers_from_env, env, `servers.${name}.headers_from_env`),
    };
    const url = new URL(s.url);
    if (url.username !== '' || url.password !== '')
      throw new McpConfigError(`servers.${name}.url: credentials belong in headers_from_env, not in the URL`);
    return { ...base, transport: 'http' as const, url, headers };
  });
  return {
    servers,
    namespace: c.namespace,
    first_sight: c.first_sight,
    relist_ms: c.relist_ms,
    review: c.review,
    max_result_chars: c.max_result_chars,
    http: c.http,
  };
}

function copyFromEnv(
  mapping: Record<string, string>,
  env: NodeJS.ProcessEnv | null,
  at: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (env === null) return out;
  for (const [key, variable] of Object.entries(mapping)) {
    const value = env[variable];
    // A credential that is not there is a start-up error, not an upstream that fails later.
    if (value === undefined || value === '')
      throw new McpConfigError(`${at}.${key}: the environment variable ${variable} is not set`);
    out[key] = value;
  }
  return out;
}

/** The first issue as `path: rule`; zod's messages name the rule, never the value (a header may be a key). */
function issueText(error: z.ZodError, prefix: string[]): string {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)];
  return `${path.length > 0 ? path.join('.') : '(root)'}: ${issue?.message ?? 'invalid'}`;
}
