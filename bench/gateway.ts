// `npm run bench -- gateway`: HTTP throughput and latency of /v1/decide and /v1/actions (durable audit
// + signed token) under autocannon, against a bare Fastify route parsing the same body as the baseline.

import { fork } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { pino } from 'pino';
import { DEFAULT_ORIGIN, findKeyFiles, readDataDirLog } from '../src/audit/log_files.js';
import { verifyLog } from '../src/audit/verify.js';
import { startGateway } from '../src/gateway/serve.js';
import { percentiles, type Percentiles } from './timing.js';

const WORKER_ENV = 'CARAPACE_BENCH_AUTOCANNON_WORKER';
const CONNECTIONS = 50;
const DURATION_S = 10;
const WARMUP_S = 2;
const FIXED_RATE = 1_000;

interface LoadJob {
  id: number;
  url: string;
  body: string;
  headers: Record<string, string>;
  durationS: number;
  overallRate?: number;
  /** `paced`: our own open-loop sender, one request every 1/rate s, instead of autocannon. */
  paced?: boolean;
}

interface LoadResult {
  id: number;
  /** Responses received, of any status. */
  responses: number;
  /** Responses whose status was not exactly 200. */
  not200: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
  /** Over 200 responses only, in milliseconds, measured per request in the client (float, not HDR-rounded). */
  latencyMs: Percentiles;
  /** Paced runs only: latency from when each request was due (includes any wait for a free socket). */
  fromDueMs?: Percentiles;
  /** CPU the load generator used, in cores (1 = one core busy throughout). */
  clientCpu?: number;
}

// ---------------------------------------------------------------------------------------------------
// The load generator: this same file, forked, runs autocannon on jobs the parent sends it, so that the
// client has its own process (and event loop) rather than sharing the servers'. autocannon's rate limit
// is per connection per second (each connection sends its share back to back at the top of the second,
// then idles), so fixed-rate runs are also made with a paced open-loop sender, one request every 1 ms.

interface AutocannonResult {
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

async function workerMain(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const runJob = (job: LoadJob) =>
    new Promise<LoadResult>((resolve, reject) => {
      let samples = new Float64Array(1 << 16);
      let count = 0;
      let responses = 0;
      let not200 = 0;
      const started = process.hrtime.bigint();
      const instance = autocannon(
        {
          url: job.url,
          method: 'POST',
          body: job.body,
          headers: job.headers,
          connections: CONNECTIONS,
          pipelining: 1,
          duration: job.durationS,
          ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        },
        (error, result) => {
          if (error) return reject(error);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          resolve({
            id: job.id,
            responses,
            not200,
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            statusCodes: Object.fromEntries(
              Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
            ),
            seconds: Math.min(seconds, result.duration || seconds),
            latencyMs: percentiles(samples.subarray(0, count)),
          });
        },
      );
      instance.on('response', (_client, status, _bytes, ms) => {
        responses++;
        if (status !== 200) {
          not200++;
          return;
        }
        if (count === samples.length) {
          const grown = new Float64Array(samples.length * 2);
          grown.set(samples);
          samples = grown;
        }
        samples[count++] = ms;
      });
    });
  process.on('message', (job: LoadJob) => {
    const cpu = process.cpuUsage();
    (job.paced ? runPaced(job) : runJob(job)).then(
      (result) => {
        const used = process.cpuUsage(cpu);
        process.send?.({ ...result, clientCpu: (used.user + used.system) / 1e6 / result.seconds });
      },
      (error: Error) => process.send?.({ id: job.id, error: error.message }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

function runPaced(job: LoadJob): Promise<LoadResult> {
  const rate = job.overallRate ?? FIXED_RATE;
  const total = Math.round(rate * job.durationS);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = Buffer.from(job.body);
  const headers = { ...job.headers, 'content-length': String(body.length) };
  const intervalNs = 1e9 / rate;
  const t0 = process.hrtime.bigint() + 10_000_000n;
  const due = (i: number) => t0 + BigInt(Math.round(i * intervalNs));
  const latencies = new Float64Array(total);
  const fromDue = new Float64Array(total);
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let responses = 0;
  let not200 = 0;
  let errors = 0;
  let timeouts = 0;
  let issued = 0;
  let finished = 0;
  return new Promise((resolve) => {
    const finish = () => {
      if (++finished < total) return;
      agent.destroy();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({
        id: job.id,
        responses,
        not200,
        non2xx: Object.entries(statusCodes)
          .filter(([c]) => !c.startsWith('2'))
          .reduce((n, [, k]) => n + k, 0),
        errors,
        timeouts,
        statusCodes,
        seconds,
        latencyMs: percentiles(latencies.subarray(0, ok)),
        fromDueMs: percentiles(fromDue.subarray(0, ok)),
      });
    };
    const send = (i: number) => {
      const sent = process.hrtime.bigint();
      let settled = false;
      const once = (fn: () => void) => () => {
        if (settled) return;
        settled = true;
        fn();
        finish();
      };
      const request = http.request(job.url, { method: 'POST', agent, headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on(
          'error',
          once(() => errors++),
        );
        res.on(
          'end',
          once(() => {
            const end = process.hrtime.bigint();
            responses++;
            const status = res.statusCode ?? 0;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status === 200) {
              latencies[ok] = Number(end - sent) / 1e6;
              fromDue[ok++] = Number(end - due(i)) / 1e6;
            } else not200++;
          }),
        );
      });
      request.on('timeout', () => {
        timeouts++;
        request.destroy(new Error('timeout'));
      });
      request.on(
        'error',
        once(() => errors++),
      );
      request.end(body);
    };
    const tick = () => {
      const now = process.hrtime.bigint();
      while (issued < total && due(issued) <= now) send(issued++);
      if (issued < total) setTimeout(tick, 0);
    };
    setTimeout(tick, 10);
  });
}

if (process.env[WORKER_ENV] === '1' && process.send) await workerMain();

// ---------------------------------------------------------------------------------------------------

function startLoadWorker() {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [WORKER_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  child.on('message', (message: LoadResult | { id: number; error: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if ('error' in message) waiter?.reject(new Error(`autocannon: ${message.error}`));
    else waiter?.resolve(message);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load worker exited (${code})`));
    pending.clear();
  });
  return {
    pid: child.pid,
    run(job: Omit<LoadJob, 'id'>): Promise<LoadResult> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...job, id });
      });
    },
    stop() {
      child.disconnect();
    },
  };
}

async function json(
  url: string,
  key: string | null,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expect(reply: { status: number; body: unknown }, status: number[], what: string) {
  if (!status.includes(reply.status))
    throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const ms = (n: number) => `${n.toFixed(3)} ms`;
const goal = (ok: boolean) => (ok ? 'met' : 'MISSED');

export async function runGatewayBench(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-bench-gw-'));
  const worker = startLoadWorker();
  // The gateway logs every request at its default level (info); the lines go to /dev/null, not the console.
  const gateway = await startGateway({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    dev: true,
    logStream: pino.destination({ dest: '/dev/null', sync: true }),
  });
  const bare = Fastify({ logger: false });
  let gatewayClosed = false;
  const failures: string[] = [];
  try {
    // Setup over HTTP, as an operator would: a trusted channel, an agent bound to it, one chunk.
    const admin = gateway.devAdminKey as string;
    expect(
      await json(`${gateway.url}/v1/admin/channels`, admin, { name: 'operator-console', trust: 'trusted' }),
      [201, 409], // 409: `dev` may already have created the default channels
      'create channel',
    );
    const created = await json(`${gateway.url}/v1/admin/principals`, admin, {
      name: 'bench-agent',
      role: 'agent',
      channel: 'operator-console',
    });
    expect(created, [201], 'create agent');
    const agentKey = created.body.api_key as string;
    const chunk = await json(`${gateway.url}/v1/ingest`, agentKey, {
      content: 'node-sj-01-02 cpu 97% for 20 min; vm-02 latency p99 840 ms',
      session: 's-bench',
    });
    expect(chunk, [200, 201], 'ingest');
    if (chunk.body.trust !== 'trusted')
      throw new Error(`the chunk is not trusted: ${JSON.stringify(chunk.body)}`);
    const body = JSON.stringify({
      envelope: {
        intent: 'remediate_reversible',
        tool: 'migrate_vm',
        args: { vm_id: 'vm-02', target_node: 'node-sj-01-03' },
        source_signals: [chunk.body.id as string],
        session: 's-bench',
      },
    });
    const probe = await json(`${gateway.url}/v1/actions`, agentKey, JSON.parse(body));
    expect(probe, [200], 'probe /v1/actions');
    if (probe.body.decision !== 'ALLOW' || probe.body.rule !== 'R7' || typeof probe.body.token !== 'string')
      throw new Error(`probe /v1/actions is not ALLOW R7 with a token: ${JSON.stringify(probe.body)}`);
    let actionsOk = 1;

    bare.post('/bare', async (request) => {
      if (typeof request.body !== 'object' || request.body === null) throw new Error('no body');
      return { ok: true };
    });
    const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/bare`;
    const bareProbe = await json(bareUrl, null, JSON.parse(body));
    expect(bareProbe, [200], 'probe bare route');

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${agentKey}` };
    const targets = {
      decide: { url: `${gateway.url}/v1/decide`, headers },
      actions: { url: `${gateway.url}/v1/actions`, headers },
      bare: { url: bareUrl, headers: { 'content-type': 'application/json' } },
    } as const;
    console.log(
      `gateway bench: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (other processes on the machine share these cores); servers (gateway + bare Fastify ${bare.version}) in this process (pid ${process.pid}); gateway request log at level ${process.env.CARAPACE_LOG_LEVEL ?? 'info'} to /dev/null; load generator: autocannon (and a paced sender) in a forked child process (pid ${worker.pid}); ${CONNECTIONS} connections, pipelining 1, ${DURATION_S} s per run after a ${WARMUP_S} s warm-up; body ${Buffer.byteLength(body)} bytes (migrate_vm vm-02 -> node-sj-01-03, ALLOW R7)`,
    );

    // Every autocannon run stops with up to CONNECTIONS requests in flight: the gateway still decides
    // and logs those, but the client never counts their answers.
    let actionsStops = 0;
    const run = async (
      name: keyof typeof targets,
      durationS: number,
      overallRate?: number,
      paced = false,
    ) => {
      const cpu = process.cpuUsage();
      const result = await worker.run({
        ...targets[name],
        body,
        durationS,
        ...(overallRate ? { overallRate } : {}),
        ...(paced ? { paced } : {}),
      });
      const used = process.cpuUsage(cpu);
      const serverCpu = (used.user + used.system) / 1e6 / result.seconds;
      if (name === 'actions') {
        actionsOk += result.responses - result.not200;
        if (!paced) actionsStops++;
      }
      const bad = result.not200 + result.errors + result.timeouts;
      if (bad > 0) {
        const line = `${name}${overallRate ? ` @ ${overallRate}/s` : ''}${paced ? ' paced' : ''}: ${result.not200} responses not 200 (${result.non2xx} non-2xx), ${result.errors} errors, ${result.timeouts} timeouts; status codes ${JSON.stringify(result.statusCodes)}`;
        failures.push(line);
        console.log(`!!! ERRORS: ${line}`);
      }
      return { ...result, serverCpu };
    };
    const rate = (r: LoadResult | undefined) => (r ? (r.responses - r.not200) / r.seconds : 0);
    const counts = (r: LoadResult & { serverCpu: number }) =>
      `${fmt(r.responses)} responses in ${r.seconds.toFixed(2)} s = ${fmt(rate(r))}/s; non-200 ${r.not200}, errors ${r.errors}, timeouts ${r.timeouts}; CPU: server ${(100 * r.serverCpu).toFixed(0)}%, load generator ${(100 * (r.clientCpu ?? 0)).toFixed(0)}% of a core`;

    // (a) Maximum throughput.
    const max: Record<string, LoadResult> = {};
    for (const name of ['decide', 'actions', 'bare'] as const) {
      await run(name, WARMUP_S);
      const r = await run(name, DURATION_S);
      max[name] = r;
      console.log(
        `max throughput ${name.padEnd(7)} ${`${fmt(rate(r))}/s`.padStart(9)} (latency p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)}; ${counts(r)})`,
      );
    }
    const actionsRate = rate(max.actions);
    console.log(
      `POST /v1/actions (durable audit + signed token): ${fmt(actionsRate)}/s — goal >= 5,000/s: ${goal(actionsRate >= 5_000)}; ${((100 * actionsRate) / rate(max.bare)).toFixed(1)}% of the bare Fastify route (${fmt(rate(max.bare))}/s); /v1/decide ${fmt(rate(max.decide))}/s = ${((100 * rate(max.decide)) / rate(max.bare)).toFixed(1)}% of bare`,
    );

    // (b) Latency at a fixed 1,000 req/s: autocannon overallRate (bursty), then the paced sender.
    for (const paced of [false, true]) {
      const how = paced
        ? 'paced open loop, 1 request per ms'
        : `autocannon overallRate, ${FIXED_RATE / CONNECTIONS} back-to-back per connection at the top of each second`;
      const fixed: Record<string, LoadResult> = {};
      for (const name of ['actions', 'bare'] as const) {
        const r = await run(name, DURATION_S, FIXED_RATE, paced);
        fixed[name] = r;
        console.log(
          `at ${fmt(FIXED_RATE)} req/s (${paced ? 'paced' : 'autocannon'}) ${name.padEnd(7)} p50 ${ms(r.latencyMs.p50)}, p99 ${ms(r.latencyMs.p99)}, p99.9 ${ms(r.latencyMs.p999)}, mean ${ms(r.latencyMs.mean)}${r.fromDueMs ? ` (from due time: p50 ${ms(r.fromDueMs.p50)}, p99 ${ms(r.fromDueMs.p99)})` : ''} (${counts(r)})`,
        );
      }
      const a = fixed.actions as LoadResult;
      const b = fixed.bare as LoadResult;
      const overhead = a.latencyMs.p50 - b.latencyMs.p50;
      console.log(
        `at ${fmt(FIXED_RATE)} req/s (${how}): /v1/actions p99 ${ms(a.latencyMs.p99)} — goal <= 5 ms: ${goal(a.latencyMs.p99 <= 5)}; gate overhead p50(actions) - p50(bare) = ${ms(overhead)} — goal <= 1 ms: ${goal(overhead <= 1)}`,
      );
    }

    console.log(`load average after the runs: ${loadavg()[0]?.toFixed(1)} (1 min)`);

    // Durability: close the gateway (flush + checkpoint), then read the log back and verify it.
    await bare.close();
    await gateway.close();
    gatewayClosed = true;
    let decisions = 0;
    let allowed = 0;
    for (const source of (await readDataDirLog(dataDir)).sources)
      for (const line of source.bytes.subarray(source.start).toString('utf8').split('\n')) {
        if (!line.includes('"kind":"decision"')) continue;
        const entry = JSON.parse(line) as { kind: string; payload: { record: { decision: string } } };
        if (entry.kind !== 'decision') continue;
        decisions++;
        if (entry.payload.record.decision === 'ALLOW') allowed++;
      }
    const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
    if (!key) throw new Error('no audit log key in the data directory');
    const started = process.hrtime.bigint();
    const verified = verifyLog((await readDataDirLog(dataDir)).sources, { key: key.vkey });
    const verifySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const inFlight = decisions - actionsOk;
    const accounted = inFlight >= 0 && inFlight <= CONNECTIONS * actionsStops;
    console.log(
      `audit log: ${verified.entries.toLocaleString('en')} entries, ${verified.checkpoints} checkpoints, ${verified.ok ? 'verifies' : `DOES NOT VERIFY at seq ${verified.seq}: ${verified.problem}`} (verifyLog in ${verifySeconds.toFixed(2)} s); ${fmt(decisions)} decision entries (${fmt(allowed)} ALLOW) = ${fmt(actionsOk)} actions answered 200 + ${inFlight} in flight when autocannon stopped (at most ${CONNECTIONS} x ${actionsStops} stops): ${accounted ? 'every answered action is in the log' : 'MISMATCH'}`,
    );
    if (!verified.ok) failures.push('the audit log does not verify');
    if (!accounted) failures.push(`${decisions} decision entries for ${actionsOk} answered actions`);
  } finally {
    worker.stop();
    await bare.close().catch(() => {});
    if (!gatewayClosed) await gateway.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.log(`!!! THIS RUN HAD ERRORS; its figures are not clean:\n!!!   ${failures.join('\n!!!   ')}`);
    process.exitCode = 1;
  } else console.log('every response was 200; no client errors or timeouts');
}
