// Fault injection with the gateway's store and audit log both in PostgreSQL (issue 13, item 3, the
// cluster case): the database becomes unreachable mid-run (a TCP proxy between the gateway and
// PostgreSQL is cut, then restored) while agents propose and execute. Every request answers 200, a
// recorded refusal, or a 503 {error, code, detail}; no action runs without its decision and execution
// in the PostgreSQL audit; service resumes when the database is back; the cluster log verifies.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readClusterLog } from '../../src/audit/cluster_log.js';
import { verifyLog } from '../../src/audit/verify.js';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { dropSchemas, freshSchema, PG_URL, pgProxy, pgSkip } from '../store/pg_helpers.js';
import { agentWithTelemetry, type FaultGateway, MIGRATE, startFaultGateway, tempDir } from './fault_seams.js';

const skip = await pgSkip();

interface Entry {
  seq: number;
  hash: string;
  kind: string;
  payload: { jti?: string };
}

/** The cluster log's entries by seq, and whether it verifies against the instances' recorded keys. */
async function clusterLog(schema: string): Promise<{ entries: Map<number, Entry>; verified: string }> {
  const { sources, vkeys } = await readClusterLog(PG_URL, schema);
  const entries = new Map<number, Entry>();
  for (const s of sources)
    for (const line of s.bytes.toString('utf8').split('\n'))
      if (line) {
        const e = JSON.parse(line) as Entry;
        entries.set(e.seq, e);
      }
  const result = verifyLog(sources, { key: vkeys });
  return { entries, verified: result.ok ? 'ok' : JSON.stringify(result) };
}

/** An executor for migrate_vm that passes the gate and records each action it ran: jti, decision hash. */
function countingExecutor(runs: string[], decisions: string[]): (gate: TokenGate) => Executor[] {
  return (gate) => [
    {
      name: 'test-hall',
      simulated: true,
      tools: ['migrate_vm'],
      async execute(token, call) {
        const claims = await gate(token, call);
        runs.push(claims.jti);
        decisions.push(claims.dec);
        return {
          executor: 'test-hall',
          simulated: true,
          tool: call.tool,
          args: call.args,
          executed_at: new Date(0).toISOString(),
          effect: 'TEST DOUBLE: nothing touched',
        };
      },
    },
  ];
}

function jtiOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { jti: string })
    .jti;
}

/** A 503 in the one error shape, with a code that names what is unavailable. */
function isUnavailable(reply: { status: number; body: Record<string, unknown> }, what: string): void {
  assert.equal(reply.status, 503, `${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  assert.deepEqual(Object.keys(reply.body).sort(), ['code', 'detail', 'error'], JSON.stringify(reply.body));
  assert.ok(
    ['E_STORE_UNAVAILABLE', 'E_AUDIT_UNAVAILABLE', 'E_TOKEN_LEDGER'].includes(reply.body.code as string),
    `${what}: ${JSON.stringify(reply.body)}`,
  );
  assert.equal(reply.body.token, undefined);
}

test(
  '[postgres] the database becomes unreachable under load: 503s with codes, nothing runs unrecorded, service resumes, the log verifies',
  { skip },
  async (t) => {
    const proxy = await pgProxy();
    const schema = freshSchema('faults');
    const runs: string[] = [];
    const ranOn: string[] = [];
    let g: FaultGateway | null = null;
    // Every reply answered 200 with an audit reference, to be found in the log afterwards.
    const acknowledged: { seq: number; hash: string; what: string }[] = [];
    try {
      g = await startFaultGateway({
        dataDir: tempDir(),
        storeUrl: proxy.url(schema),
        executors: countingExecutor(runs, ranOn),
      });
      const gw = g;
      const agents = await Promise.all(
        [0, 1, 2].map((i) => agentWithTelemetry(gw, `pg-agent-${i}`, `s-pg-${i}`)),
      );
      const propose = async (i: number) => {
        const a = agents[i]!;
        const reply = await gw.call('/v1/actions', a.key, { envelope: a.envelope });
        if (reply.status === 200) acknowledged.push({ ...(reply.body.audit as Entry), what: 'decision' });
        return reply;
      };
      const execute = async (i: number, token: string) => {
        const reply = await gw.call('/v1/execute', agents[i]!.key, {
          token,
          tool: 'migrate_vm',
          args: MIGRATE,
        });
        if (reply.status === 200) acknowledged.push({ ...(reply.body.audit as Entry), what: 'execution' });
        return reply;
      };

      // Before: normal service.
      const held = await propose(0);
      assert.equal(held.status, 200, JSON.stringify(held.body));
      const heldToken = held.body.token as string;
      const first = await propose(1);
      assert.equal((await execute(1, first.body.token as string)).status, 200);
      assert.equal(runs.length, 1);

      // Load from three agents while the database goes away and comes back.
      let stop = false;
      const statuses = new Map<string, number>();
      const note = (reply: { status: number; body: Record<string, unknown> }) => {
        const key = reply.status === 200 ? '200' : `${reply.status} ${String(reply.body.code)}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (reply.status !== 200) isUnavailable(reply, 'under load');
      };
      const load = Promise.all(
        [0, 1, 2].map(async (i) => {
          while (!stop) {
            const p = await propose(i);
            note(p);
            if (p.status === 200 && typeof p.body.token === 'string') note(await execute(i, p.body.token));
            else await new Promise((r) => setTimeout(r, 20));
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 300));
      await proxy.cut();
      const runsAtCut = runs.length;
      await new Promise((r) => setTimeout(r, 500));

      // While it is down: each request fails closed with a clear 503.
      isUnavailable(await propose(0), 'propose while down');
      isUnavailable(await execute(0, heldToken), 'execute while down');
      // Not ready (before: 200, the shared audit log had no failure to report while idle).
      const ready = await gw.call('/readyz', null);
      assert.equal(ready.status, 503, JSON.stringify(ready.body));
      await new Promise((r) => setTimeout(r, 300));
      const runsDown = runs.length;
      assert.ok(runsDown - runsAtCut <= 3, 'at most the requests in flight at the cut ran');

      // Back: service resumes without a restart.
      await proxy.restore();
      const until = Date.now() + 15_000;
      let again = await propose(0);
      while (again.status !== 200 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        again = await propose(0);
      }
      assert.equal(again.status, 200, `service did not resume: ${JSON.stringify(again.body)}`);
      stop = true;
      await load;
      t.diagnostic(`replies under load: ${JSON.stringify(Object.fromEntries(statuses))}`);
      assert.ok(statuses.get('200'), 'the load was answered before and after the outage');
      assert.ok(
        [...statuses.keys()].some((k) => k.startsWith('503')),
        'the outage was seen under load',
      );
      assert.equal((await gw.call('/readyz', null)).status, 200);
      const run = await execute(0, again.body.token as string);
      assert.equal(run.status, 200, JSON.stringify(run.body));
      // The token held across the outage was never redeemed: it runs once now, and only once.
      const held2 = await execute(0, heldToken);
      assert.equal(held2.status, 200, JSON.stringify(held2.body));
      const replay = await execute(0, heldToken);
      assert.deepEqual([replay.status, replay.body.code], [403, 'E_TOKEN_REPLAYED']);
      await g.close();
      g = null;

      // The log: every acknowledged entry is there with its hash; every action that ran has its
      // decision and execution entries; no jti executed twice; the whole log verifies.
      const { entries, verified } = await clusterLog(schema);
      assert.equal(verified, 'ok');
      for (const a of acknowledged)
        assert.equal(entries.get(a.seq)?.hash, a.hash, `${a.what} ${a.seq} answered 200 but not in the log`);
      const executed = [...entries.values()].filter((e) => e.kind === 'execution').map((e) => e.payload.jti);
      assert.equal(new Set(executed).size, executed.length, 'no token executed twice');
      for (const jti of runs)
        assert.ok(executed.includes(jti), `action ${jti} ran without an execution entry`);
      assert.equal(new Set(runs).size, runs.length);
      const decided = new Set([...entries.values()].filter((e) => e.kind === 'decision').map((e) => e.hash));
      for (const dec of ranOn)
        assert.ok(decided.has(dec), `an action ran on decision ${dec}, not in the log`);
      assert.ok(runs.includes(jtiOf(heldToken)));
    } finally {
      await g?.close().catch(() => {});
      await proxy.close();
      await dropSchemas([schema]).catch(() => {});
    }
  },
);
