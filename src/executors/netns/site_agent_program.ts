// A site's agent as plain JavaScript source, run inside the site's namespace: the site's HTTP service
// (the "spine" service, answering on every address of the site), its workloads as child processes,
// and the canary that probes the other sites. The parent talks to it over a unix socket in the run
// directory (a filesystem socket works across network namespaces). Text, so tsx and dist/ run it alike.

import { PROBE_FUNCTION_SOURCE } from './probe_program.js';
import { WORKLOAD_PROGRAM } from './workload_program.js';

/** What the parent hands a site agent (env CARAPACE_HALL_SITE, JSON). */
export interface SiteAgentConfig {
  prefix: string;
  site: string;
  socket_path: string;
  service_port: number;
  /** Address → the id that answers there (spine switch, VLAN, node), for the service's answers. */
  names: Record<string, string>;
  workloads: { name: string; port: number }[];
  /** What the canary probes each round: every target of every other site. */
  targets: { site: string; id: string; kind: string; address: string; port: number }[];
  interval_ms: number;
  timeout_ms: number;
  /** How many reachability changes the agent keeps. */
  history_limit: number;
}

/**
 * Control API on the unix socket (JSON): GET /status, GET /canary, POST /workloads/<name>/restart,
 * POST /shutdown. SIGTERM shuts down too: workloads stopped, socket removed.
 */
export const SITE_AGENT_PROGRAM = String.raw`// carapace-hall site agent
import { createServer, request as httpRequest } from 'node:http';
import { spawn } from 'node:child_process';
import { unlinkSync } from 'node:fs';
${PROBE_FUNCTION_SOURCE}
const WORKLOAD_PROGRAM = ${JSON.stringify(WORKLOAD_PROGRAM)};
const cfg = JSON.parse(process.env.CARAPACE_HALL_SITE);
const startedAt = new Date().toISOString();
const log = (line) => process.stdout.write(new Date().toISOString() + ' ' + cfg.site + ': ' + line + '\n');
let stopping = false;
let ready = false;

// ---- workloads: child processes, restarted on request, restarted after 200 ms if they die on their own
const workloads = new Map();
for (const w of cfg.workloads) {
  workloads.set(w.name, { name: w.name, port: w.port, child: null, pid: null, ready: false, starts: 0, crashes: 0, started_at: null, queue: Promise.resolve() });
}
function startWorkload(state) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WORKLOAD_PROGRAM], {
      env: {
        PATH: process.env.PATH || '',
        CARAPACE_HALL_PREFIX: cfg.prefix,
        CARAPACE_HALL_WORKLOAD: JSON.stringify({ site: cfg.site, name: state.name, port: state.port }),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    state.child = child;
    state.pid = child.pid;
    state.ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('workload ' + state.name + ' did not start within 5 s'));
    }, 5000);
    child.on('message', (m) => {
      if (m && m.ready && !state.ready) {
        clearTimeout(timer);
        state.ready = true;
        state.starts += 1;
        state.started_at = new Date().toISOString();
        resolve(state);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (state.child !== child) return;
      const wasReady = state.ready;
      state.child = null;
      state.ready = false;
      if (!wasReady) {
        reject(new Error('workload ' + state.name + ' exited before it was ready (' + (signal || code) + ')'));
        return;
      }
      if (stopping || state.stopping) return;
      state.crashes += 1;
      log('workload ' + state.name + ' exited (' + (signal || code) + '); starting it again');
      setTimeout(() => {
        if (!stopping && !state.child) startWorkload(state).catch((e) => log(e.message));
      }, 200);
    });
  });
}
function stopWorkload(state) {
  const child = state.child;
  if (!child) return Promise.resolve();
  state.stopping = true;
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(kill);
      state.stopping = false;
      resolve();
    });
    child.kill('SIGTERM');
  });
}
function restartWorkload(state) {
  const run = state.queue.then(async () => {
    const oldPid = state.pid;
    const t0 = Date.now();
    const stoppedAt = new Date().toISOString();
    await stopWorkload(state);
    await startWorkload(state);
    return {
      site: cfg.site,
      workload: state.name,
      old_pid: oldPid,
      new_pid: state.pid,
      stopped_at: stoppedAt,
      started_at: state.started_at,
      down_ms: Date.now() - t0,
    };
  });
  state.queue = run.catch(() => undefined);
  return run;
}
function workloadStatus() {
  return [...workloads.values()].map((s) => ({
    name: s.name, port: s.port, pid: s.pid, ready: s.ready, starts: s.starts, crashes: s.crashes, started_at: s.started_at,
  }));
}

// ---- the site's HTTP service: answers on every address of the site, naming what answers there
const service = createServer((req, res) => {
  const local = (req.socket.localAddress || '').replace(/^::ffff:/, '');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ site: cfg.site, answered_by: cfg.names[local] || local, at: new Date().toISOString() }));
});

// ---- the canary: every target of every other site, each round, never two rounds at once
const results = new Map();
const changes = [];
let round = 0;
let lastRoundAt = null;
async function canaryRound() {
  const outcomes = await Promise.all(cfg.targets.map(async (t) => {
    const checkedAt = new Date().toISOString();
    const r = await probeHttp(t.address, t.port, cfg.timeout_ms);
    return { site: t.site, target: t.id, kind: t.kind, address: t.address, port: t.port, checked_at: checkedAt, ...r };
  }));
  round += 1;
  lastRoundAt = new Date().toISOString();
  for (const r of outcomes) {
    const key = r.site + '/' + r.target;
    const before = results.get(key);
    if (!before || before.reachable !== r.reachable) {
      changes.push({ at: r.checked_at, round, site: r.site, target: r.target, reachable: r.reachable, error: r.error });
      if (changes.length > cfg.history_limit) changes.splice(0, changes.length - cfg.history_limit);
    }
    results.set(key, { ...r, round });
  }
}
async function canaryLoop() {
  while (!stopping) {
    const t0 = Date.now();
    try { await canaryRound(); } catch (e) { log('canary round failed: ' + e.message); }
    await new Promise((r) => setTimeout(r, Math.max(10, cfg.interval_ms - (Date.now() - t0))));
  }
}

// ---- control API on the unix socket
function reply(res, code, body) {
  res.statusCode = code;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
const control = createServer((req, res) => {
  const url = req.url || '';
  if (req.method === 'GET' && url === '/status') {
    return reply(res, 200, {
      site: cfg.site, prefix: cfg.prefix, pid: process.pid, started_at: startedAt, ready,
      service_port: cfg.service_port, workloads: workloadStatus(),
      canary: { interval_ms: cfg.interval_ms, timeout_ms: cfg.timeout_ms, round, last_round_at: lastRoundAt,
        reachable: [...results.values()].filter((r) => r.reachable).length,
        unreachable: [...results.values()].filter((r) => !r.reachable).map((r) => r.site + '/' + r.target) },
    });
  }
  if (req.method === 'GET' && url === '/canary') {
    return reply(res, 200, {
      site: cfg.site, interval_ms: cfg.interval_ms, timeout_ms: cfg.timeout_ms, round, last_round_at: lastRoundAt,
      results: [...results.values()], changes,
    });
  }
  const m = /^\/workloads\/([a-z0-9-]{1,63})\/restart$/.exec(url);
  if (req.method === 'POST' && m) {
    const state = workloads.get(m[1]);
    if (!state) return reply(res, 404, { error: 'no workload ' + m[1] + ' in ' + cfg.site });
    return restartWorkload(state).then(
      (r) => { log('restarted workload ' + state.name + ': pid ' + r.old_pid + ' -> ' + r.new_pid); reply(res, 200, r); },
      (e) => reply(res, 500, { error: e.message }),
    );
  }
  if (req.method === 'POST' && url === '/shutdown') {
    reply(res, 200, { site: cfg.site, stopping: true });
    return void shutdown(0);
  }
  reply(res, 404, { error: 'no such control request: ' + req.method + ' ' + url });
});

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('shutting down');
  await Promise.all([...workloads.values()].map(stopWorkload));
  try { unlinkSync(cfg.socket_path); } catch {}
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

function listen(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => { server.off('error', reject); resolve(); });
  });
}
try {
  try { unlinkSync(cfg.socket_path); } catch {}
  await listen(control, cfg.socket_path);
  await listen(service, cfg.service_port, '0.0.0.0');
  await Promise.all([...workloads.values()].map(startWorkload));
  ready = true;
  log('ready: service on port ' + cfg.service_port + ', workloads ' + [...workloads.keys()].join(', '));
  void canaryLoop();
} catch (e) {
  log('failed to start: ' + e.message);
  await shutdown(1);
}
`;
