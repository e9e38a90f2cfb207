// The policy stage through real HTTP: a policy file in English, enforced on /v1/actions and /v1/execute
// with counters in the store, named with its sentences in every answer and audit entry, only ever
// tightening the engine, and reloaded when the file changes (a broken file never replaces a good one).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { replayRecord } from '../../src/engine/index.js';
import { startGateway } from '../../src/gateway/serve.js';
import { type Harness, principal, startHarness } from './harness.js';

const POLICY = `This policy is called test-ops.
Never allow read_logs.
Require human review for migrate_vm.
Limit get_telemetry to 3 calls per minute per agent.
Agents below T3 may not call restart_workload.
Redact PII in the output of propose_action.
Deny any action whose arguments contain a credit card number.
Limit the output of propose_action to 400 bytes.
Never allow isolate_network_device.
Limit migrate_vm to 2 calls per hour per agent.
`;

const CARD = ['4111', '1111', '1111', '1111'].join(' ');

let h: Harness;
let policyDir: string;
let policyFile: string;
let operator: string;

before(async () => {
  policyDir = mkdtempSync(join(tmpdir(), 'carapace-policy-'));
  policyFile = join(policyDir, 'ops.policy');
  writeFileSync(policyFile, POLICY);
  h = await startHarness(undefined, undefined, { policyFile });
  operator = await principal(h, 'policy-operator', 'agent', 'operator-console');
});
after(() => h.close());

interface Entry {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

async function entries(): Promise<Entry[]> {
  const dir = segmentsDir(h.dataDir);
  const text = (await listSegments(dir)).map((n) => readFileSync(`${dir}/${n}`, 'utf8')).join('');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Entry);
}

async function entryAt(seq: number): Promise<Entry> {
  const found = (await entries()).find((e) => e.seq === seq);
  assert.ok(found, `no audit entry ${seq}`);
  return found;
}

async function trustedChunk(key: string, session: string): Promise<string> {
  const reply = await h.call('POST', '/v1/ingest', key, {
    content: `operator: node-sj-01-02 needs attention (${session})`,
    session,
  });
  assert.ok(reply.status === 201 || reply.status === 200, JSON.stringify(reply.body));
  return (reply.body as { id: string }).id;
}

const telemetry = (target: string) => ({ intent: 'observe', tool: 'get_telemetry', args: { target } });

test('a denied tool is DENY by the policy rule, its sentence in the answer and the audit entry', async () => {
  const envelope = { intent: 'observe', tool: 'read_logs', args: { source: 'syslog' } };
  const decided = await h.call('POST', '/v1/decide', operator, { envelope });
  assert.equal((decided.body.final as { rule: string }).rule, 'test-ops#1');
  assert.equal((decided.body.policy as { fired: { rule: string }[] }).fired[0]?.rule, 'test-ops#1');
  const acted = await h.call('POST', '/v1/actions', operator, { envelope });
  assert.equal(acted.status, 200);
  assert.equal(acted.body.decision, 'DENY');
  assert.equal(acted.body.rule, 'test-ops#1');
  assert.match(acted.body.explanation as string, /"Never allow read_logs\."/);
  assert.equal(acted.body.token, undefined);
  const record = acted.body.record as { decision: string; policy_hash: string };
  // The engine alone allows an observation; its record says so, and the policy's hash is on it.
  assert.equal(record.decision, 'ALLOW');
  const policy = acted.body.policy as {
    hash: string;
    fired: { rule: string; source: { sentence: string } }[];
  };
  assert.equal(record.policy_hash, policy.hash);
  assert.equal(policy.hash, h.gateway.ctx.policy?.current?.hash);
  assert.equal(policy.fired[0]?.source.sentence, 'Never allow read_logs.');

  const entry = await entryAt((acted.body.audit as { seq: number }).seq);
  assert.equal(entry.kind, 'decision');
  const recorded = entry.payload.policy as {
    hash: string;
    fired: { rule: string }[];
    input: { tier: string };
  };
  assert.equal(recorded.hash, policy.hash);
  assert.deepEqual(
    recorded.fired.map((f) => f.rule),
    ['test-ops#1'],
  );
  assert.equal(recorded.input.tier, 'T0');
  assert.deepEqual(entry.payload.final, {
    decision: 'DENY',
    rule: 'test-ops#1',
    explanation: acted.body.explanation,
  });
  // The engine's record, with the policy hash on it, still replays exactly.
  const replayed = replayRecord(entry.payload.record, h.gateway.ctx.engine);
  assert.ok(replayed.identical, JSON.stringify(replayed.differences));
});

test('a tool called by an alias is judged by the policy as the tool it names', async () => {
  const envelope = {
    intent: 'remediate_destructive',
    tool: 'network.isolate',
    args: { device_id: 'leaf-switch-sj-01-a' },
  };
  const acted = await h.call('POST', '/v1/actions', operator, { envelope });
  assert.equal(acted.body.decision, 'DENY');
  const fired = (acted.body.policy as { fired: { rule: string }[] }).fired.map((f) => f.rule);
  assert.deepEqual(fired, ['test-ops#8']);
});

test('a policy never loosens: what the engine denies stays denied when no policy rule fires', async () => {
  // An unknown tool is the engine's fail-closed R9; the policy has nothing to say about it.
  const envelope = { intent: 'remediate_reversible', tool: 'wipe_everything', args: {} };
  const acted = await h.call('POST', '/v1/actions', operator, { envelope });
  assert.equal(acted.body.decision, 'DENY');
  assert.equal(acted.body.rule, 'R9');
  assert.deepEqual((acted.body.policy as { fired: unknown[] }).fired, []);
});

test('a rate limit counts in the store: the fourth call in a minute is DENY, and the window slides', async () => {
  const key = await principal(h, 'rate-agent', 'agent', 'operator-console');
  const decisions: string[] = [];
  for (let i = 0; i < 4; i++)
    decisions.push(
      (await h.call('POST', '/v1/actions', key, { envelope: telemetry(`node-sj-01-0${i + 1}`) })).body
        .decision as string,
    );
  assert.deepEqual(decisions, ['ALLOW', 'ALLOW', 'ALLOW', 'DENY']);
  const denied = await h.call('POST', '/v1/actions', key, { envelope: telemetry('node-sj-01-01') });
  assert.equal(denied.body.rule, 'test-ops#3');
  assert.match(denied.body.explanation as string, /3 calls in the last 60 s; the limit is 3/);
  // /v1/decide answers what would happen and spends nothing.
  const other = await principal(h, 'rate-agent-2', 'agent', 'operator-console');
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await h.call('POST', '/v1/decide', other, { envelope: telemetry('node-sj-01-01') })).status,
      200,
    );
  assert.equal(
    (await h.call('POST', '/v1/actions', other, { envelope: telemetry('node-sj-01-01') })).body.decision,
    'ALLOW',
  );
  // Per agent: the other agent was not limited by the first one's calls. After the window, calls pass.
  h.clock.now += 67_000;
  assert.equal(
    (await h.call('POST', '/v1/actions', key, { envelope: telemetry('node-sj-01-01') })).body.decision,
    'ALLOW',
  );
});

test('concurrent calls never pass a limit together: 20 at once, exactly 3 allowed', async () => {
  const key = await principal(h, 'burst-agent', 'agent', 'operator-console');
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      h.call('POST', '/v1/actions', key, { envelope: telemetry(`node-sj-01-0${(i % 4) + 1}`) }),
    ),
  );
  const allowed = replies.filter((r) => r.body.decision === 'ALLOW');
  assert.equal(allowed.length, 3);
  assert.ok(replies.every((r) => r.body.decision === 'ALLOW' || r.body.rule === 'test-ops#3'));
});

test('a minimum tier holds until an admin certifies the agent, and the change is audited', async () => {
  const key = await principal(h, 'tier-agent', 'agent', 'operator-console');
  const chunk = await trustedChunk(key, 's-tier');
  const envelope = {
    intent: 'remediate_reversible',
    tool: 'restart_workload',
    args: { workload: 'web-01', site: 'sj-01' },
    source_signals: [chunk],
    session: 's-tier',
  };
  const low = await h.call('POST', '/v1/actions', key, { envelope });
  assert.deepEqual([low.body.decision, low.body.rule], ['DENY', 'test-ops#4']);
  assert.match(low.body.explanation as string, /needs trust tier T3; the agent is T0/);

  const set = await h.call('POST', '/v1/admin/principals/agent:tier-agent/tier', h.adminKey, { tier: 'T3' });
  assert.equal(set.status, 200);
  assert.equal(set.body.certified_tier, 'T3');
  assert.equal(set.body.api_key_hash, undefined);
  assert.equal(
    (await h.call('POST', '/v1/admin/principals/agent:tier-agent/tier', key, { tier: 'T7' })).status,
    403,
  );
  assert.equal(
    (await h.call('POST', '/v1/admin/principals/agent:tier-agent/tier', h.adminKey, { tier: 'T9' })).status,
    400,
  );
  const high = await h.call('POST', '/v1/actions', key, { envelope });
  assert.deepEqual([high.body.decision, high.body.rule], ['ALLOW', 'R7']);
  const tierEntry = (await entries()).find(
    (e) => e.kind === 'admin.tier_set' && e.payload.principal === 'agent:tier-agent',
  );
  assert.match(String(tierEntry?.payload.by), /^admin:dev-admin-/);
  assert.deepEqual([tierEntry?.payload.from, tierEntry?.payload.to], ['T0', 'T3']);
});

test('review required by the policy opens a review the approver decides; approval spends nothing twice', async () => {
  const key = await principal(h, 'review-agent', 'agent', 'operator-console');
  const approver = await principal(h, 'policy-approver', 'approver');
  const chunk = await trustedChunk(key, 's-review');
  const envelope = {
    intent: 'remediate_reversible',
    tool: 'migrate_vm',
    args: { vm_id: 'vm-02', target_node: 'node-sj-01-03' },
    source_signals: [chunk],
    session: 's-review',
  };
  const acted = await h.call('POST', '/v1/actions', key, { envelope });
  assert.equal(acted.status, 202);
  assert.deepEqual([acted.body.decision, acted.body.rule], ['HUMAN_REVIEW', 'test-ops#2']);
  const id = (acted.body.review as { id: string }).id;
  const approved = await h.call('POST', `/v1/reviews/${id}/approve`, approver, { note: 'ok' });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const polled = await h.call('GET', `/v1/reviews/${id}`, key);
  assert.equal(typeof polled.body.token, 'string');

  // Reviews wait without spending; each approval spends one call of the limit of 2; the third is refused.
  const ids = [];
  for (let i = 0; i < 2; i++) {
    const more = await h.call('POST', '/v1/actions', key, { envelope });
    assert.deepEqual([more.status, more.body.rule], [202, 'test-ops#2']);
    ids.push((more.body.review as { id: string }).id);
  }
  const second = await h.call('POST', `/v1/reviews/${ids[0]}/approve`, approver, {});
  assert.equal(second.status, 200, JSON.stringify(second.body));
  const third = await h.call('POST', `/v1/reviews/${ids[1]}/approve`, approver, {});
  assert.deepEqual([third.status, third.body.code], [409, 'E_REVIEW_REEVALUATED']);
  assert.match(third.body.detail as string, /DENY by test-ops#9/);
});

test('a credit card number in any arguments is DENY by the policy, and the number is not recorded', async () => {
  const acted = await h.call('POST', '/v1/actions', operator, {
    envelope: { intent: 'recommend', tool: 'propose_action', args: { summary: `refund card ${CARD}` } },
  });
  assert.deepEqual([acted.body.decision, acted.body.rule], ['DENY', 'test-ops#6']);
  assert.match(acted.body.explanation as string, /contains CREDIT_CARD/);
});

test('the output of a tool: PII redacted where the policy says, withheld when it is too large', async () => {
  const key = await principal(h, 'output-agent', 'agent', 'operator-console');
  // IP addresses are operational data, not redacted by default; this policy redacts all PII here.
  const withIp = { summary: 'block 10.20.30.40 at the edge' };
  const allowed = await h.call('POST', '/v1/actions', key, {
    envelope: { intent: 'recommend', tool: 'propose_action', args: withIp },
  });
  assert.equal(allowed.body.decision, 'ALLOW');
  const ran = await h.call('POST', '/v1/execute', key, {
    token: allowed.body.token,
    tool: 'propose_action',
    args: withIp,
  });
  assert.equal(ran.status, 200, JSON.stringify(ran.body));
  assert.ok(!JSON.stringify(ran.body).includes('10.20.30.40'), JSON.stringify(ran.body));
  assert.match(JSON.stringify(ran.body.result), /IP_ADDRESS/);

  const long = { summary: `drain node-sj-01-02 ${'and check it again '.repeat(16)}` };
  const big = await h.call('POST', '/v1/actions', key, {
    envelope: { intent: 'recommend', tool: 'propose_action', args: long },
  });
  assert.equal(big.body.decision, 'ALLOW');
  const withheld = await h.call('POST', '/v1/execute', key, {
    token: big.body.token,
    tool: 'propose_action',
    args: long,
  });
  assert.equal(withheld.status, 200);
  assert.equal(withheld.body.result, null);
  const fired = (withheld.body.withheld as { fired: { rule: string; reason: string }[] }).fired;
  assert.equal(fired[0]?.rule, 'test-ops#7');
  assert.match(fired[0]?.reason ?? '', /the limit is 400/);
  const entry = await entryAt((withheld.body.audit as { seq: number }).seq);
  assert.equal(entry.kind, 'execution.withheld');
  assert.ok(!JSON.stringify(entry.payload).includes('check it again'), 'the withheld output is not recorded');

  const short = { summary: 'drain node-sj-01-02' };
  const small = await h.call('POST', '/v1/actions', key, {
    envelope: { intent: 'recommend', tool: 'propose_action', args: short },
  });
  const passed = await h.call('POST', '/v1/execute', key, {
    token: small.body.token,
    tool: 'propose_action',
    args: short,
  });
  assert.equal((passed.body.result as { tool: string }).tool, 'propose_action');
});

test('the output of a tool the agent ran itself meets the same output rules at /v1/results', async () => {
  const key = await principal(h, 'client-runner', 'agent', 'operator-console');
  const run = async (summary: string) => {
    const args = { summary };
    const allowed = await h.call('POST', '/v1/actions', key, {
      envelope: { intent: 'recommend', tool: 'propose_action', args },
    });
    assert.equal(allowed.body.decision, 'ALLOW');
    const redeemed = await h.call('POST', '/v1/redeem', key, {
      token: allowed.body.token,
      tool: 'propose_action',
      args,
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    return h.call('POST', '/v1/results', key, { jti: redeemed.body.jti, output: { proposal: summary } });
  };
  const redacted = await run('block 10.20.30.40 at the edge');
  assert.deepEqual(redacted.body.result, { proposal: 'block <IP_ADDRESS> at the edge' });
  const withheld = await run(`drain node-sj-01-02 ${'and check it again '.repeat(24)}`);
  assert.equal(withheld.body.result, null);
  const why = withheld.body.withheld as { code: string; fired: { rule: string }[] };
  assert.deepEqual([why.code, why.fired[0]?.rule], ['E_OUTPUT_WITHHELD', 'test-ops#7']);
  assert.equal(withheld.body.output_chunk, null);
  const entry = await entryAt((withheld.body.audit as { seq: number }).seq);
  assert.deepEqual([entry.kind, entry.payload.executor], ['execution.withheld', 'client']);
  assert.ok(!JSON.stringify(entry.payload).includes('check it again'), 'the withheld output is not recorded');
});

test('GET /v1/policy shows the rules with their sentences to approvers and auditors, not to agents', async () => {
  const auditor = await principal(h, 'policy-auditor', 'auditor');
  const shown = await h.call('GET', '/v1/policy', auditor);
  assert.equal(shown.status, 200);
  const policy = shown.body.policy as {
    hash: string;
    layers: { rules: { source: { sentence: string } }[] }[];
  };
  assert.equal(policy.hash, h.gateway.ctx.policy?.current?.hash);
  assert.equal(policy.layers[0]?.rules[0]?.source.sentence, 'Never allow read_logs.');
  assert.equal((await h.call('GET', '/v1/policy', operator)).status, 403);
});

test('an edited policy file is reloaded with an audit entry; a broken one is refused and the old stays', async () => {
  const before = h.gateway.ctx.policy?.current?.hash as string;
  writeFileSync(policyFile, `${POLICY}Never allow propose_action.\n`);
  const changed = await waitFor(() => h.gateway.ctx.policy?.current?.hash !== before);
  assert.ok(changed, 'the policy was not reloaded within 5 s');
  const after = h.gateway.ctx.policy?.current?.hash as string;
  const loaded = (await entries()).filter((e) => e.kind === 'policy.loaded').at(-1);
  assert.deepEqual([loaded?.payload.old_hash, loaded?.payload.new_hash], [before, after]);
  const denied = await h.call('POST', '/v1/actions', operator, {
    envelope: { intent: 'recommend', tool: 'propose_action', args: { summary: 'x' } },
  });
  assert.deepEqual([denied.body.decision, denied.body.rule], ['DENY', 'test-ops#10']);

  const refusedBefore = (await entries()).filter((e) => e.kind === 'policy.refused').length;
  writeFileSync(policyFile, `${POLICY}Never allow propose_action.\nAllow everything always.\n`);
  const refused = await waitFor(
    async () => (await entries()).filter((e) => e.kind === 'policy.refused').length > refusedBefore,
  );
  assert.ok(refused, 'the broken policy was not refused within 5 s');
  assert.equal(h.gateway.ctx.policy?.current?.hash, after);
  const entry = (await entries()).filter((e) => e.kind === 'policy.refused').at(-1);
  assert.equal(entry?.payload.in_force, after);
  assert.equal((entry?.payload.errors as { line: number }[])[0]?.line, 12);
  // The admin route says the same, as a 422 the caller can read.
  const reload = await h.call('POST', '/v1/admin/policy/reload', h.adminKey);
  assert.deepEqual([reload.status, reload.body.code], [422, 'E_POLICY_COMPILE']);
  assert.match(reload.body.detail as string, /line 12/);
  writeFileSync(policyFile, POLICY);
  const restored = await h.call('POST', '/v1/admin/policy/reload', h.adminKey);
  assert.equal(restored.status, 200);
  assert.equal(restored.body.hash, before);
});

test('a gateway does not start on a policy that does not compile, and leaves its data directory free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-policy-bad-'));
  const bad = join(dir, 'bad.policy');
  writeFileSync(bad, 'Never allow read_logs.\nLet agents do whatever.\n');
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-gw-'));
  await assert.rejects(
    startGateway({ dataDir, port: 0, logLevel: 'silent', policyFile: bad }),
    (e: Error) => {
      assert.equal((e as { code?: string }).code, 'E_POLICY_COMPILE');
      assert.match(e.message, /line 2/);
      return true;
    },
  );
  const ok = await startGateway({ dataDir, port: 0, logLevel: 'silent' });
  await ok.close();
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
