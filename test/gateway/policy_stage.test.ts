// The policy stage fails closed when the store behind its counters fails: a counter that cannot be
// read is a DENY by `policy:error`, and a spend that cannot be written is refused, never an ALLOW.
// The store is a real SQLite store, closed to make every call fail (E_STORE_CLOSED).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { evaluatePolicyStage, spendCounters } from '../../src/gateway/policy_stage.js';
import { compilePolicy } from '../../src/policy/index.js';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import type { Principal } from '../../src/store/store.js';

const compiled = compilePolicy({
  format: 'english',
  text: 'Limit get_telemetry to 3 calls per minute per agent.\n',
});
if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
const policy = compiled.value;

const agent: Principal = {
  id: 'agent:ops-bot',
  name: 'ops-bot',
  role: 'agent',
  api_key_hash: 'a'.repeat(64),
  disabled: false,
  certified_tier: 'T3',
  dpop_required: false,
  created_at: new Date(0).toISOString(),
};

async function closedStore() {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'carapace-stage-')), 'carapace.db'));
  await store.close();
  return store;
}

test('a counter the store cannot read makes the policy stage DENY by policy:error', async () => {
  const stage = await evaluatePolicyStage(
    await closedStore(),
    policy,
    agent,
    'T3',
    'get_telemetry',
    { target: 'x' },
    0,
  );
  assert.equal(stage.verdict.decision, 'DENY');
  assert.equal(stage.verdict.fired[0]?.rule, 'policy:error');
  assert.match(stage.verdict.fired[0]?.reason ?? '', /counters could not be read/);
  assert.deepEqual(stage.verdict.obligations.counters, []);
});

test('a spend the store cannot write is refused with policy:error', async () => {
  const over = await spendCounters(
    await closedStore(),
    [{ key: 'calls:x:agent:ops-bot', window_ms: 60_000, amount: 1, limit: 3, rule: 'p#1' }],
    0,
  );
  assert.equal(over?.rule, 'policy:error');
});

test('with a working store the same call is allowed and spends one call', async () => {
  const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'carapace-stage-')), 'carapace.db'));
  try {
    const stage = await evaluatePolicyStage(store, policy, agent, 'T3', 'get_telemetry', { target: 'x' }, 0);
    assert.equal(stage.verdict.decision, 'ALLOW');
    assert.equal(await spendCounters(store, stage.verdict.obligations.counters, 0), null);
    const again = await evaluatePolicyStage(store, policy, agent, 'T3', 'get_telemetry', { target: 'x' }, 1);
    assert.deepEqual(Object.values(again.input.counters), [1]);
  } finally {
    await store.close();
  }
});
