// Delegation: a child's tools within its parent's, its tier at most its parent's, the chain no deeper
// than the parent's tier allows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDelegation } from '../../src/identity/delegation.js';
import { IdentityError } from '../../src/identity/errors.js';
import type { Principal } from '../../src/store/store.js';

const catalog = new Set(['get_telemetry', 'read_logs', 'restart_workload', 'isolate_vlan']);
const parent: Principal = {
  id: 'agent:ops',
  name: 'ops',
  role: 'agent',
  api_key_hash: 'a'.repeat(64),
  disabled: false,
  certified_tier: 'T4',
  created_at: new Date(0).toISOString(),
  dpop_required: false,
};

function refused(f: () => unknown, message: RegExp): void {
  assert.throws(
    f,
    (e: unknown) =>
      e instanceof IdentityError && e.code === 'E_DELEGATION_REFUSED' && message.test(e.message),
  );
}

test('a delegation is granted its tools sorted, at most the parent tier, one link deeper', () => {
  assert.deepEqual(
    checkDelegation(parent, 0, 'T4', { tools: ['read_logs', 'get_telemetry', 'read_logs'] }, catalog),
    {
      scope: { tools: ['get_telemetry', 'read_logs'] },
      tier: 'T4',
      depth: 1,
    },
  );
  assert.equal(checkDelegation(parent, 0, 'T4', { tools: ['read_logs'], tier: 'T2' }, catalog).tier, 'T2');
});

test('a child asked above its parent tier, with unknown tools, or with none, is refused', () => {
  refused(
    () => checkDelegation(parent, 0, 'T4', { tools: ['read_logs'], tier: 'T5' }, catalog),
    /above its parent/,
  );
  refused(() => checkDelegation(parent, 0, 'T4', { tools: ['execute_shell'] }, catalog), /not a tool/);
  refused(() => checkDelegation(parent, 0, 'T4', { tools: [] }, catalog), /at least one/);
});

test('a delegate cannot hand on more than its own scope', () => {
  const delegate = {
    ...parent,
    id: 'agent:child',
    parent_id: parent.id,
    scope: { tools: ['get_telemetry', 'read_logs'] },
  };
  assert.deepEqual(checkDelegation(delegate, 1, 'T4', { tools: ['read_logs'] }, catalog).scope, {
    tools: ['read_logs'],
  });
  refused(() => checkDelegation(delegate, 1, 'T4', { tools: ['restart_workload'] }, catalog), /outside/);
});

test('depth is limited by tier: none below T3, two links at T3–T4, four at T5–T6, eight at T7', () => {
  for (const tier of ['T0', 'T1', 'T2'] as const)
    refused(() => checkDelegation(parent, 0, tier, { tools: ['read_logs'] }, catalog), /cannot delegate/);
  for (const [tier, max] of [
    ['T3', 2],
    ['T4', 2],
    ['T5', 4],
    ['T6', 4],
    ['T7', 8],
  ] as const) {
    checkDelegation(parent, max - 1, tier, { tools: ['read_logs'] }, catalog);
    refused(() => checkDelegation(parent, max, tier, { tools: ['read_logs'] }, catalog), /links deep/);
  }
});

test('a revoked, disabled or non-agent principal delegates nothing', () => {
  refused(
    () =>
      checkDelegation(
        { ...parent, revoked_at: new Date(0).toISOString() },
        0,
        'T4',
        { tools: ['read_logs'] },
        catalog,
      ),
    /revoked/,
  );
  refused(
    () => checkDelegation({ ...parent, disabled: true }, 0, 'T4', { tools: ['read_logs'] }, catalog),
    /revoked or disabled/,
  );
  refused(
    () => checkDelegation({ ...parent, role: 'admin' }, 0, 'T4', { tools: ['read_logs'] }, catalog),
    /not an agent/,
  );
});
