// /v1/execute with executors attached: the gateway's token gate runs before any effect, once per token.
// The data hall here is the simulated one (in-process, labelled SIMULATED) so this test runs anywhere;
// test/executors/netns runs the real one. The two small executors below are test doubles, named so,
// that fail before and after the gate, to check how the gateway reports and audits each case.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { createHallExecutor, createSimulatedHall, type DataHall } from '../../src/executors/netns/index.js';
import { type Harness, principal, startHarness } from './harness.js';

/** Test double: refuses its first call before the gate, then runs (touching nothing). */
function refusesOnceBeforeGate(gate: TokenGate): Executor {
  let refused = false;
  return {
    name: 'test-double-refuses-once',
    simulated: true,
    tools: ['propose_action'],
    async execute(token, call) {
      if (!refused) {
        refused = true;
        throw Object.assign(new Error('test double: not this time'), { code: 'E_TEST_REFUSED' });
      }
      await gate(token, call);
      return {
        executor: 'test-double-refuses-once',
        simulated: true,
        tool: call.tool,
        args: call.args,
        executed_at: new Date(0).toISOString(),
        effect: 'TEST DOUBLE: nothing touched',
      };
    },
  };
}

/** Test double: passes the gate, then its effect fails. */
function failsAfterGate(gate: TokenGate): Executor {
  return {
    name: 'test-double-fails',
    simulated: true,
    tools: ['read_logs'],
    async execute(token, call) {
      await gate(token, call);
      throw Object.assign(new Error('test double: the effect failed'), { code: 'E_TEST_EFFECT' });
    },
  };
}

let h: Harness;
let hall: DataHall;
let agentKey: string;

before(async () => {
  hall = createSimulatedHall({ reason: 'the gateway executor test runs anywhere' });
  await hall.up();
  h = await startHarness(undefined, (gate) => [
    createHallExecutor(hall, gate),
    refusesOnceBeforeGate(gate),
    failsAfterGate(gate),
  ]);
  agentKey = await principal(h, 'exec-agent', 'agent', 'operator-console');
});
after(async () => {
  await h.close();
  await hall.down();
});

async function allow(tool: string, args: Record<string, unknown>, intent: string, session: string) {
  const ingest = await h.call('POST', '/v1/ingest', agentKey, {
    content: `operator note for ${session}: ${JSON.stringify(args)}`,
    session,
  });
  const envelope = { intent, tool, args, source_signals: [ingest.body.id], session };
  const reply = await h.call('POST', '/v1/actions', agentKey, { envelope });
  assert.equal(reply.body.decision, 'ALLOW', JSON.stringify(reply.body));
  return reply.body.token as string;
}

async function auditKinds(): Promise<string[]> {
  const dir = segmentsDir(h.dataDir);
  const lines = readFileSync(`${dir}/${(await listSegments(dir))[0]}`, 'utf8')
    .split('\n')
    .filter(Boolean);
  return lines.map((l) => (JSON.parse(l) as { kind: string }).kind);
}

test('an allowed restart runs once in the hall; a replay and a forged token change nothing', async () => {
  const args = { workload: 'billing-api', site: 'sj-01' };
  const token = await allow('restart_workload', args, 'remediate_reversible', 's-restart');
  const before = (await hall.status()).journal.length;

  const forged = await h.call('POST', '/v1/execute', agentKey, {
    token: `${token.slice(0, -8)}AAAAAAAA`,
    tool: 'restart_workload',
    args,
  });
  assert.equal(forged.status, 403);
  assert.equal((await hall.status()).journal.length, before, 'a forged token changed the hall');

  const run = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'restart_workload', args });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const result = run.body.result as { executor: string; simulated: boolean; effect: string };
  assert.equal(result.executor, 'simulated-hall');
  assert.equal(result.simulated, true);
  assert.match(result.effect, /^SIMULATED/);
  const journal = (await hall.status()).journal;
  assert.equal(journal.length, before + 1);
  assert.equal(journal.at(-1)?.tool, 'restart_workload');

  const replay = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'restart_workload', args });
  assert.deepEqual([replay.status, replay.body.code], [403, 'E_TOKEN_REPLAYED']);
  assert.equal((await hall.status()).journal.length, before + 1, 'a replayed token acted again');
});

test('an executor that refuses before the gate is a 422 and the token stays unspent', async () => {
  const args = { summary: 'move vm-02 off node-sj-01-02 tonight' };
  const token = await allow('propose_action', args, 'recommend', 's-propose');
  const refused = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'propose_action', args });
  assert.deepEqual([refused.status, refused.body.code], [422, 'E_TEST_REFUSED']);
  // A timed checkpoint may land after it: it is the last entry of the action's own.
  assert.equal((await auditKinds()).filter((k) => k !== 'checkpoint').at(-1), 'execution.unsupported');
  const retried = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'propose_action', args });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
});

test('an effect that fails after the gate is a 502, audited, and its token is spent', async () => {
  const args = { source: 'syslog/sj-01' };
  const token = await allow('read_logs', args, 'observe', 's-logs');
  const failed = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'read_logs', args });
  assert.deepEqual([failed.status, failed.body.code], [502, 'E_EXECUTOR_FAILED']);
  assert.match(failed.body.detail as string, /E_TEST_EFFECT/);
  assert.deepEqual((await auditKinds()).slice(-2), ['execution', 'execution.failed']);
  const again = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'read_logs', args });
  assert.deepEqual([again.status, again.body.code], [403, 'E_TOKEN_REPLAYED']);
});

test('a tool no executor claims is recorded by echo, which says it touched nothing', async () => {
  const args = { target: 'vm-02' };
  const token = await allow('get_telemetry', args, 'observe', 's-telemetry');
  const run = await h.call('POST', '/v1/execute', agentKey, { token, tool: 'get_telemetry', args });
  assert.equal(run.status, 200);
  const result = run.body.result as { executor: string; effect: string };
  assert.equal(result.executor, 'echo');
  assert.match(result.effect, /^ECHO: .*no system was touched/);
});

test('an executor that does not answer in time is a 502 with its token spent and the failure audited', async () => {
  /** Test double: passes the gate, then never finishes. */
  const hangs = (gate: TokenGate): Executor => ({
    name: 'test-double-hangs',
    simulated: true,
    tools: ['get_telemetry'],
    async execute(token, call) {
      await gate(token, call);
      return new Promise(() => {});
    },
  });
  const slow = await startHarness(undefined, (gate) => [hangs(gate)], { executorTimeoutMs: 150 });
  try {
    const key = await principal(slow, 'slow-agent', 'agent', 'operator-console');
    const args = { target: 'node-sj-01-01' };
    const allowed = await slow.call('POST', '/v1/actions', key, {
      envelope: { intent: 'observe', tool: 'get_telemetry', args },
    });
    assert.equal(allowed.body.decision, 'ALLOW');
    const ran = await slow.call('POST', '/v1/execute', key, {
      token: allowed.body.token,
      tool: 'get_telemetry',
      args,
    });
    assert.equal(ran.status, 502);
    assert.equal(ran.body.code, 'E_EXECUTOR_FAILED');
    assert.match(ran.body.detail as string, /^E_EXECUTOR_TIMEOUT: .*within 150 ms/);
    const again = await slow.call('POST', '/v1/execute', key, {
      token: allowed.body.token,
      tool: 'get_telemetry',
      args,
    });
    assert.equal(again.status, 403);
    const dir = segmentsDir(slow.dataDir);
    const log = (await listSegments(dir)).map((n) => readFileSync(`${dir}/${n}`, 'utf8')).join('');
    assert.match(log, /"kind":"execution\.failed","payload":\{[^\n]*"code":"E_EXECUTOR_TIMEOUT"/);
  } finally {
    await slow.close();
  }
});
