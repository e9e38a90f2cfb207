// Fuzzes the two routes test/reliability/fuzz_gateway.ts cannot reach from the OpenAPI document: the
// MCP gateway's Streamable HTTP endpoint /mcp (mounted only with MCP options, in front of a real
// upstream MCP server) and GET /v1/attestation (mounted only with the credential broker). Checks what
// must hold whatever comes in: no 5xx, no crash, every refusal a JSON-RPC error or {error, code,
// detail}, no tool run upstream for a malformed or unauthenticated request, no prototype polluted.
// Used by test/reliability/fuzz.test.ts (a few runs) and `npm run stress -- fuzz` (100,000 each).

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { McpGateway } from '../../src/adapters/mcp/gateway.js';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { GatewayAttestation } from '../../src/vault/attestation.js';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { Vault } from '../../src/vault/vault.js';
import { startHttpUpstream } from '../adapters/mcp/upstream_server.js';
import { pollution, type Violation } from './fuzz_gateway.js';
import {
  badAuthorization,
  deepNesting,
  hostileJsonText,
  hostileString,
  pathSegment,
  queryString,
  WRONG_METHODS,
} from './fuzz_inputs.js';

type Caller = 'agent' | 'other' | 'approver' | 'admin' | 'none' | 'bad';

interface Keys {
  agent: string;
  other: string;
  approver: string;
  admin: string;
}

/** Sends one request over HTTP and reads its answer; an event stream is read until it ends or `waitMs`. */
async function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | null,
  waitMs: number,
): Promise<{ status: number; contentType: string; body: string; session: string | null }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method,
    headers,
    signal: controller.signal,
    ...(body !== null && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const session = response.headers.get('mcp-session-id');
  let text = '';
  if (contentType.startsWith('text/event-stream')) {
    // A stream the server keeps open (GET /mcp) is cut short: what it sent so far is enough.
    const timer = setTimeout(() => controller.abort(), waitMs);
    try {
      text = await response.text();
    } catch {
      // Aborted: keep what came.
    } finally {
      clearTimeout(timer);
    }
  } else text = await response.text();
  return { status: response.status, contentType, body: text, session };
}

// --- /mcp ---------------------------------------------------------------------------------------------

export interface McpFuzzTarget {
  gateway: RunningGateway;
  keys: Keys;
  /** Sessions opened by the agent (kept open: one closed by a fuzzed DELETE is replaced). */
  sessions: string[];
  /** A session of the other agent: as unknown to the agent as one that never existed. */
  otherSession: string;
  /** How many bytes of effects the upstream has written: it grows only when a tool really runs. */
  effects(): number;
  openSession(key: string): Promise<string>;
  close(): Promise<void>;
}

const ACCEPT_BOTH = 'application/json, text/event-stream';
const PROTOCOL_VERSION = '2025-03-26';
const INITIALIZE = {
  protocolVersion: PROTOCOL_VERSION,
  capabilities: {},
  clientInfo: { name: 'fuzz', version: '1.0.0' },
};

/** A gateway with the MCP gateway mounted in front of a real upstream MCP server (over HTTP, in process). */
export async function openMcpFuzzTarget(): Promise<McpFuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-fuzz-mcp-'));
  const effectsFile = join(dir, 'effects.jsonl');
  writeFileSync(effectsFile, '');
  const upstream = await startHttpUpstream({ flavour: 'ops', effectsFile });
  const configFile = join(dir, 'mcp.yaml');
  writeFileSync(
    configFile,
    JSON.stringify({
      namespace: 'always',
      servers: {
        ops: {
          url: upstream.url,
          tools: {
            get_telemetry: { intent: 'observe', radius: 'none' },
            read_logs: { intent: 'observe', radius: 'none' },
            isolate_network_device: {
              intent: 'remediate_destructive',
              radius: 'site',
              args: {
                type: 'object',
                required: ['device_id'],
                properties: { device_id: { type: 'string' } },
              },
            },
          },
        },
      },
    }),
  );
  const dataDir = join(dir, 'data');
  const mcp = McpGateway.open({ configFile, dataDir, env: process.env });
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    engine: mcp.engine,
    executors: (gate) => [mcp.executor(gate)],
    adapters: { mcp: { gateway: mcp } },
  });
  const keys: Keys = { admin: gateway.devAdminKey as string, agent: '', other: '', approver: '' };
  for (const [role, name, channel] of [
    ['agent', 'agent', 'operator-console'],
    ['agent', 'other', 'operator-console'],
    ['approver', 'approver', undefined],
  ] as const) {
    const reply = await fetch(`${gateway.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `fuzz-mcp-${name}`, role, ...(channel ? { channel } : {}) }),
    });
    const text = await reply.text();
    if (reply.status !== 201) throw new Error(`cannot create fuzz-mcp-${name}: ${text}`);
    keys[name] = (JSON.parse(text) as { api_key: string }).api_key;
  }
  const openSession = async (key: string): Promise<string> => {
    const headers = {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: ACCEPT_BOTH,
    };
    const opened = await exchange(
      `${gateway.url}/mcp`,
      'POST',
      headers,
      JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: INITIALIZE }),
      5_000,
    );
    if (opened.status !== 200 || !opened.session)
      throw new Error(`cannot open an MCP session: ${opened.status} ${opened.body.slice(0, 200)}`);
    await exchange(
      `${gateway.url}/mcp`,
      'POST',
      { ...headers, 'mcp-session-id': opened.session, 'mcp-protocol-version': PROTOCOL_VERSION },
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      5_000,
    );
    return opened.session;
  };
  const sessions = [await openSession(keys.agent), await openSession(keys.agent)];
  const otherSession = await openSession(keys.other);
  return {
    gateway,
    keys,
    sessions,
    otherSession,
    effects: () => statSync(effectsFile).size,
    openSession,
    async close() {
      await gateway.close();
      await mcp.close();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One generated request to /mcp, and whether it is well formed enough that a tool may run for it. */
export interface McpFuzzRequest {
  method: string;
  caller: Caller;
  authorization: string | null;
  /** 'own' (one of the agent's sessions), 'other' (the other agent's), a hostile value, or none. */
  session: { kind: 'own' | 'other' | 'hostile' | 'none'; value: string | null; index: number };
  accept: string | null;
  contentType: string | null;
  body: string | null;
  /** The right method, caller, session and headers, and a body `callable` says may run a tool. */
  wellFormed: boolean;
  label: string;
}

const TOOL_NAMES = [
  'ops.get_telemetry',
  'ops.read_logs',
  'ops.isolate_network_device',
  'ops.format_disk',
  'ops.crash',
  'get_telemetry',
  'ops.',
  '.get_telemetry',
  'ops..get_telemetry',
  'ops.get_telemetry\u0000',
  'ops/get_telemetry',
  '__proto__',
  'constructor',
  'ops.__proto__',
  'ops.constructor',
  '__proto__.get_telemetry',
  'toString',
  'ops.hasOwnProperty',
  '',
];

const RPC_METHODS = [
  'initialize',
  'notifications/initialized',
  'tools/list',
  'tools/call',
  'ping',
  'resources/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/cancelled',
  'sampling/createMessage',
  'rpc.discover',
  '__proto__',
  'constructor',
  'tools/call/',
  'TOOLS/CALL',
];

const ID_TEXTS = [
  '1',
  '0',
  '-1',
  '"a"',
  '""',
  'null',
  '1.5',
  '1e309',
  '9007199254740993',
  '9'.repeat(400),
  `"${'i'.repeat(20_000)}"`,
  '{}',
  '[]',
  'true',
  '{"__proto__":{"polluted":"yes"}}',
];

const text = (v: unknown) => JSON.stringify(v);

/** The params of a tools/call: a valid call, or hostile names, arguments and _meta. */
const toolCallParams: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      text({ name: 'ops.get_telemetry', arguments: { target: 'node-sj-01-01' } }),
      text({ name: 'ops.read_logs', arguments: { source: 'edge-node-sj-01-03' } }),
    ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.constantFrom(...TOOL_NAMES), hostileString),
        fc.oneof(
          hostileJsonText,
          fc.constantFrom(
            '{"target":"node-sj-01-01","__proto__":{"polluted":"yes"}}',
            '{"constructor":{"prototype":{"polluted":"yes"}}}',
            '{"device_id":"spine-switch-sj-01"}',
            '{"device_id":{"__proto__":{"toString":1}}}',
          ),
        ),
        fc.option(
          fc.oneof(
            hostileJsonText,
            fc.constantFrom(
              '{"carapace.dev/intent":"do_anything"}',
              '{"carapace.dev/source_signals":["x","__proto__"]}',
              '{"carapace.dev/justification":{"__proto__":{"polluted":"yes"}}}',
              '{"__proto__":{"polluted":"yes"}}',
            ),
          ),
        ),
      )
      .map(
        ([name, args, meta]) =>
          `{"name":${text(name)},"arguments":${args}${meta !== null ? `,"_meta":${meta}` : ''}}`,
      ),
  },
  { weight: 1, arbitrary: hostileJsonText },
);

/** One JSON-RPC message as text: well formed, or hostile in its version, id, method, params or keys. */
const rpcMessage: fc.Arbitrary<string> = fc
  .record({
    version: fc.oneof(
      { weight: 8, arbitrary: fc.constant('"2.0"') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '"1.0"',
          '2',
          '2.0',
          'null',
          '"2.0 "',
          '""',
          '{"__proto__":"2.0"}',
          '$none',
        ),
      },
    ),
    id: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 1_000_000 }).map(String) },
      { weight: 3, arbitrary: fc.constantFrom(...ID_TEXTS) },
      { weight: 1, arbitrary: fc.constant('$none') },
    ),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constant('tools/call') },
      { weight: 4, arbitrary: fc.constantFrom(...RPC_METHODS) },
      { weight: 1, arbitrary: hostileString },
    ),
    callParams: toolCallParams,
    otherParams: fc.oneof(fc.constantFrom(text(INITIALIZE), '{}', '$none'), hostileJsonText),
    extra: fc.option(
      fc.constantFrom(
        '"__proto__":{"polluted":"yes"}',
        '"constructor":{"prototype":{"polluted":"yes"}}',
        '"result":{}',
        '"error":{"code":1,"message":"x"}',
        '"method":"initialize"',
      ),
      { freq: 4 },
    ),
  })
  .map((r) => {
    const params = r.method === 'tools/call' ? r.callParams : r.otherParams;
    const fields = [
      r.version === '$none' ? null : `"jsonrpc":${r.version}`,
      r.id === '$none' ? null : `"id":${r.id}`,
      `"method":${text(r.method)}`,
      params === '$none' ? null : `"params":${params}`,
      r.extra,
    ].filter((f): f is string => f !== null);
    return `{${fields.join(',')}}`;
  });

/** A body for /mcp: one message, a batch, or hostile bytes (malformed JSON, deep nesting, pollution, huge). */
const mcpBody: fc.Arbitrary<{ text: string | null; label: string }> = fc.oneof(
  { weight: 8, arbitrary: rpcMessage.map((m) => ({ text: m, label: `message ${m.slice(0, 100)}` })) },
  {
    weight: 2,
    arbitrary: fc
      .array(rpcMessage, { maxLength: 5 })
      .map((ms) => ({ text: `[${ms.join(',')}]`, label: `batch of ${ms.length}` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '',
        '{',
        '[',
        '{"jsonrpc":"2.0",}',
        'null',
        '"2.0"',
        '1',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ops.get_telemetry","arguments":{"target":"x"}}',
        '{"__proto__":{"polluted":"yes"},"jsonrpc":"2.0","id":1,"method":"ping"}',
        '[{"__proto__":{"polluted":"yes"}}]',
      )
      .map((t) => ({ text: t, label: `raw ${t.slice(0, 100)}` })),
  },
  {
    // A duplicate key: JSON.parse keeps the last one, so this is a well-formed call (id 2), and it may run.
    weight: 1,
    arbitrary: fc.constant({
      text: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ops.get_telemetry","arguments":{"target":"x"}},"id":2}',
      label: 'raw tools/call with a duplicate id',
    }),
  },
  { weight: 1, arbitrary: hostileJsonText.map((t) => ({ text: t, label: `hostile ${t.slice(0, 60)}` })) },
  { weight: 1, arbitrary: deepNesting.map((t) => ({ text: t, label: `nesting ${t.slice(0, 12)}...` })) },
  {
    weight: 1,
    arbitrary: fc.constant({
      text: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'A'.repeat(1_200_000)}"}}`,
      label: 'over 1 MB',
    }),
  },
  { weight: 1, arbitrary: fc.constant({ text: null, label: 'no body' }) },
);

const ACCEPTS = [
  'application/json',
  'text/event-stream',
  '*/*',
  'text/html',
  'application/json;q=0, text/event-stream;q=0',
  'application/json,text/event-stream,'.repeat(200),
];
const MCP_CONTENT_TYPES = [
  'text/plain',
  'application/jsonx',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16le',
  'multipart/form-data; boundary=x',
];

/** The right header 8 times in 10; else another value, or none. */
function mostly(right: string, others: readonly string[]): fc.Arbitrary<string | null> {
  return fc
    .tuple(fc.nat(9), fc.option(fc.constantFrom(...others), { freq: 4 }))
    .map(([n, other]) => (n < 8 ? right : other));
}
const acceptHeader = mostly(ACCEPT_BOTH, ACCEPTS);
const contentTypeHeader = mostly('application/json', MCP_CONTENT_TYPES);

export function mcpRequests(target: McpFuzzTarget): fc.Arbitrary<McpFuzzRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant('POST') },
        { weight: 1, arbitrary: fc.constantFrom(...WRONG_METHODS) },
      ),
      caller: fc.constantFrom<Caller>(
        'agent',
        'agent',
        'agent',
        'agent',
        'agent',
        'agent',
        'other',
        'admin',
        'approver',
        'none',
        'bad',
      ),
      bad: badAuthorization,
      session: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.nat(target.sessions.length - 1).map((index) => ({ kind: 'own' as const, index })),
        },
        { weight: 1, arbitrary: fc.constant({ kind: 'other' as const, index: 0 }) },
        { weight: 2, arbitrary: fc.constant({ kind: 'none' as const, index: 0 }) },
        {
          weight: 2,
          arbitrary: fc
            .oneof(
              fc.constantFrom(
                '',
                ' ',
                'mcp-00000000-0000-0000-0000-000000000000',
                '__proto__',
                'constructor',
                'toString',
              ),
              fc.string({
                unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
                maxLength: 60,
              }),
              fc.integer({ min: 100, max: 9000 }).map((n) => 'A'.repeat(n)),
            )
            .map((value) => ({ kind: 'hostile' as const, index: 0, value })),
        },
      ),
      accept: acceptHeader,
      contentType: contentTypeHeader,
      body: mcpBody,
    })
    .map((r) => {
      const authorization =
        r.caller === 'none' ? null : r.caller === 'bad' ? r.bad : `Bearer ${target.keys[r.caller]}`;
      const value =
        r.session.kind === 'own'
          ? (target.sessions[r.session.index] as string)
          : r.session.kind === 'other'
            ? target.otherSession
            : r.session.kind === 'hostile'
              ? (r.session as { value: string }).value
              : null;
      const wellFormed =
        r.method === 'POST' &&
        ((r.caller === 'agent' && r.session.kind === 'own') ||
          (r.caller === 'other' && r.session.kind === 'other')) &&
        // What the transport checks: both types named (it reads no q-values).
        r.accept !== null &&
        r.accept.includes('application/json') &&
        r.accept.includes('text/event-stream') &&
        r.contentType === 'application/json' &&
        r.body.text !== null &&
        callable(r.body.text);
      return {
        method: r.method,
        caller: r.caller,
        authorization,
        session: { kind: r.session.kind, value, index: r.session.index },
        accept: r.accept,
        contentType: r.body.text === null ? null : r.contentType,
        body: r.body.text,
        wellFormed,
        label: r.body.label,
      };
    });
}

const TOOLS = new Set(['ops.get_telemetry', 'ops.read_logs', 'ops.isolate_network_device']);
const plain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a body holds a tools/call the gateway may run: as JSON.parse reads it (the last of duplicate
 * keys wins), JSON-RPC 2.0 with a string or integer id, a tool of the config by name, and arguments and
 * _meta that are objects when present. Anything else is malformed and must never reach the upstream.
 */
export function callable(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).some((m) => {
    if (!plain(m) || m.jsonrpc !== '2.0' || m.method !== 'tools/call' || !plain(m.params)) return false;
    if (!(typeof m.id === 'string' || (typeof m.id === 'number' && Number.isInteger(m.id)))) return false;
    const { name, arguments: args, _meta: meta } = m.params;
    return (
      typeof name === 'string' &&
      TOOLS.has(name) &&
      (args === undefined || plain(args)) &&
      (meta === undefined || plain(meta))
    );
  });
}

function describeMcp(r: McpFuzzRequest): string {
  return `${r.method} /mcp as ${r.caller}, session ${r.session.kind}, accept ${String(r.accept).slice(0, 40)}, ${r.contentType ?? 'no content type'}, ${r.label.slice(0, 160)}`;
}

function isJsonRpcError(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  const error = m.error as Record<string, unknown> | undefined;
  return (
    m.jsonrpc === '2.0' &&
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'number' &&
    typeof error.message === 'string'
  );
}

function isGatewayError(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  return typeof m.error === 'string' && typeof m.code === 'string' && typeof m.detail === 'string';
}

/** A JSON-RPC message the server may send: a response (result or error) or a notification/request of its own. */
function isJsonRpcMessage(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  return m.jsonrpc === '2.0' && ('result' in m || isJsonRpcError(m) || typeof m.method === 'string');
}

/** The JSON values of an event stream's `data:` lines. */
function eventData(body: string): string[] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .filter((l) => l.length > 0);
}

function mcpProblems(
  request: McpFuzzRequest,
  answer: { status: number; contentType: string; body: string },
): string[] {
  const problems: string[] = [];
  const { status } = answer;
  if (status >= 500) problems.push(`status ${status}: ${answer.body.slice(0, 300)}`);
  // Only the route's own methods reach its authentication; any other is refused before it (404).
  const routed = ['POST', 'GET', 'DELETE'].includes(request.method);
  // 401, or a refusal for size (413, 431): never an answer.
  if (routed && (request.caller === 'none' || request.caller === 'bad') && ![401, 413, 431].includes(status))
    problems.push(`no valid key answered ${status}: ${answer.body.slice(0, 200)}`);
  if ((request.caller === 'admin' || request.caller === 'approver') && status < 400)
    problems.push(`a ${request.caller} (not an agent) answered ${status}`);
  if (request.method === 'HEAD') return problems;
  const values: unknown[] = [];
  if (answer.contentType.startsWith('application/json') && answer.body) {
    try {
      values.push(JSON.parse(answer.body));
    } catch {
      problems.push(`a JSON answer that is not JSON: ${answer.body.slice(0, 200)}`);
    }
  } else if (answer.contentType.startsWith('text/event-stream')) {
    for (const data of eventData(answer.body))
      try {
        values.push(JSON.parse(data));
      } catch {
        problems.push(`an event that is not JSON: ${data.slice(0, 200)}`);
      }
  } else if (answer.body && status >= 400) {
    problems.push(
      `error ${status} as ${answer.contentType || 'no content type'}: ${answer.body.slice(0, 200)}`,
    );
  }
  if (status >= 400) {
    const [value] = values;
    if (values.length !== 1 || !(isJsonRpcError(value) || isGatewayError(value)))
      problems.push(
        `error ${status} neither a JSON-RPC error nor {error, code, detail}: ${answer.body.slice(0, 200)}`,
      );
  } else
    for (const value of values.flat())
      if (!isJsonRpcMessage(value))
        problems.push(`an answer that is not JSON-RPC: ${JSON.stringify(value).slice(0, 200)}`);
  return problems;
}

/**
 * Sends `runs` generated requests to /mcp, one at a time (so a tool run upstream is pinned to the
 * request that caused it), and returns what went wrong. A session the fuzz closed (DELETE) is replaced;
 * one it opened (initialize) is closed again, so the gateway's session limit is never the answer.
 */
export async function fuzzMcp(
  target: McpFuzzTarget,
  runs: number,
  options: { seed?: number; maxViolations?: number } = {},
): Promise<{ sent: number; statuses: Map<number, number>; violations: Violation[] }> {
  const violations: Violation[] = [];
  const statuses = new Map<number, number>();
  const route = 'POST /mcp';
  const url = `${target.gateway.url}/mcp`;
  const batch = 500;
  let sent = 0;
  for (let done = 0; done < runs && violations.length < (options.maxViolations ?? 20); done += batch) {
    const requests = fc.sample(mcpRequests(target), {
      numRuns: Math.min(batch, runs - done),
      ...(options.seed !== undefined ? { seed: options.seed + done } : {}),
    });
    for (const request of requests) {
      // The agent's sessions as they are now (one may have been replaced since the sample was drawn).
      const session =
        request.session.kind === 'own'
          ? (target.sessions[request.session.index] as string)
          : request.session.value;
      const headers: Record<string, string> = {};
      if (request.authorization !== null) headers.authorization = request.authorization;
      if (session !== null) headers['mcp-session-id'] = session;
      if (request.accept !== null) headers.accept = request.accept;
      if (request.contentType !== null) headers['content-type'] = request.contentType;
      const before = target.effects();
      let answer: Awaited<ReturnType<typeof exchange>>;
      try {
        // A POST's event stream ends with its answers (a tool call can take a while); a GET's stays open.
        answer = await exchange(
          url,
          request.method,
          headers,
          request.body,
          request.method === 'GET' ? 200 : 15_000,
        );
      } catch (e) {
        const err = e as Error & { code?: string };
        if (err.name === 'TypeError' || err.code === 'ERR_INVALID_CHAR') continue;
        violations.push({
          route,
          request: describeMcp(request),
          problem: `the request failed: ${err.message}`,
        });
        continue;
      }
      sent++;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problems = mcpProblems(request, answer);
      if (!request.wellFormed && target.effects() !== before)
        problems.push(`a tool ran upstream for a request not well formed (answered ${answer.status})`);
      const polluted = pollution();
      if (polluted) problems.push(`prototype polluted: ${polluted}`);
      for (const problem of problems) violations.push({ route, request: describeMcp(request), problem });
      // Keep the session pool as it was: close what an initialize opened, reopen what a DELETE closed.
      if (answer.session && answer.session !== session && answer.status < 300)
        await exchange(url, 'DELETE', { ...headers, 'mcp-session-id': answer.session }, null, 200).catch(
          () => {},
        );
      if (request.method === 'DELETE' && request.session.kind === 'own' && answer.status < 300)
        target.sessions[request.session.index] = await target.openSession(target.keys.agent);
      if (
        request.method === 'DELETE' &&
        request.session.kind === 'other' &&
        request.caller === 'other' &&
        answer.status < 300
      )
        target.otherSession = await target.openSession(target.keys.other);
    }
  }
  return { sent, statuses, violations };
}

// --- /v1/attestation -------------------------------------------------------------------------------------

export interface AttestationFuzzTarget {
  gateway: RunningGateway;
  keys: Pick<Keys, 'agent' | 'admin' | 'approver'>;
  close(): Promise<void>;
}

/** A gateway with the credential broker in this process (no TEE here: the attestation says `tee: none`). */
export async function openAttestationFuzzTarget(): Promise<AttestationFuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-fuzz-attest-'));
  const dataDir = join(dir, 'data');
  const vault = new Vault(dataDir);
  const signer = OutputSigner.fromVault(vault);
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    broker: {
      vault,
      signer,
      attestation: new GatewayAttestation(signer, join(dir, 'no-configfs-tsm', 'report')),
    },
  });
  const keys = { admin: gateway.devAdminKey as string, agent: '', approver: '' };
  for (const role of ['agent', 'approver'] as const) {
    const reply = await fetch(`${gateway.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `fuzz-attest-${role}`,
        role,
        ...(role === 'agent' ? { channel: 'web' } : {}),
      }),
    });
    const text = await reply.text();
    if (reply.status !== 201) throw new Error(`cannot create the ${role}: ${text}`);
    keys[role] = (JSON.parse(text) as { api_key: string }).api_key;
  }
  return {
    gateway,
    keys,
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

/** A nonce query: a valid one, or one a hex check must refuse (length, case, encoding, repeats, arrays). */
const nonceQuery: fc.Arbitrary<{ query: string; valid: boolean }> = fc.oneof(
  { weight: 3, arbitrary: hex64.map((n) => ({ query: `?nonce=${n}`, valid: true })) },
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        hex64.map((n) => `?nonce=${n.slice(1)}`),
        hex64.map((n) => `?nonce=${n}0`),
        hex64.map((n) => `?nonce=${n.toUpperCase().replace(/^[0-9]/, 'A')}`),
        hex64.map((n) => `?nonce=${n}&nonce=${n}`),
        hex64.map((n) => `?nonce[]=${n}`),
        hex64.map((n) => `?nonce=${n}&extra=1`),
        hex64.map((n) => `?nonce=${n}%00`),
        hex64.map((n) => `?nonce=%20${n}`),
        hex64.map((n) => `?__proto__[nonce]=${n}`),
        hex64.map((n) => `?nonce=${n}&__proto__[polluted]=yes`),
        hex64.map((n) => `?constructor[prototype][polluted]=yes&nonce=${n}`),
        hex64.map((n) => `?nonce=0x${n.slice(2)}`),
        fc.constantFrom(
          '?nonce=',
          '?nonce',
          '?',
          '',
          '?nonce=' + '0'.repeat(9000),
          '?nonce=%zz',
          '?nonce=%',
          '?nonce=%ff%fe',
        ),
        pathSegment.map((s) => `?nonce=${s}`),
        queryString,
      )
      .map((query) => ({ query, valid: false })),
  },
);

interface AttestationRequest {
  method: string;
  caller: 'agent' | 'admin' | 'approver' | 'none' | 'bad';
  authorization: string | null;
  query: string;
  validNonce: boolean;
}

export function attestationRequests(target: AttestationFuzzTarget): fc.Arbitrary<AttestationRequest> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant('GET') },
        { weight: 2, arbitrary: fc.constantFrom(...WRONG_METHODS) },
      ),
      caller: fc.constantFrom('agent', 'agent', 'admin', 'approver', 'none', 'bad'),
      bad: badAuthorization,
      nonce: nonceQuery,
    })
    .map((r) => ({
      method: r.method,
      caller: r.caller,
      authorization:
        r.caller === 'none' ? null : r.caller === 'bad' ? r.bad : `Bearer ${target.keys[r.caller]}`,
      query: r.nonce.query,
      validNonce: r.nonce.valid,
    }));
}

/** Sends `runs` generated requests to /v1/attestation (`concurrency` at a time); returns what went wrong. */
export async function fuzzAttestation(
  target: AttestationFuzzTarget,
  runs: number,
  options: { seed?: number; concurrency?: number; maxViolations?: number } = {},
): Promise<{ sent: number; statuses: Map<number, number>; violations: Violation[] }> {
  const violations: Violation[] = [];
  const statuses = new Map<number, number>();
  const route = 'GET /v1/attestation';
  const batch = 500;
  let sent = 0;
  for (let done = 0; done < runs && violations.length < (options.maxViolations ?? 20); done += batch) {
    const requests = fc.sample(attestationRequests(target), {
      numRuns: Math.min(batch, runs - done),
      ...(options.seed !== undefined ? { seed: options.seed + done } : {}),
    });
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++] as AttestationRequest;
        const described = `${request.method} /v1/attestation${request.query.slice(0, 120)} as ${request.caller}`;
        const headers: Record<string, string> = {};
        if (request.authorization !== null) headers.authorization = request.authorization;
        let answer: Awaited<ReturnType<typeof exchange>>;
        try {
          answer = await exchange(
            `${target.gateway.url}/v1/attestation${request.query}`,
            request.method,
            headers,
            null,
            200,
          );
        } catch (e) {
          const err = e as Error & { code?: string };
          if (err.name === 'TypeError' || err.code === 'ERR_INVALID_CHAR') continue;
          violations.push({ route, request: described, problem: `the request failed: ${err.message}` });
          continue;
        }
        sent++;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problems: string[] = [];
        if (answer.status >= 500) problems.push(`status ${answer.status}: ${answer.body.slice(0, 300)}`);
        if ((request.caller === 'none' || request.caller === 'bad') && answer.status < 400)
          problems.push(`answered ${answer.status} with no valid key`);
        if (answer.status < 300 && (!request.validNonce || !['GET', 'HEAD'].includes(request.method)))
          problems.push(
            `answered ${answer.status} to a nonce that is not 64 hex: ${answer.body.slice(0, 200)}`,
          );
        if (request.method !== 'HEAD') {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(answer.body);
          } catch {
            problems.push(`an answer that is not JSON: ${answer.body.slice(0, 200)}`);
          }
          if (answer.status >= 400 && !isGatewayError(parsed))
            problems.push(
              `error ${answer.status} not as {error, code, detail}: ${answer.body.slice(0, 200)}`,
            );
          if (answer.status === 200 && typeof (parsed as { tee?: unknown } | null)?.tee !== 'string')
            problems.push(`an attestation without tee: ${answer.body.slice(0, 200)}`);
        }
        const polluted = pollution();
        if (polluted) problems.push(`prototype polluted: ${polluted}`);
        for (const problem of problems) violations.push({ route, request: described, problem });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  }
  return { sent, statuses, violations };
}

/** After the fuzzing, a gateway still answers its health check over HTTP. */
export async function answersHealth(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return response.status === 200 && ((await response.json()) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}
