// `npm run load -- [--duration S] [--warmup S] [--connections N] [--instances N --store URL] [--json]`:
// sustained POST /v1/actions with autocannon against `carapace serve` processes (issue 13 item 6), and
// what it reports: throughput, p50/p99 latency, the non-2xx count, and each gateway process's memory
// (RSS and V8 heap, sampled every second over the run; "flat" = growth of at most 10 % from right after
// the warm-up to the end, both measured after a full collection). Exit 1 if any request failed or
// memory was not flat. With --instances N > 1, the gateways share the store given by --store (the
// PostgreSQL engine); each gets its share of the connections.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const PROBE = fileURLToPath(new URL('./load_probe.mjs', import.meta.url));
/** Memory may grow this much from after the warm-up to the end and still count as flat. */
const FLAT = 0.1;

interface Options {
  durationS: number;
  warmupS: number;
  connections: number;
  instances: number;
  store: string | null;
  json: boolean;
}

function parseOptions(args: string[]): Options {
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const number = (name: string, fallback: number) => {
    const v = value(name);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer`);
    return n;
  };
  return {
    durationS: number('--duration', 180),
    warmupS: number('--warmup', 20),
    connections: number('--connections', 16),
    instances: number('--instances', 1),
    store: value('--store') ?? null,
    json: args.includes('--json'),
  };
}

function usage(problem: string): never {
  console.error(`load: ${problem}`);
  process.exit(2);
}

/** The gateway command: the built CLI when there is one, else the sources through tsx. */
function gatewayCommand(): { args: string[]; how: string } {
  const built = join(REPO, 'dist/cli/main.js');
  return existsSync(built)
    ? { args: [built], how: 'dist/cli/main.js' }
    : { args: ['--import', 'tsx', join(REPO, 'src/cli/main.ts')], how: 'src/cli/main.ts through tsx' };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Memory {
  rss: number;
  heapUsed: number;
}

interface Gateway {
  url: string;
  adminKey: string;
  child: ChildProcess;
  dataDir: string;
  memory(gc: boolean): Promise<Memory>;
  stop(): Promise<void>;
}

async function startGateway(index: number, store: string | null): Promise<Gateway> {
  const dataDir = mkdtempSync(join(tmpdir(), `carapace-load-${index}-`));
  const port = await freePort();
  const { args } = gatewayCommand();
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      PROBE,
      ...args,
      'serve',
      '--dev',
      '--hall',
      'none',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      // One listener: the load is on the data path, and the setup calls admin routes on the same URL.
      '--planes',
      'single',
      ...(store ? ['--store', store] : []),
    ],
    {
      cwd: REPO,
      // One log line per request would be the load's biggest cost; warnings still show.
      env: { ...process.env, CARAPACE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  let out = '';
  const adminKey = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway ${index} did not start in 60 s: ${out}`)),
      60_000,
    );
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString('utf8');
      const key = /dev admin API key[^:]*: (\S+)/.exec(out)?.[1];
      if (key && out.includes('listening on')) {
        clearTimeout(timer);
        resolve(key);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${index} exited with ${code}: ${out}`));
    });
  });
  child.stdout?.resume();
  const waiters: ((m: Memory) => void)[] = [];
  child.on('message', (message: { memory?: Memory }) => {
    if (message.memory) waiters.shift()?.(message.memory);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    adminKey,
    child,
    dataDir,
    memory(gc) {
      return new Promise((resolve) => {
        waiters.push(resolve);
        child.send(gc ? 'memory-gc' : 'memory');
      });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function call(
  url: string,
  key: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An agent on the trusted operator console with one chunk in its session, and the ALLOWed action it proposes over and over. */
async function prepareAction(
  gateway: Gateway,
  index: number,
): Promise<{ key: string; body: string; decision: string }> {
  const created = await call(`${gateway.url}/v1/admin/principals`, gateway.adminKey, {
    name: `load-agent-${index}-${Date.now().toString(36)}`,
    role: 'agent',
    channel: 'operator-console',
  });
  if (created.status !== 201) throw new Error(`cannot create the agent: ${JSON.stringify(created.body)}`);
  const key = created.body.api_key as string;
  const chunk = await call(`${gateway.url}/v1/ingest`, key, {
    content: 'node-sj-01-02 cpu 97% for 20 min; vm-02 latency p99 840 ms',
    session: 's-load',
  });
  if (chunk.status !== 201 && chunk.status !== 200)
    throw new Error(`cannot ingest: ${JSON.stringify(chunk.body)}`);
  const envelope = {
    intent: 'remediate_reversible',
    tool: 'migrate_vm',
    args: { vm_id: 'vm-02', target_node: 'node-sj-01-03' },
    source_signals: [chunk.body.id as string],
    session: 's-load',
  };
  const probe = await call(`${gateway.url}/v1/actions`, key, { envelope });
  if (probe.status !== 200) throw new Error(`probe /v1/actions: ${JSON.stringify(probe.body)}`);
  return {
    key,
    body: JSON.stringify({ envelope }),
    decision: `${String(probe.body.decision)} ${String(probe.body.rule)}`,
  };
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function hammer(url: string, key: string, body: string, connections: number, durationS: number) {
  return new Promise<AutocannonResult>((resolve, reject) =>
    autocannon(
      {
        url: `${url}/v1/actions`,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
        connections,
        pipelining: 1,
        duration: durationS,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const growth = (from: number, to: number) => (to - from) / from;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.instances > 1) {
    if (!options.store)
      usage('--instances N > 1 needs --store postgres://... (the store the instances share)');
    const { args } = gatewayCommand();
    const help = spawnSync(process.execPath, [...args, 'serve', '--help'], { cwd: REPO, encoding: 'utf8' });
    if (!help.stdout.includes('--store'))
      usage(
        'this build of `carapace serve` has no --store option (the PostgreSQL store engine of issue 13 is not in it): the multi-instance load cannot run; one instance runs without --instances',
      );
  }
  const gateways: Gateway[] = [];
  try {
    for (let i = 0; i < options.instances; i++) gateways.push(await startGateway(i, options.store));
    const actions: { key: string; body: string; decision: string }[] = [];
    for (const [i, gateway] of gateways.entries()) actions.push(await prepareAction(gateway, i));
    const share = Math.max(1, Math.floor(options.connections / gateways.length));
    const runAll = (durationS: number) =>
      Promise.all(gateways.map((g, i) => hammer(g.url, actions[i]!.key, actions[i]!.body, share, durationS)));

    await runAll(options.warmupS);
    const baseline = await Promise.all(gateways.map((g) => g.memory(true)));
    const samples: Memory[][] = gateways.map(() => []);
    const sampler = setInterval(() => {
      gateways.forEach((g, i) => void g.memory(false).then((m) => samples[i]!.push(m)));
    }, 1000);
    const results = await runAll(options.durationS);
    clearInterval(sampler);
    const end = await Promise.all(gateways.map((g) => g.memory(true)));

    const report = {
      command: `npm run load -- ${process.argv.slice(2).join(' ')}`.trim(),
      gateway: gatewayCommand().how,
      machine: `${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} at the end, node ${process.version}`,
      instances: options.instances,
      store: options.store ? 'shared (--store)' : 'SQLite (one per instance)',
      connections: share * gateways.length,
      warmup_s: options.warmupS,
      duration_s: options.durationS,
      decision: actions[0]!.decision,
      per_instance: gateways.map((_g, i) => {
        const r = results[i]!;
        const peak = samples[i]!.reduce(
          (m, s) => ({ rss: Math.max(m.rss, s.rss), heapUsed: Math.max(m.heapUsed, s.heapUsed) }),
          baseline[i]!,
        );
        return {
          requests: r.requests.total,
          per_second: Math.round(r.requests.average),
          latency_ms: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
          rss_mb: { after_warmup: mb(baseline[i]!.rss), peak: mb(peak.rss), end: mb(end[i]!.rss) },
          heap_mb: {
            after_warmup: mb(baseline[i]!.heapUsed),
            peak: mb(peak.heapUsed),
            end: mb(end[i]!.heapUsed),
          },
          rss_growth: Math.round(growth(baseline[i]!.rss, end[i]!.rss) * 1000) / 10,
          heap_growth: Math.round(growth(baseline[i]!.heapUsed, end[i]!.heapUsed) * 1000) / 10,
        };
      }),
    };
    const failed = report.per_instance.some((p) => p.non2xx > 0 || p.errors > 0);
    const flat = report.per_instance.every((p) => p.rss_growth <= FLAT * 100 && p.heap_growth <= FLAT * 100);
    if (options.json) console.log(JSON.stringify({ ...report, failed, flat }, null, 2));
    else {
      console.log(
        `${report.command}: ${report.instances} instance(s), ${report.store}, ${report.gateway}; ${report.machine}`,
      );
      console.log(
        `${report.connections} connections, ${options.warmupS} s warm-up, ${options.durationS} s measured; each request: ${report.decision}`,
      );
      for (const [i, p] of report.per_instance.entries())
        console.log(
          `instance ${i}: ${p.requests} requests, ${p.per_second}/s, p50 ${p.latency_ms.p50} ms, p99 ${p.latency_ms.p99} ms, non-2xx ${p.non2xx}, errors ${p.errors}; RSS ${p.rss_mb.after_warmup} -> ${p.rss_mb.end} MB (${p.rss_growth}%, peak ${p.rss_mb.peak}), heap ${p.heap_mb.after_warmup} -> ${p.heap_mb.end} MB (${p.heap_growth}%, peak ${p.heap_mb.peak})`,
        );
      console.log(
        `memory ${flat ? 'flat' : 'NOT flat'} (limit +${FLAT * 100}% after a full GC); ${failed ? 'SOME REQUESTS FAILED' : 'every request answered 2xx'}`,
      );
    }
    return failed || !flat ? 1 : 0;
  } finally {
    for (const g of gateways) await g.stop().catch(() => {});
  }
}

process.exit(await main());
