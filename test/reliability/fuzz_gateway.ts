// Fuzzes every route of a real gateway (its /v1 API from its own OpenAPI document, /healthz, /readyz,
// /metrics and the OpenAI proxy) with hostile requests, and checks what must hold whatever comes in: no
// 5xx, no crash, every error as {error, code, detail}, nothing malformed accepted or ALLOWed, no
// prototype polluted. Used by test/reliability/fuzz.test.ts (a few runs) and `npm run stress -- fuzz`.

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { BODY_LIMIT_BYTES, buildGateway } from '../../src/gateway/app.js';
import { generateApiKey, hashApiKey } from '../../src/gateway/auth.js';
import { DEMO_CHANNELS, openGatewayContext } from '../../src/gateway/serve.js';
import {
  badAuthorization,
  contentType,
  type Payload,
  pathSegment,
  payloadFor,
  queryString,
  WRONG_METHODS,
} from './fuzz_inputs.js';

export const FUZZ_ROLES = ['agent', 'approver', 'admin'] as const;
type Caller = (typeof FUZZ_ROLES)[number] | 'none' | 'bad';

export interface FuzzRoute {
  method: 'GET' | 'POST';
  /** OpenAPI form: /v1/reviews/{id}. */
  path: string;
  /** Its body is validated by a closed schema: a malformed one must never be accepted. */
  closedBody: boolean;
  /** Its schema takes no body or `null` as well as an object (POST /v1/audit/verify). */
  nullableBody: boolean;
  /** Answers with a stream that stays open (server-sent events): sent over HTTP and cut short. */
  stream: boolean;
}

export interface FuzzTarget {
  app: FastifyInstance;
  url: string;
  keys: Record<(typeof FUZZ_ROLES)[number], string>;
  routes: FuzzRoute[];
  close(): Promise<void>;
}

export interface Violation {
  route: string;
  request: string;
  problem: string;
}

/** Routes the OpenAPI document does not list: the OpenAI proxy's. */
const ADAPTER_ROUTES: FuzzRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', closedBody: false, nullableBody: false, stream: false },
  { method: 'GET', path: '/v1/models', closedBody: false, nullableBody: false, stream: false },
];
const STREAM_ROUTES = new Set(['/v1/events', '/v1/demo/stream']);

/** A valid body for each route that takes one (the shapes the gateway tests send); others get `{}`. */
const TEMPLATES: Record<string, Record<string, unknown>> = {
  '/v1/actions': {
    envelope: {
      intent: 'observe',
      tool: 'read_logs',
      args: { source: 'edge-node-sj-01-03' },
      session: 'fuzz',
    },
  },
  '/v1/decide': {
    envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-03' }, session: 'fuzz' },
  },
  '/v1/execute': { token: 'x', tool: 'read_logs', args: { source: 'edge-node-sj-01-03' } },
  '/v1/redeem': { token: 'x', tool: 'read_logs', args: { source: 'edge-node-sj-01-03' } },
  '/v1/results': { jti: 'x', result: { ok: true } },
  '/v1/ingest': { content: 'node-sj-01-02 cpu 97% for 20 min', session: 'fuzz' },
  '/v1/ingest/image': { image: 'aGVsbG8=', session: 'fuzz' },
  '/v1/admin/principals': { name: 'fuzz', role: 'agent', channel: 'web' },
  '/v1/admin/channels': { name: 'fuzz', trust: 'untrusted' },
  '/v1/admin/principals/{id}/tier': { tier: 'standard' },
  '/v1/reviews/{id}/approve': { note: 'ok' },
  '/v1/reviews/{id}/reject': { note: 'no' },
  '/v1/token': {},
  '/v1/agents/delegates': { name: 'fuzz-delegate', scope: { tools: ['read_logs'] } },
  '/v1/agents/me/attestation': { nonce: 'x', evidence: 'x' },
  '/v1/chat/completions': { model: 'scripted-model', messages: [{ role: 'user', content: 'hello' }] },
};

/** An upstream for the OpenAI proxy that answers every request with the same completion, reading nothing. */
async function fixedUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const completion = JSON.stringify({
    id: 'chatcmpl-fuzz',
    object: 'chat.completion',
    created: 1_790_000_000,
    model: 'scripted-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'ok', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url?.endsWith('/models') ? '{"object":"list","data":[]}' : completion);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A gateway as `carapace serve --dev` makes it (demo channels, the console routes, the OpenAI proxy), listening on a free port. */
export async function openFuzzTarget(): Promise<FuzzTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-fuzz-'));
  const upstream = await fixedUpstream();
  const opened = await openGatewayContext({
    dataDir,
    channels: Object.fromEntries(DEMO_CHANNELS),
    openedBy: 'fuzz',
    adapters: {
      openai: { upstreamUrl: upstream.url, upstreamApiKey: 'sk-fuzz-upstream-key-0000000000000000' },
    },
  });
  const { ctx } = opened;
  const adminKey = generateApiKey();
  await ctx.store.createPrincipal({
    id: 'admin:fuzz-admin',
    name: 'fuzz-admin',
    role: 'admin',
    api_key_hash: hashApiKey(adminKey),
    created_at: new Date().toISOString(),
  });
  const app = buildGateway(ctx, { console: { dataDir, hall: null } });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const keys = { admin: adminKey, agent: '', approver: '' };
  for (const [role, channel] of [
    ['agent', 'operator-console'],
    ['approver', undefined],
  ] as const) {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/admin/principals',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: `fuzz-${role}`, role, ...(channel ? { channel } : {}) }),
    });
    if (reply.statusCode !== 201) throw new Error(`cannot create the ${role}: ${reply.body}`);
    keys[role] = (JSON.parse(reply.body) as { api_key: string }).api_key;
  }
  const doc = JSON.parse((await app.inject({ method: 'GET', url: '/v1/openapi.json' })).body) as {
    paths: Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: { type?: unknown } }> } }>
    >;
  };
  const routes: FuzzRoute[] = [];
  for (const [path, operations] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(operations)) {
      if (method !== 'get' && method !== 'post') continue;
      routes.push({
        method: method.toUpperCase() as 'GET' | 'POST',
        path,
        closedBody: operation.requestBody !== undefined,
        nullableBody: JSON.stringify(
          operation.requestBody?.content['application/json']?.schema.type ?? null,
        ).includes('"null"'),
        stream: STREAM_ROUTES.has(path),
      });
    }
  for (const route of ADAPTER_ROUTES)
    if (!routes.some((r) => r.method === route.method && r.path === route.path)) routes.push(route);
  return {
    app,
    url,
    keys,
    routes,
    async close() {
      await app.close();
      await opened.close();
      await upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One generated request for a route. */
export interface FuzzRequest {
  method: string;
  url: string;
  caller: Caller;
  authorization: string | null;
  contentType: string | null;
  payload: Payload | null;
}

export function requestsFor(route: FuzzRoute, keys: FuzzTarget['keys']): fc.Arbitrary<FuzzRequest> {
  const segments = (route.path.match(/\{[^}]+\}/g) ?? []).length;
  const template = TEMPLATES[route.path] ?? {};
  const takesBody = route.method === 'POST' && !route.stream;
  return fc
    .record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom(...WRONG_METHODS) },
      ),
      segments: fc.array(pathSegment, { minLength: segments, maxLength: segments }),
      query: queryString,
      caller: fc.constantFrom<Caller>('none', 'bad', 'agent', 'agent', 'approver', 'admin', 'admin'),
      bad: badAuthorization,
      type: contentType,
      payload: takesBody
        ? fc.option(payloadFor(template, BODY_LIMIT_BYTES), { freq: 12 })
        : fc.constant(null),
    })
    .map((r) => {
      let i = 0;
      const path = route.path.replace(/\{[^}]+\}/g, () => r.segments[i++] as string);
      const payload = r.payload && !r.type.json ? { ...r.payload, malformed: true } : r.payload;
      return {
        method: r.method,
        url: `${path}${r.query}`,
        caller: r.caller,
        authorization: r.caller === 'none' ? null : r.caller === 'bad' ? r.bad : `Bearer ${keys[r.caller]}`,
        contentType: payload ? r.type.value : null,
        payload,
      };
    });
}

function describe(request: FuzzRequest): string {
  return `${request.method} ${request.url.slice(0, 120)} as ${request.caller}, ${request.contentType ?? 'no content type'}, ${request.payload ? `${request.payload.label.slice(0, 80)}${request.payload.malformed ? ' (malformed)' : ''}` : 'no body'}`;
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

async function send(target: FuzzTarget, route: FuzzRoute, request: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (request.authorization !== null) headers.authorization = request.authorization;
  if (request.contentType !== null) headers['content-type'] = request.contentType;
  if (!route.stream) {
    const reply = await target.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      ...(request.payload ? { payload: request.payload.body } : {}),
    });
    return {
      status: reply.statusCode,
      contentType: String(reply.headers['content-type'] ?? ''),
      body: reply.body,
    };
  }
  // A stream that opens stays open: take the status and headers over HTTP, then hang up.
  const controller = new AbortController();
  const response = await fetch(`${target.url}${request.url}`, {
    method: request.method,
    headers,
    signal: controller.signal,
    ...(request.payload && request.method !== 'GET' && request.method !== 'HEAD'
      ? { body: request.payload.body }
      : {}),
  });
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.status, contentType: type, body: '' };
  }
  return { status: response.status, contentType: type, body: await response.text() };
}

/** What must hold for one answer; the problems found, none when it is fine. */
function problemsOf(route: FuzzRoute, request: FuzzRequest, answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`status ${answer.status}: ${answer.body.slice(0, 300)}`);
  let parsed: Record<string, unknown> | null = null;
  if (answer.body && answer.contentType.startsWith('application/json')) {
    try {
      parsed = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      problems.push(`a JSON answer that is not JSON: ${answer.body.slice(0, 200)}`);
    }
  }
  if (answer.status >= 400 && request.method !== 'HEAD') {
    const shaped =
      parsed !== null &&
      typeof parsed.error === 'string' &&
      typeof parsed.code === 'string' &&
      typeof parsed.detail === 'string';
    if (!shaped)
      problems.push(`error ${answer.status} not as {error, code, detail}: ${answer.body.slice(0, 200)}`);
  }
  const empty =
    typeof request.payload?.body === 'string' && ['', 'null'].includes(request.payload.body.trim());
  const malformed =
    request.payload?.malformed === true && request.method === route.method && !(route.nullableBody && empty);
  if (malformed && route.closedBody && answer.status < 300)
    problems.push(`malformed body accepted with ${answer.status}: ${answer.body.slice(0, 200)}`);
  if (malformed && parsed !== null && JSON.stringify(parsed).includes('"decision":"ALLOW"'))
    problems.push(`malformed body ALLOWed: ${answer.body.slice(0, 200)}`);
  return problems;
}

const PROTOTYPES: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];
const BASELINE = new Map(PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).length]));

/** A prototype polluted in this process: a new own key on a built-in prototype, or `polluted` seen on `{}`. */
export function pollution(): string | null {
  if (({} as Record<string, unknown>).polluted !== undefined) return '({}).polluted is defined';
  for (const [name, proto] of PROTOTYPES)
    if (Reflect.ownKeys(proto).length !== BASELINE.get(name)) return `${name} gained a key`;
  return null;
}

/**
 * Sends `runs` generated requests to `route` (`concurrency` at a time) and returns what went wrong. A
 * request the client cannot even send (an invalid header, say) is not the gateway's fault and is skipped.
 */
export async function fuzzRoute(
  target: FuzzTarget,
  route: FuzzRoute,
  runs: number,
  options: { seed?: number; concurrency?: number; maxViolations?: number } = {},
): Promise<{ sent: number; statuses: Map<number, number>; violations: Violation[] }> {
  const violations: Violation[] = [];
  const statuses = new Map<number, number>();
  const name = `${route.method} ${route.path}`;
  const arbitrary = requestsFor(route, target.keys);
  const batch = 500;
  let sent = 0;
  for (let done = 0; done < runs && violations.length < (options.maxViolations ?? 20); done += batch) {
    const requests = fc.sample(arbitrary, {
      numRuns: Math.min(batch, runs - done),
      ...(options.seed !== undefined ? { seed: options.seed + done } : {}),
    });
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++] as FuzzRequest;
        let answer: Answer;
        try {
          answer = await send(target, route, request);
        } catch (e) {
          const err = e as Error & { code?: string };
          if (
            err.name === 'TypeError' ||
            err.code === 'ERR_INVALID_CHAR' ||
            err.code === 'ERR_HTTP_INVALID_HEADER_VALUE'
          )
            continue;
          violations.push({
            route: name,
            request: describe(request),
            problem: `the request failed: ${err.message}`,
          });
          continue;
        }
        sent++;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        for (const problem of problemsOf(route, request, answer))
          violations.push({ route: name, request: describe(request), problem });
        const polluted = pollution();
        if (polluted)
          violations.push({
            route: name,
            request: describe(request),
            problem: `prototype polluted: ${polluted}`,
          });
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  }
  return { sent, statuses, violations };
}

/** After the fuzzing, the gateway still answers its health check over HTTP. */
export async function stillHealthy(target: FuzzTarget): Promise<boolean> {
  try {
    const response = await fetch(`${target.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (response.status === 200 && (JSON.parse(text) as { status?: string }).status === 'ok') return true;
    console.error(`/healthz answered ${response.status}: ${text.slice(0, 200)}`);
  } catch (e) {
    console.error(
      `/healthz did not answer: ${(e as Error).message} (${String((e as { cause?: unknown }).cause)})`,
    );
  }
  return false;
}
