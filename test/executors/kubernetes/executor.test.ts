// The executor's contract, checked against a recording test double of its API (no cluster here): the
// token gate runs before any API call, a refused token means no call at all, an action it cannot run is
// refused before the gate, and every API failure rejects, never reporting an isolation that did not land.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActionCall, TokenGate } from '../../../src/executors/executor.js';
import {
  isolationPolicy,
  KubernetesExecutor,
  KubernetesExecutorError,
  type KubernetesExecutorErrorCode,
  type KubernetesExecutorOptions,
} from '../../../src/executors/kubernetes/index.js';
import { TokenError, type TokenErrorCode } from '../../../src/tokens/index.js';
import { FakeRedemptionLedger } from '../../tokens/fake_ledger.js';
import { apiAnswered, RecordingNetworkPolicyApi } from './recording_network_policy_api.js';
import { AGENT, DECISION, isolateCall, mintFor, recordingTokenGate, RULESET } from './token_gate.js';

const NOW = new Date('2025-01-01T03:14:00.000Z');

function setup(options: Partial<KubernetesExecutorOptions> = {}) {
  const log: string[] = [];
  const api = new RecordingNetworkPolicyApi(log);
  const ledger = new FakeRedemptionLedger();
  const executor = new KubernetesExecutor({
    api,
    gate: recordingTokenGate(log, ledger),
    now: () => NOW,
    ...options,
  });
  return { log, api, ledger, executor };
}

async function rejectsWith(p: Promise<unknown>, code: KubernetesExecutorErrorCode, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KubernetesExecutorError, `expected a KubernetesExecutorError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

async function rejectsWithToken(p: Promise<unknown>, code: TokenErrorCode) {
  await assert.rejects(p, (e: unknown) => e instanceof TokenError && e.code === code);
}

test('isolating a spine: the gate redeems the token, then one create of the exact deny-all in the site namespace', async () => {
  const { log, api, executor } = setup();
  const call = isolateCall('spine-switch-sj-01');
  const { token, claims } = await mintFor(call);
  const outcome = await executor.execute(token, call);

  assert.deepEqual(log, ['gate', 'gate.ok', 'api.create']);
  const expected = isolationPolicy('sj-01', { jti: claims.jti, decision: DECISION, ruleset: RULESET });
  assert.deepEqual(api.calls, [
    { method: 'create', namespace: 'sj-01', name: 'carapace-isolate', policy: expected },
  ]);
  assert.deepEqual(outcome, {
    executor: 'kubernetes',
    simulated: false,
    tool: 'isolate_network_device',
    args: { device_id: 'spine-switch-sj-01' },
    executed_at: '2025-01-01T03:14:00.000Z',
    effect:
      'Deny-all NetworkPolicy carapace-isolate created in namespace sj-01 (site sj-01, test double (no cluster)): ' +
      'every pod in it (host-network pods excepted) is denied all ingress and egress, ' +
      "wherever the cluster's network plugin enforces NetworkPolicy.",
    details: {
      site: 'sj-01',
      namespace: 'sj-01',
      device_id: 'spine-switch-sj-01',
      policy: 'carapace-isolate',
      applied: 'created',
      cluster: 'test double (no cluster)',
      manifest: expected,
      uid: '00000000-0000-4000-8000-000000000000',
      resource_version: '1',
    },
  });
  assert.deepEqual(JSON.parse(JSON.stringify(outcome)), outcome, 'the outcome is plain JSON');
});

test('the executor names itself, is not simulated, and runs only isolate_network_device', () => {
  const { executor } = setup();
  assert.equal(executor.name, 'kubernetes');
  assert.equal(executor.simulated, false);
  assert.deepEqual(executor.tools, ['isolate_network_device']);
});

test('a token the gate refuses means zero API calls, and the TokenError passes unchanged', async () => {
  const { log, api, executor } = setup();
  const call = isolateCall('spine-switch-sj-01');

  const forOtherSite = await mintFor(isolateCall('spine-switch-sj-02'));
  await rejectsWithToken(executor.execute(forOtherSite.token, call), 'E_TOKEN_WRONG_ACTION');

  const forOtherAgent = await mintFor({ ...call, agentId: 'agent:someone-else' });
  await rejectsWithToken(executor.execute(forOtherAgent.token, call), 'E_TOKEN_WRONG_AGENT');

  await rejectsWithToken(executor.execute('not-a-token', call), 'E_TOKEN_MALFORMED');

  assert.deepEqual(api.calls, []);
  assert.deepEqual(log, ['gate', 'gate', 'gate']);
});

test('a replayed token is refused by the gate and the second execution makes no API call', async () => {
  const { api, executor } = setup();
  const call = isolateCall('spine-switch-oak-01');
  const { token } = await mintFor(call);
  await executor.execute(token, call);
  await rejectsWithToken(executor.execute(token, call), 'E_TOKEN_REPLAYED');
  assert.deepEqual(
    api.calls.map((c) => c.method),
    ['create'],
  );
});

test('any gate failure stops the executor: a gate that throws something else also means no API call', async () => {
  const log: string[] = [];
  const api = new RecordingNetworkPolicyApi(log);
  const failing: TokenGate = async () => {
    log.push('gate');
    throw new Error('ledger unavailable');
  };
  const executor = new KubernetesExecutor({ api, gate: failing });
  const call = isolateCall('spine-switch-sj-01');
  await assert.rejects(executor.execute('whatever', call), /ledger unavailable/);
  assert.deepEqual(log, ['gate']);
});

test('a tool it does not run is refused before the gate, so its token is not spent', async () => {
  const { log, api, ledger, executor } = setup();
  const calls: ActionCall[] = [
    { agentId: AGENT, tool: 'network.isolate', args: { device_id: 'spine-switch-sj-01' } },
    { agentId: AGENT, tool: 'isolate_vlan', args: { vlan_id: 'vlan-sj-01-10' } },
    { agentId: AGENT, tool: 'restart_workload', args: { workload: 'w', site: 'sj-01' } },
    { agentId: AGENT, tool: 'no_such_tool', args: {} },
  ];
  for (const call of calls) {
    const { token } = await mintFor(call);
    await rejectsWith(
      executor.execute(token, call),
      'E_K8S_UNSUPPORTED',
      /is not run by the Kubernetes executor/,
    );
  }
  assert.deepEqual(log, []);
  assert.deepEqual(api.calls, []);
  assert.equal(ledger.calls, 0, 'no token reached the ledger');
});

test('a leaf switch is refused before the gate: a VLAN has no NetworkPolicy counterpart here', async () => {
  const { log, api, ledger, executor } = setup();
  const call = isolateCall('leaf-switch-sj-01-a');
  const { token } = await mintFor(call);
  await rejectsWith(
    executor.execute(token, call),
    'E_K8S_UNSUPPORTED',
    /leaf switch: .*isolates only spines/,
  );
  assert.deepEqual([log, api.calls, ledger.calls], [[], [], 0]);
});

test('a device that is not spine-switch-<site>, or args that are not exactly { device_id }, are refused before the gate', async () => {
  const { log, api, executor } = setup();
  const devices = [
    'node-sj-01-01',
    'spine-switch-',
    'spine-switch-SJ-01',
    'spine-switch-sj_01',
    'xspine-switch-sj-01',
  ];
  for (const device of devices) {
    const call = isolateCall(device);
    await rejectsWith(executor.execute('unused', call), 'E_K8S_UNSUPPORTED', /not a spine switch/);
  }
  const badArgs: unknown[] = [
    { device_id: 'spine-switch-sj-01', dry_run: true },
    { device_id: 7 },
    {},
    ['spine-switch-sj-01'],
    null,
  ];
  for (const args of badArgs) {
    const call = { agentId: AGENT, tool: 'isolate_network_device', args } as ActionCall;
    await rejectsWith(executor.execute('unused', call), 'E_K8S_UNSUPPORTED', /args must be/);
  }
  assert.deepEqual([log, api.calls], [[], []]);
});

test('the namespace mapping chooses the namespace and is the whole list: an unmapped site is refused before the gate', async () => {
  const { log, api, executor } = setup({ namespaces: { 'sj-01': 'dc-sj-01', 'sj-02': 'Not_A_Name' } });
  const ok = isolateCall('spine-switch-sj-01');
  await executor.execute((await mintFor(ok)).token, ok);
  assert.equal(api.calls[0]?.namespace, 'dc-sj-01');
  assert.equal(api.calls[0]?.policy?.metadata.namespace, 'dc-sj-01');

  const unmapped = isolateCall('spine-switch-oak-01');
  await rejectsWith(
    executor.execute('unused', unmapped),
    'E_K8S_NO_NAMESPACE',
    /"oak-01" is not in the namespace mapping/,
  );
  const badName = isolateCall('spine-switch-sj-02');
  await rejectsWith(
    executor.execute('unused', badName),
    'E_K8S_NO_NAMESPACE',
    /not a Kubernetes namespace name/,
  );
  const inherited = isolateCall('spine-switch-constructor');
  await rejectsWith(executor.execute('unused', inherited), 'E_K8S_NO_NAMESPACE');
  assert.deepEqual(log, ['gate', 'gate.ok', 'api.create']);
});

test('an existing isolation is replaced: create answers 409, then one replace with the new token facts', async () => {
  const { log, api, executor } = setup();
  const call = isolateCall('spine-switch-sj-02');
  await executor.execute((await mintFor(call)).token, call);
  const second = await mintFor(call);
  const outcome = await executor.execute(second.token, call);

  assert.deepEqual(log, ['gate', 'gate.ok', 'api.create', 'gate', 'gate.ok', 'api.create', 'api.replace']);
  const expected = isolationPolicy('sj-02', { jti: second.claims.jti, decision: DECISION, ruleset: RULESET });
  assert.deepEqual(api.calls.at(-1), {
    method: 'replace',
    namespace: 'sj-02',
    name: 'carapace-isolate',
    policy: expected,
  });
  assert.equal(outcome.details?.applied, 'replaced');
  assert.match(outcome.effect, /carapace-isolate replaced in namespace sj-02/);
});

test('an API refusal rejects, and is not retried as a replace', async () => {
  const { api, executor } = setup();
  api.failures.create = apiAnswered(403, 'Forbidden');
  const call = isolateCall('spine-switch-sj-01');
  await rejectsWith(executor.execute((await mintFor(call)).token, call), 'E_K8S_API', /403 Forbidden/);
  assert.deepEqual(
    api.calls.map((c) => c.method),
    ['create'],
  );
});

test('a missing namespace (404 on create) rejects', async () => {
  const { api, executor } = setup();
  api.failures.create = apiAnswered(404, 'NotFound');
  const call = isolateCall('spine-switch-sj-01');
  await rejectsWith(executor.execute((await mintFor(call)).token, call), 'E_K8S_API', /404 NotFound/);
});

test('a failed replace after a 409 rejects', async () => {
  const { api, executor } = setup();
  const call = isolateCall('spine-switch-sj-01');
  await executor.execute((await mintFor(call)).token, call);
  api.failures.replace = apiAnswered(500, 'InternalError');
  await rejectsWith(executor.execute((await mintFor(call)).token, call), 'E_K8S_API', /500 InternalError/);
  // A replace racing a heal finds nothing to replace: also a rejection, not a silent success.
  delete api.failures.replace;
  api.policies.clear();
  api.failures.create = apiAnswered(409, 'AlreadyExists');
  await rejectsWith(executor.execute((await mintFor(call)).token, call), 'E_K8S_API', /404 NotFound/);
});

test('no answer from the API server rejects: the isolation is not reported', async () => {
  const { api, executor } = setup();
  api.failures.create = new KubernetesExecutorError(
    'E_K8S_UNREACHABLE',
    'creating: no answer within 10000 ms',
  );
  const call = isolateCall('spine-switch-sj-01');
  await rejectsWith(executor.execute((await mintFor(call)).token, call), 'E_K8S_UNREACHABLE');
});

test('an API implementation that throws a raw error is reported without its message', async () => {
  const { api, executor } = setup();
  api.failures.create = Object.assign(
    new Error('connect to https://admin:hunter2@10.0.0.1 with token=sk-SECRET'),
    {
      code: 'ECONNRESET',
    },
  );
  const call = isolateCall('spine-switch-sj-01');
  await assert.rejects(executor.execute((await mintFor(call)).token, call), (e: unknown) => {
    assert.ok(e instanceof KubernetesExecutorError);
    assert.equal(e.code, 'E_K8S_UNREACHABLE');
    assert.match(e.message, /ECONNRESET/);
    assert.doesNotMatch(e.message, /hunter2|SECRET|admin/);
    assert.equal(e.cause, undefined);
    return true;
  });
});

test('a stored policy that is no longer a deny-all (changed by admission) rejects', async () => {
  const { api, executor } = setup();
  api.rewriteStored = (stored) => ({
    ...stored,
    podSelector: { matchLabels: { role: 'db' } },
    policyTypes: ['Ingress'],
  });
  const call = isolateCall('spine-switch-sj-01');
  await rejectsWith(
    executor.execute((await mintFor(call)).token, call),
    'E_K8S_API',
    /not as a deny-all: its podSelector does not select every pod; its policyTypes are \["Ingress"\]/,
  );
  api.rewriteStored = (stored) => ({ ...stored, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] });
  await rejectsWith(
    executor.execute((await mintFor(call)).token, call),
    'E_K8S_API',
    /it allows some traffic/,
  );
});

test('what the gate checked is what is applied, even if the caller changes its call object meanwhile', async () => {
  const { api, executor } = setup();
  const call = isolateCall('spine-switch-sj-01');
  const { token } = await mintFor(call);
  const pending = executor.execute(token, call);
  call.args.device_id = 'spine-switch-sj-02';
  const outcome = await pending;
  assert.equal(api.calls[0]?.namespace, 'sj-01');
  assert.deepEqual(outcome.args, { device_id: 'spine-switch-sj-01' });
});

test('heal deletes the site policy; healing again finds nothing and still succeeds', async () => {
  const { api, executor } = setup();
  const call = isolateCall('spine-switch-sj-01');
  await executor.execute((await mintFor(call)).token, call);

  const healed = await executor.heal('sj-01');
  assert.deepEqual(healed, {
    executor: 'kubernetes',
    site: 'sj-01',
    namespace: 'sj-01',
    policy: 'carapace-isolate',
    cluster: 'test double (no cluster)',
    removed: true,
    healed_at: '2025-01-01T03:14:00.000Z',
    effect:
      "NetworkPolicy carapace-isolate deleted from namespace sj-01 (site sj-01): its pods' traffic is no longer denied by Carapace.",
  });
  assert.equal(api.policies.size, 0);

  const again = await executor.heal('sj-01');
  assert.equal(again.removed, false);
  assert.match(again.effect, /nothing to heal/);
  assert.deepEqual(
    api.calls.map((c) => [c.method, c.namespace, c.name]),
    [
      ['create', 'sj-01', 'carapace-isolate'],
      ['delete', 'sj-01', 'carapace-isolate'],
      ['delete', 'sj-01', 'carapace-isolate'],
    ],
  );
});

test('heal rejects when the delete fails, and refuses a site with no namespace without calling the API', async () => {
  const { api, executor } = setup({ namespaces: { 'sj-01': 'sj-01' } });
  api.failures.delete = apiAnswered(403, 'Forbidden');
  await rejectsWith(executor.heal('sj-01'), 'E_K8S_API', /403 Forbidden/);
  api.failures.delete = new KubernetesExecutorError(
    'E_K8S_UNREACHABLE',
    'deleting: no answer within 10000 ms',
  );
  await rejectsWith(executor.heal('sj-01'), 'E_K8S_UNREACHABLE');
  await rejectsWith(executor.heal('oak-01'), 'E_K8S_NO_NAMESPACE');
  await rejectsWith(executor.heal('__proto__'), 'E_K8S_NO_NAMESPACE');
  assert.equal(api.calls.length, 2);
});

test('heal without a mapping refuses a site id that is not a namespace name', async () => {
  const { api, executor } = setup();
  for (const site of ['', 'SJ-01', '../kube-system', 'sj 01']) {
    await rejectsWith(executor.heal(site), 'E_K8S_NO_NAMESPACE');
  }
  await rejectsWith(executor.heal(undefined as unknown as string), 'E_K8S_UNSUPPORTED');
  assert.deepEqual(api.calls, []);
});
