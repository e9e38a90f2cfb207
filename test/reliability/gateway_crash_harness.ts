// Crash consistency of the whole gateway (issue 13, item 4): runs the real gateway process
// (`bin/carapace.js serve`, which needs `npm run build`), drives POST /v1/actions and /v1/execute at it
// from several agents, SIGKILLs it at a random moment, restarts it on the same data directory, and
// checks: every decision answered 200 is in the audit log with the hash it was answered with, every
// execution answered 200 too; no token's jti has two `execution` entries, and no token succeeds twice;
// a token redeemed before the kill is refused after it; the audit log verifies. With `--store
// postgres://…` among the serve arguments the log is read back from the database instead of the
// segment files. Used by test/reliability/crash.test.ts (20 kills; 10 on PostgreSQL) and `npm run
// stress -- gateway-crash` (100 or more).

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPostgresUrl, readClusterLog } from '../../src/audit/cluster_log.js';
import { DEFAULT_ORIGIN, findKeyFiles, keysDir, segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { verifyLog } from '../../src/audit/verify.js';
import { verifyDataDir } from '../audit/helpers.js';
import { MIGRATE, TELEMETRY } from './fault_seams.js';

const BIN = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));

export interface GatewayCrashOptions {
  kills: number;
  /** Arguments beside `serve --dev --hall none --port 0 --data-dir <dir>`: another store engine, say. */
  serveArgs?: readonly string[];
  /** Agents proposing and executing at once. */
  agents?: number;
  /** The longest wait, after the gateway is ready, before the kill (ms). */
  maxDelayMs?: number;
  random?: () => number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface GatewayCrashStats {
  kills: number;
  /** Decisions answered 200, all found in the log after restarts. */
  decisions: number;
  /** Executions answered 200, all found in the log. */
  executions: number;
  /** Tokens redeemed before a kill and presented again after it: all refused, as replayed... */
  replaysRefused: number;
  /** ...or as expired, when the restart outlasted their TTL. */
  expiredRefused: number;
  /** Tokens minted before a kill and redeemed after it (each at most once). */
  redeemedAfterRestart: number;
  /** Requests cut by a kill (outcome unknown to the client). */
  cut: number;
  auditEntries: number;
  /** Restart time, process spawn to listening, in ms. */
  restartMs: number[];
}

interface Gateway {
  child: ChildProcess;
  url: string;
  adminKey: string;
  exited: Promise<void>;
}

interface Minted {
  token: string;
  jti: string;
  agent: number;
}

/** Starts the gateway process; resolves once it listens. */
function startGatewayProcess(dataDir: string, serveArgs: readonly string[]): Promise<Gateway> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--dev',
        '--hall',
        'none',
        '--planes',
        'single',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        ...serveArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CARAPACE_LOG_LEVEL: 'silent' } },
    );
    let out = '';
    let err = '';
    let done = false;
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/[^\s]+)/.exec(out)?.[1];
      const adminKey = /dev admin API key[^:]*: (\S+)/.exec(out)?.[1];
      if (!done && url && adminKey && /dev admin API key[^\n]*\n/.test(out)) {
        done = true;
        resolve({ child, url, adminKey, exited });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    void exited.then(() => {
      if (!done) reject(new Error(`the gateway exited before listening: ${err || out}`));
    });
  });
}

async function call(
  url: string,
  key: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
    jti: string;
  };
  return payload.jti;
}

/** The log's complete lines, parsed. A gateway may be appending: a partial last line is left out. */
function auditEntries(
  dataDir: string,
  segments: string[],
): { seq: number; hash: string; kind: string; payload: { jti?: string; code?: string } }[] {
  const entries = [];
  for (const name of segments) {
    const text = readFileSync(join(segmentsDir(dataDir), name), 'utf8');
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n'))
      if (line) entries.push(JSON.parse(line));
  }
  return entries;
}

/** Verifies a copy of the log taken while the gateway runs (complete lines only). */
async function verifySnapshot(dataDir: string): Promise<{ ok: boolean; detail: string; entries: number }> {
  const copy = mkdtempSync(join(tmpdir(), 'carapace-crash-verify-'));
  try {
    mkdirSync(segmentsDir(copy), { recursive: true });
    mkdirSync(keysDir(copy), { recursive: true });
    for (const name of readdirSync(keysDir(dataDir)))
      if (name.endsWith('.pub')) copyFileSync(join(keysDir(dataDir), name), join(keysDir(copy), name));
    for (const name of await listSegments(segmentsDir(dataDir))) {
      const bytes = readFileSync(join(segmentsDir(dataDir), name));
      writeFileSync(join(segmentsDir(copy), name), bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1));
    }
    const key = findKeyFiles(copy, DEFAULT_ORIGIN);
    if (!key) return { ok: false, detail: 'no log key', entries: 0 };
    const result = await verifyDataDir(copy, key.vkey);
    return { ok: result.ok, detail: JSON.stringify(result).slice(0, 500), entries: result.entries };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

type LogEntry = { seq: number; hash: string; kind: string; payload: { jti?: string; code?: string } };

/**
 * Where the gateway's audit log lives: the data directory's segment files, or, with `--store
 * postgres://…` among the serve arguments, the cluster log in PostgreSQL (read back as `carapace audit
 * verify --store` reads it, verified against the keys the instances recorded).
 */
interface LogReader {
  /** The complete entries, indexed by seq. */
  entries(): Promise<LogEntry[]>;
  /** Verifies the log as it is now (the gateway may be appending). */
  verify(): Promise<{ ok: boolean; detail: string; entries: number }>;
}

function logReader(dataDir: string, serveArgs: readonly string[]): LogReader {
  const at = serveArgs.indexOf('--store');
  const store = at === -1 ? undefined : serveArgs[at + 1];
  if (!isPostgresUrl(store))
    return {
      entries: async () => auditEntries(dataDir, await listSegments(segmentsDir(dataDir))),
      verify: () => verifySnapshot(dataDir),
    };
  return {
    async entries() {
      const { sources } = await readClusterLog(store);
      const entries: LogEntry[] = [];
      for (const source of sources)
        for (const line of source.bytes.toString('utf8').split('\n'))
          if (line) {
            const e = JSON.parse(line) as LogEntry;
            assert.equal(e.seq, entries.length, 'the cluster log has no gap');
            entries.push(e);
          }
      return entries;
    },
    async verify() {
      // A shared log's instances sign on their timer, not on open: entries a killed instance left
      // unsigned are signed by the restarted one within a second (its timer covers the whole tree).
      // A log with no checkpoint at all fails to verify until then, so this waits up to 5 s for it.
      const until = Date.now() + 5000;
      for (;;) {
        const { sources, vkeys } = await readClusterLog(store);
        const result = verifyLog(sources, { key: vkeys });
        if (result.ok || Date.now() > until)
          return { ok: result.ok, detail: JSON.stringify(result).slice(0, 500), entries: result.entries };
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}

/** Runs `options.kills` kill-and-restart rounds on `dataDir`; throws on the first broken invariant. */
export async function crashGatewayRepeatedly(
  dataDir: string,
  options: GatewayCrashOptions,
): Promise<GatewayCrashStats> {
  const random = options.random ?? Math.random;
  const serveArgs = options.serveArgs ?? [];
  const log = logReader(dataDir, serveArgs);
  const agentCount = options.agents ?? 4;
  const maxDelayMs = options.maxDelayMs ?? 400;
  const stats: GatewayCrashStats = {
    kills: 0,
    decisions: 0,
    executions: 0,
    replaysRefused: 0,
    expiredRefused: 0,
    redeemedAfterRestart: 0,
    cut: 0,
    auditEntries: 0,
    restartMs: [],
  };
  // What was acknowledged, across every round: checked against the log after each restart.
  const decisions: { seq: number; hash: string }[] = [];
  const executions: { seq: number; hash: string; jti: string }[] = [];
  const successes = new Map<string, number>();
  let spawned = Date.now();
  let gateway = await startGatewayProcess(dataDir, serveArgs);

  const agents: { key: string; envelope: Record<string, unknown> }[] = [];
  try {
    await createAgents();
    await rounds();
  } catch (e) {
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    throw e;
  }

  async function createAgents(): Promise<void> {
    // Agents on the trusted operator-console channel, each with the telemetry that allows migrate_vm.
    for (let i = 0; i < agentCount; i++) {
      const created = await call(gateway.url, gateway.adminKey, '/v1/admin/principals', {
        name: `crash-agent-${i}`,
        role: 'agent',
        channel: 'operator-console',
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const key = created.body.api_key as string;
      const session = `s-crash-${i}`;
      const chunk = await call(gateway.url, key, '/v1/ingest', { content: TELEMETRY, session });
      assert.ok(chunk.status === 201 || chunk.status === 200, JSON.stringify(chunk.body));
      agents.push({
        key,
        envelope: {
          intent: 'remediate_reversible',
          tool: 'migrate_vm',
          args: MIGRATE,
          source_signals: [chunk.body.id],
          session,
        },
      });
    }
  }

  async function rounds(): Promise<void> {
    for (let round = 0; round < options.kills; round++) {
      const redeemed: Minted[] = [];
      const unredeemed: Minted[] = [];
      const url = gateway.url;
      let stopped = false;
      void gateway.exited.then(() => (stopped = true));

      const succeeded = (jti: string): void => {
        const n = (successes.get(jti) ?? 0) + 1;
        successes.set(jti, n);
        assert.ok(n <= 1, `round ${round}: token ${jti} succeeded ${n} times`);
      };
      const worker = async (index: number): Promise<void> => {
        const agent = agents[index] as (typeof agents)[number];
        while (!stopped) {
          let minted: Minted | null = null;
          try {
            const proposed = await call(url, agent.key, '/v1/actions', { envelope: agent.envelope });
            if (proposed.status !== 200)
              throw new Error(
                `round ${round}: /v1/actions answered ${proposed.status} ${JSON.stringify(proposed.body)}`,
              );
            decisions.push(proposed.body.audit as { seq: number; hash: string });
            if (typeof proposed.body.token !== 'string') continue;
            minted = { token: proposed.body.token, jti: jtiOf(proposed.body.token), agent: index };
            // Some tokens are kept for after the restart.
            if (random() < 0.25) {
              unredeemed.push(minted);
              continue;
            }
            const executed = await call(url, agent.key, '/v1/execute', {
              token: minted.token,
              tool: 'migrate_vm',
              args: MIGRATE,
            });
            if (executed.status !== 200)
              throw new Error(
                `round ${round}: /v1/execute answered ${executed.status} ${JSON.stringify(executed.body)}`,
              );
            succeeded(minted.jti);
            executions.push({ ...(executed.body.audit as { seq: number; hash: string }), jti: minted.jti });
            redeemed.push(minted);
          } catch (e) {
            // Only a request cut by the kill (fetch failed) is expected; anything else breaks the run.
            if (!(e instanceof TypeError)) throw e;
            stats.cut++;
            // Its outcome is unknown to the client: a token in flight is presented again after the restart.
            if (minted && !redeemed.includes(minted) && !unredeemed.includes(minted)) unredeemed.push(minted);
            if (!stopped) await new Promise((r) => setTimeout(r, 5));
          }
        }
      };
      const load = Promise.all(agents.map((_, i) => worker(i)));
      load.catch(() => {}); // awaited after the kill, which is where a failure is reported
      await new Promise((r) => setTimeout(r, Math.floor(random() * maxDelayMs)));
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      await load;
      stats.kills++;

      spawned = Date.now();
      gateway = await startGatewayProcess(dataDir, serveArgs);
      stats.restartMs.push(Date.now() - spawned);

      // Nothing acknowledged is lost: every 200's audit reference is in the log, with its hash.
      const entries = await log.entries();
      for (const d of decisions)
        assert.equal(entries[d.seq]?.hash, d.hash, `round ${round}: decision ${d.seq} acknowledged but lost`);
      for (const x of executions)
        assert.equal(entries[x.seq]?.hash, x.hash, `round ${round}: execution result ${x.seq} lost`);
      // No jti was executed twice, whatever the kills cut.
      const executed = new Map<string, number>();
      for (const e of entries)
        if (e.kind === 'execution')
          executed.set(String(e.payload.jti), (executed.get(String(e.payload.jti)) ?? 0) + 1);
      for (const [jti, n] of executed)
        assert.ok(n <= 1, `round ${round}: jti ${jti} has ${n} execution entries`);

      // A token redeemed before the kill is refused after it.
      for (const m of redeemed.slice(0, 3)) {
        const again = await call(
          gateway.url,
          (agents[m.agent] as (typeof agents)[number]).key,
          '/v1/execute',
          {
            token: m.token,
            tool: 'migrate_vm',
            args: MIGRATE,
          },
        );
        // Replayed; or expired, when the restart outlasted the token's TTL (expiry is checked first).
        assert.ok(
          again.status === 403 && ['E_TOKEN_REPLAYED', 'E_TOKEN_EXPIRED'].includes(again.body.code as string),
          `round ${round}: token ${m.jti} redeemed before the kill: ${again.status} ${JSON.stringify(again.body)}`,
        );
        if (again.body.code === 'E_TOKEN_REPLAYED') stats.replaysRefused++;
        else stats.expiredRefused++;
      }
      // A token minted (or cut in flight) before the kill runs at most once in all.
      for (const m of unredeemed.slice(0, 3)) {
        const after = await call(
          gateway.url,
          (agents[m.agent] as (typeof agents)[number]).key,
          '/v1/execute',
          {
            token: m.token,
            tool: 'migrate_vm',
            args: MIGRATE,
          },
        );
        if (after.status === 200) {
          succeeded(m.jti);
          executions.push({ ...(after.body.audit as { seq: number; hash: string }), jti: m.jti });
          stats.redeemedAfterRestart++;
        } else
          assert.ok(
            after.status === 403 &&
              ['E_TOKEN_REPLAYED', 'E_TOKEN_EXPIRED'].includes(after.body.code as string),
            `round ${round}: ${JSON.stringify(after.body)}`,
          );
      }

      const verified = await log.verify();
      assert.ok(
        verified.ok,
        `round ${round}: the audit log does not verify after restart: ${verified.detail}`,
      );
      stats.auditEntries = entries.length;
      options.log?.(
        `kill ${round + 1}: ${decisions.length} decisions, ${executions.length} executions acknowledged; log ${entries.length} entries verifies`,
      );
    }
  }

  // A clean stop at the end, and the log verified in place.
  gateway.child.kill('SIGTERM');
  const timer = setTimeout(() => gateway.child.kill('SIGKILL'), 10_000);
  await gateway.exited;
  clearTimeout(timer);
  const final = await log.verify();
  assert.ok(final.ok, `the log does not verify after the last stop: ${final.detail}`);
  stats.decisions = decisions.length;
  stats.executions = executions.length;
  stats.auditEntries = final.entries;
  return stats;
}
