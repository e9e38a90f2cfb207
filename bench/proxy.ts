// `npm run bench -- proxy`: the latency the OpenAI proxy adds over calling the same local upstream
// directly, one request at a time: a whole (non-streamed) answer to its last byte, and a streamed one to
// its first text token. A bare Fastify forwarder on the same upstream shows what any Node proxy hop costs
// on this machine. Direct, bare and proxied requests rotate, so drift on a shared machine lands on all
// alike. The upstream is a local stand-in that answers at once (no model behind it), so every
// microsecond the proxy spends is exposed; with a real model, recording the messages overlaps its wait.

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { startGateway } from '../src/gateway/serve.js';
import { percentiles, type Percentiles } from './timing.js';

const WORKER_ENV = 'CARAPACE_BENCH_PROXY_WORKER';
const UPSTREAM_ENV = 'CARAPACE_BENCH_PROXY_UPSTREAM';
const REQUESTS = Number(process.env.CARAPACE_BENCH_PROXY_REQUESTS ?? 3000);
const WARMUP = 300;
const ROUNDS = 10;
const GOAL_WHOLE_P99_MS = 2;
const GOAL_FIRST_TOKEN_P99_MS = 1;
/** The slow cases' upstream waits this long before answering, as a model would (and more). */
const SLOW_UPSTREAM_MS = 20;

// ---------------------------------------------------------------------------------------------------
// The upstream: a chat-completions stand-in that answers at once. Whole answers are one JSON body;
// streamed ones send the first text delta at once and the rest on the next turns of the event loop.

const ANSWER_TEXT = ['node-sj-01-02 ', 'looks healthy: ', 'cpu 41%, inlet 22C, ', 'no errors in 300 s.'];

function upstreamCompletion(withToolCall: boolean): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_790_000_000,
    model: 'bench-upstream',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: ANSWER_TEXT.join(''),
          refusal: null,
          ...(withToolCall
            ? {
                tool_calls: [
                  {
                    id: 'call_bench',
                    type: 'function',
                    function: { name: 'get_telemetry', arguments: '{"target":"node-sj-01-02"}' },
                  },
                ],
              }
            : {}),
        },
        logprobs: null,
        finish_reason: withToolCall ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: 180, completion_tokens: 24, total_tokens: 204 },
  });
}

/** The upstream stand-in's server; `bench_delay_ms` in a request makes it wait that long first. */
async function serveUpstream(): Promise<http.Server> {
  const whole = upstreamCompletion(false);
  const wholeWithCall = upstreamCompletion(true);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_790_000_000, model: 'bench-upstream', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      const delay = Number(/"bench_delay_ms":"(\d+)"/.exec(body)?.[1] ?? 0);
      const answer = () => {
        if (!body.includes('"stream":true')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body.includes('"bench_tool_call"') ? wholeWithCall : whole);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(chunk({ role: 'assistant', content: '' }) + chunk({ content: ANSWER_TEXT[0] }));
        let i = 1;
        const next = () => {
          if (i < ANSWER_TEXT.length) {
            res.write(chunk({ content: ANSWER_TEXT[i++] }));
            setImmediate(next);
          } else {
            res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
          }
        };
        setImmediate(next);
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** The upstream runs in its own process, as a model server would: its work never waits on the gateway's. */
function startUpstream(): Promise<{ url: string; pid: number | undefined; close(): void }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [UPSTREAM_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message: { url: string }) =>
      resolve({ url: message.url, pid: child.pid, close: () => child.disconnect() }),
    );
  });
}

if (process.env[UPSTREAM_ENV] === '1' && process.send) {
  const server = await serveUpstream();
  process.send({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
  process.on('disconnect', () => process.exit(0));
}

/**
 * The floor: a bare Fastify route that forwards the body to the same upstream over a keep-alive socket
 * and pipes the answer back, parsing nothing and deciding nothing. What any Node proxy hop costs here.
 */
async function startBareForwarder(upstreamUrl: string): Promise<{ app: FastifyInstance; url: string }> {
  const target = new URL(`${upstreamUrl}/chat/completions`);
  const agent = new http.Agent({ keepAlive: true });
  const app = Fastify({ logger: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.post('/v1/chat/completions', (request, reply) => {
    const body = request.body as Buffer;
    const forwarded = http.request(
      {
        hostname: target.hostname,
        port: Number(target.port),
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      },
      (response) => {
        reply.header('content-type', response.headers['content-type'] ?? 'application/json');
        void reply.send(response);
      },
    );
    forwarded.on('error', (e) => void reply.code(502).send({ error: e.message }));
    forwarded.end(body);
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${url}/v1/chat/completions` };
}

// ---------------------------------------------------------------------------------------------------
// The client: this file, forked, so that its parsing has its own event loop. Each job times two targets
// (direct and proxy) in interleaved rounds, one request in flight at a time, over keep-alive sockets.

interface Target {
  url: string;
  headers: Record<string, string>;
}

interface Job {
  id: number;
  targets: Target[];
  /** `whole`: time to the last byte of the answer; `first-token`: to the first text delta of a stream. */
  measure: 'whole' | 'first-token';
  /** The request body; `{{n}}` is replaced by the request's number (a new message every request). */
  body: string;
  requests: number;
  warmup: number;
  /** A text every answer of the last target (the proxy) must hold, e.g. its decision. */
  expect?: string;
}

interface JobResult {
  id: number;
  /** Milliseconds, per target. */
  samples: number[][];
  errors: string[];
}

function timeOne(
  agent: http.Agent,
  target: Target,
  body: Buffer,
  measure: Job['measure'],
  expect?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.request(
      target.url,
      {
        method: 'POST',
        agent,
        headers: {
          ...target.headers,
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return reject(new Error(`HTTP ${response.statusCode} from ${target.url}`));
        }
        let seen = '';
        let done = false;
        let elapsed = 0;
        response.on('data', (piece: Buffer) => {
          if (measure === 'whole' && expect === undefined) return;
          seen += piece.toString('utf8');
          // The first event whose delta carries text: what an agent shows its user first.
          if (!done && measure === 'first-token' && /"delta":\{[^}]*"content":"[^"]/.test(seen)) {
            done = true;
            resolve(Number(process.hrtime.bigint() - started) / 1e6);
          }
        });
        response.on('end', () => {
          if (measure === 'whole') elapsed = Number(process.hrtime.bigint() - started) / 1e6;
          if (expect !== undefined && !seen.includes(expect))
            return reject(new Error(`the answer of ${target.url} lacks ${expect}: ${seen.slice(0, 300)}`));
          if (measure === 'whole') resolve(elapsed);
          else if (!done) reject(new Error(`no text delta from ${target.url}`));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function runJob(job: Job): Promise<JobResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples = job.targets.map(() => new Array<number>());
  const errors: string[] = [];
  let n = 0;
  const bodyFor = () => Buffer.from(job.body.replaceAll('{{n}}', String(n++)), 'utf8');
  try {
    for (let i = 0; i < job.warmup; i++)
      for (const [t, target] of job.targets.entries())
        await timeOne(
          agent,
          target,
          bodyFor(),
          job.measure,
          t === job.targets.length - 1 ? job.expect : undefined,
        );
    const perRound = Math.ceil(job.requests / ROUNDS);
    for (let r = 0; r < ROUNDS; r++)
      for (let k = 0; k < perRound; k++)
        // Rotate which target goes first, so none always follows another.
        for (let j = 0; j < job.targets.length; j++) {
          const t = (j + k) % job.targets.length;
          const target = job.targets[t] as Target;
          try {
            (samples[t] as number[]).push(
              await timeOne(
                agent,
                target,
                bodyFor(),
                job.measure,
                t === job.targets.length - 1 ? job.expect : undefined,
              ),
            );
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
  } finally {
    agent.destroy();
  }
  return { id: job.id, samples, errors };
}

if (process.env[WORKER_ENV] === '1' && process.send) {
  process.on('message', (job: Job) => {
    runJob(job).then(
      (result) => process.send?.(result),
      (e: Error) => process.send?.({ id: job.id, samples: [], errors: [e.message] }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

function startClient() {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [WORKER_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, (r: JobResult) => void>();
  child.on('message', (result: JobResult) => {
    pending.get(result.id)?.(result);
    pending.delete(result.id);
  });
  return {
    pid: child.pid,
    run: (job: Omit<Job, 'id'>) =>
      new Promise<JobResult>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ ...job, id });
      }),
    stop: () => child.disconnect(),
  };
}

// ---------------------------------------------------------------------------------------------------

/** A conversation of an ops agent: system prompt, the user, a tool call and its output (about 1.3 KB). */
function conversation(options: {
  stream: boolean;
  newTurn: boolean;
  toolCall?: boolean;
  delayMs?: number;
}): string {
  return JSON.stringify({
    model: 'bench-upstream',
    ...(options.stream ? { stream: true } : {}),
    messages: [
      {
        role: 'system',
        content:
          'You are the on-call ops agent for data hall SJ-01. Use the tools to keep its workloads healthy. Prefer reading telemetry before acting; restart a workload only when it is unhealthy; never isolate a network device without an approved change.',
      },
      { role: 'user', content: 'How is node-sj-01-02 doing? Check its telemetry and tell me.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_telemetry', arguments: '{"target":"node-sj-01-02"}' },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 'call_1',
        content:
          '{"target":"node-sj-01-02","cpu_percent":41,"inlet_c":22,"fans_rpm":[4200,4180,4210,4190],"nic":{"link":"up","speed_gbps":25,"errors_300s":0},"workloads":["api-7","vm-02","vm-03"]}',
      },
      ...(options.newTurn ? [{ role: 'user', content: 'Turn {{n}}: anything new on node-sj-01-02?' }] : []),
    ],
    ...(options.toolCall || options.delayMs
      ? {
          metadata: {
            ...(options.toolCall ? { bench_tool_call: '1' } : {}),
            ...(options.delayMs ? { bench_delay_ms: String(options.delayMs) } : {}),
          },
        }
      : {}),
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_telemetry',
          description: 'Read telemetry of a node, VM or device.',
          parameters: { type: 'object', properties: { target: { type: 'string' } }, required: ['target'] },
        },
      },
    ],
  });
}

const ms = (n: number) => `${n.toFixed(3)} ms`;
const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');

export async function runProxyBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-bench-proxy-'));
  const upstream = await startUpstream();
  const gateway = await startGateway({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    dev: true,
    logStream: pino.destination({ dest: '/dev/null', sync: true }),
    adapters: { openai: { upstreamUrl: upstream.url, upstreamApiKey: 'sk-bench-upstream-key' } },
  });
  const bare = await startBareForwarder(upstream.url);
  const client = startClient();
  const failures: string[] = [];
  try {
    const created = await fetch(`${gateway.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.devAdminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-agent', role: 'agent' }),
    });
    const agentKey = ((await created.json()) as { api_key: string }).api_key;
    const direct: Target = {
      url: `${upstream.url}/chat/completions`,
      headers: { authorization: 'Bearer sk-bench-upstream-key' },
    };
    const floor: Target = { url: bare.url, headers: {} };
    const proxy: Target = {
      url: `${gateway.url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${agentKey}` },
    };

    // The proxy really gates here: a probe with a tool call must come back with its decision.
    const probe = await fetch(proxy.url, {
      method: 'POST',
      headers: { ...proxy.headers, 'content-type': 'application/json' },
      body: conversation({ stream: false, newTurn: false, toolCall: true }),
    });
    const probed = (await probe.json()) as {
      _carapace?: { decisions: { decision: string; rule: string }[] };
    };
    const decision = probed._carapace?.decisions[0];
    if (decision?.decision !== 'ALLOW' || decision.rule !== 'R8')
      throw new Error(`the probe was not gated ALLOW R8: ${JSON.stringify(probed._carapace)}`);

    console.log(
      `proxy bench: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (other processes share these cores); gateway (request log at level ${process.env.CARAPACE_LOG_LEVEL ?? 'info'} to /dev/null) and a bare Fastify forwarder (the floor of any Node proxy hop) in this process (pid ${process.pid}); the upstream stand-in in a forked process (pid ${upstream.pid}), answering at once; client in a forked process (pid ${client.pid}), one request in flight, keep-alive; ${REQUESTS} requests per path and case after ${WARMUP} warm-up each (a fifth of both with the slow upstream), direct, bare and proxied in rotating order over ${ROUNDS} rounds; request body about ${Buffer.byteLength(conversation({ stream: false, newTurn: true }))} bytes (system, user, assistant tool call, tool output, 4 tools)`,
    );
    const cases: {
      name: string;
      measure: Job['measure'];
      body: string;
      goalMs: number | null;
      slow?: boolean;
      expect?: string;
    }[] = [
      {
        name: 'whole answer, conversation already seen',
        measure: 'whole',
        body: conversation({ stream: false, newTurn: false }),
        goalMs: GOAL_WHOLE_P99_MS,
      },
      {
        name: 'whole answer, a new message every request',
        measure: 'whole',
        body: conversation({ stream: false, newTurn: true }),
        goalMs: GOAL_WHOLE_P99_MS,
      },
      {
        name: 'first text token, conversation already seen',
        measure: 'first-token',
        body: conversation({ stream: true, newTurn: false }),
        goalMs: GOAL_FIRST_TOKEN_P99_MS,
      },
      {
        name: 'first text token, a new message every request',
        measure: 'first-token',
        body: conversation({ stream: true, newTurn: true }),
        goalMs: GOAL_FIRST_TOKEN_P99_MS,
      },
      {
        name: `whole answer, a new message every request, upstream answering after ${SLOW_UPSTREAM_MS} ms`,
        measure: 'whole',
        body: conversation({ stream: false, newTurn: true, delayMs: SLOW_UPSTREAM_MS }),
        goalMs: GOAL_WHOLE_P99_MS,
        slow: true,
      },
      {
        name: `first text token, a new message every request, upstream answering after ${SLOW_UPSTREAM_MS} ms`,
        measure: 'first-token',
        body: conversation({ stream: true, newTurn: true, delayMs: SLOW_UPSTREAM_MS }),
        goalMs: GOAL_FIRST_TOKEN_P99_MS,
        slow: true,
      },
      {
        name: 'whole answer with one tool call gated (ALLOW R8: decision, audit, token)',
        measure: 'whole',
        body: conversation({ stream: false, newTurn: false, toolCall: true }),
        goalMs: null,
        expect: '"decision":"ALLOW","rule":"R8"',
      },
    ];
    for (const [i, c] of cases.entries()) {
      // Each case is its own session: one case's messages never taint or crowd another's decisions.
      const session = { ...proxy, headers: { ...proxy.headers, 'x-carapace-session': `bench-case-${i}` } };
      const result = await client.run({
        targets: [direct, floor, session],
        ...(c.measure === 'whole' ? { expect: c.expect ?? '"_carapace"' } : {}),
        measure: c.measure,
        body: c.body,
        requests: c.slow ? Math.ceil(REQUESTS / 5) : REQUESTS,
        warmup: c.slow ? Math.ceil(WARMUP / 5) : WARMUP,
      });
      if (result.errors.length > 0) {
        failures.push(`${c.name}: ${result.errors.length} errors, first: ${result.errors[0]}`);
        console.log(`!!! ERRORS in "${c.name}": ${result.errors.length}, first: ${result.errors[0]}`);
      }
      const [d, f, p] = result.samples.map((s) => percentiles(Float64Array.from(s))) as [
        Percentiles,
        Percentiles,
        Percentiles,
      ];
      const over99 = p.p99 - d.p99;
      console.log(
        `${c.name}:\n  direct p50 ${ms(d.p50)} p99 ${ms(d.p99)} | bare forwarder p50 ${ms(f.p50)} p99 ${ms(f.p99)} | carapace proxy p50 ${ms(p.p50)} p99 ${ms(p.p99)}\n  added by the proxy: p50 ${ms(p.p50 - d.p50)} p99 ${ms(over99)} (proxy/direct ${(p.p50 / d.p50).toFixed(2)}x at p50); of which beyond a bare forwarder's hop: p50 ${ms(p.p50 - f.p50)} p99 ${ms(p.p99 - f.p99)}${c.goalMs === null ? ' (no goal: shown for the cost of gating)' : ` — goal p99 added <= ${c.goalMs} ms: ${goal(over99 <= c.goalMs)}`}`,
      );
    }
    console.log(`load average after the runs: ${loadavg()[0]?.toFixed(1)} (1 min)`);
  } finally {
    client.stop();
    await bare.app.close();
    await gateway.close();
    upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.log(`!!! THIS RUN HAD ERRORS; its figures are not clean:\n!!!   ${failures.join('\n!!!   ')}`);
    process.exitCode = 1;
  }
}
