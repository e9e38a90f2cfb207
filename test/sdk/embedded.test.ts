// The SDK's embedded mode end to end: guarded plain functions decided by the in-process pipeline on a
// data directory, every decision durable in the audit log before the function runs, refusals thrown
// as typed errors without calling the function, outputs redacted, and a log the verifier accepts.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type CarapaceGateway,
  CarapaceDeniedError,
  CarapaceError,
  CarapaceReviewPendingError,
  guard,
  openEmbeddedGateway,
} from '../../src/sdk/index.js';
import {
  auditEntries,
  auditEvents,
  auditText,
  freshDir,
  GITHUB_TOKEN,
  LT_CORROBORATES,
  POISON,
  verifyAudit,
} from './helpers.js';

let dataDir: string;
let gateway: CarapaceGateway;
let operator: string;
let syslog: string;

before(async () => {
  dataDir = freshDir();
  gateway = await openEmbeddedGateway({
    dataDir,
    agent: { name: 'ops-agent', tier: 'T3' },
    channels: { 'operator-console': 'trusted', syslog: 'semi_trusted' },
  });
  operator = (await gateway.ingest('Restart the api workload at sj-01.', { channel: 'operator-console' })).id;
  syslog = (await gateway.ingest(POISON, { channel: 'syslog' })).id;
});
after(() => gateway.close());

/** A tool function that records its calls. */
function spy<R>(result: (args: Record<string, unknown>) => R | Promise<R>) {
  const calls: Record<string, unknown>[] = [];
  const fn = async (args: Record<string, unknown>) => {
    calls.push(args);
    return result(args);
  };
  return { fn, calls };
}

test('ingested content becomes a chunk with its channel trust, and a poisoned line is flagged', async () => {
  const poisoned = await gateway.ingest(POISON, { channel: 'syslog' });
  assert.equal(poisoned.id, syslog);
  assert.equal(poisoned.trust, 'semi_trusted');
  assert.equal(poisoned.injection_suspected, true);
  assert.ok(poisoned.matched.length > 0);
  await assert.rejects(gateway.ingest('x', { channel: 'web' }), { code: 'E_CALL_INVALID' });
  await assert.rejects(gateway.ingest('x'), { code: 'E_CALL_INVALID' });
});

test('an allowed call runs once, after its decision and its execution are durable in the audit log', async () => {
  let seenBeforeRun: string[] = [];
  const telemetry = spy(async (args) => {
    // What the log holds while the function runs: the decision and the redeemed token are already there.
    seenBeforeRun = (await auditEvents(dataDir)).slice(-2).map((e) => e.kind);
    return { target: args.target, cpu: 0.97, owner: 'oncall: jane.doe@example.com', note: GITHUB_TOKEN };
  });
  const events: unknown[] = [];
  const tools = guard(
    { get_telemetry: telemetry.fn },
    { gateway, tools: { get_telemetry: 'observe' }, onDecision: (e) => events.push(e) },
  );
  const out = await tools.get_telemetry({ target: 'node-sj-01-02' });
  assert.deepEqual(telemetry.calls, [{ target: 'node-sj-01-02' }]);
  assert.deepEqual(seenBeforeRun, ['decision', 'execution']);
  // Secrets and validated PII never reach the caller, the chunk store or the log.
  assert.deepEqual(out, {
    target: 'node-sj-01-02',
    cpu: 0.97,
    owner: 'oncall: <EMAIL_ADDRESS>',
    note: '<GITHUB_TOKEN>',
  });
  assert.ok(!(await auditText(dataDir)).includes(GITHUB_TOKEN));
  assert.ok(!(await auditText(dataDir)).includes('jane.doe@example.com'));

  const entries = await auditEvents(dataDir);
  const [decision, execution, result] = entries.slice(-3);
  assert.equal(decision?.kind, 'decision');
  assert.equal((decision?.payload.record as { decision: string }).decision, 'ALLOW');
  assert.equal(execution?.kind, 'execution');
  assert.equal(execution?.payload.decision, decision?.hash);
  assert.equal(result?.kind, 'execution.result');
  assert.deepEqual(result?.payload.redacted, { secrets: ['GITHUB_TOKEN'], pii: ['EMAIL_ADDRESS'] });
  assert.deepEqual(result?.payload.result, out);
  assert.deepEqual(events, [
    {
      name: 'get_telemetry',
      tool: 'get_telemetry',
      decision: 'ALLOW',
      rule: 'R8',
      explanation: (decision?.payload.record as { explanation: string }).explanation,
      audit: { seq: decision?.seq, hash: decision?.hash },
    },
  ]);
});

test('a DENY throws CarapaceDeniedError with the recorded decision, and the function is never called', async () => {
  const isolate = spy(() => 'isolated');
  const tools = guard(
    { isolate_network_device: isolate.fn },
    { gateway, tools: { isolate_network_device: 'remediate_destructive' } },
  );
  const denied = await tools
    .isolate_network_device({ device_id: 'spine-switch-sj-01' }, { sources: [syslog] })
    .then(
      () => null,
      (e: unknown) => e,
    );
  assert.ok(denied instanceof CarapaceDeniedError, String(denied));
  assert.equal(denied.code, 'E_ACTION_DENIED');
  assert.equal(denied.executed, false);
  assert.equal(denied.decision, 'DENY');
  assert.equal(denied.rule, 'R2');
  assert.equal(denied.record?.inputs.injection_flag, true);
  assert.equal(denied.record?.sources[0]?.id, syslog);
  assert.match(denied.message, /denied isolate_network_device \(R2\)/);
  assert.deepEqual(isolate.calls, []);

  // The error points at the durable decision entry, and that entry holds the same record.
  const entry = (await auditEntries(dataDir)).find((e) => e.seq === denied.audit?.seq);
  assert.equal(entry?.kind, 'decision');
  assert.equal(entry?.hash, denied.audit?.hash);
  assert.deepEqual(entry?.payload.record, JSON.parse(JSON.stringify(denied.record)));
  assert.ok(
    !(await auditEntries(dataDir)).some(
      (e) => e.kind === 'execution' && e.payload.tool === 'isolate_network_device',
    ),
  );
});

test('the reference scenario: corroborated by the conversation layer, the isolation is QUARANTINEd', async () => {
  const isolate = spy(() => 'isolated');
  const tools = guard(
    { 'network.isolate': isolate.fn },
    { gateway, tools: { 'network.isolate': 'remediate_destructive' } },
  );
  await assert.rejects(
    tools['network.isolate'](
      { device_id: 'spine-switch-sj-01' },
      { sources: [syslog], lobstertrap: LT_CORROBORATES },
    ),
    (e: unknown) => e instanceof CarapaceDeniedError && e.decision === 'QUARANTINE' && e.rule === 'R2',
  );
  assert.deepEqual(isolate.calls, []);
  // The two layers' entries, adjacent; then the quarantine lowers the agent's trust.
  const kinds = (await auditEvents(dataDir)).slice(-3).map((e) => e.kind);
  assert.deepEqual(kinds, ['conversation.verdict', 'decision', 'trust.lowered']);
});

test('a declared intent other than the detected one is denied (R1), so a tool cannot pass as harmless', async () => {
  const restart = spy(() => 'restarted');
  const tools = guard({ restart_workload: restart.fn }, { gateway, tools: { restart_workload: 'observe' } });
  await assert.rejects(
    tools.restart_workload({ workload: 'api', site: 'sj-01' }, { sources: [operator] }),
    (e: unknown) => e instanceof CarapaceDeniedError && e.rule === 'R1',
  );
  assert.deepEqual(restart.calls, []);
});

test('a HUMAN_REVIEW throws CarapaceReviewPendingError with the review id, without calling the function', async () => {
  const isolate = spy(() => 'isolated');
  const tools = guard(
    { isolate_network_device: isolate.fn },
    { gateway, tools: { isolate_network_device: 'remediate_destructive' }, sources: [operator] },
  );
  const pending = await tools.isolate_network_device({ device_id: 'spine-switch-sj-02' }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(pending instanceof CarapaceReviewPendingError, String(pending));
  assert.equal(pending.code, 'E_REVIEW_PENDING');
  assert.equal(pending.rule, 'R4');
  assert.match(pending.reviewId, /^rev_[0-9a-f]{32}$/);
  assert.deepEqual(isolate.calls, []);
  const last = (await auditEvents(dataDir)).at(-1);
  assert.equal(last?.kind, 'review.requested');
  assert.equal(last?.payload.review, pending.reviewId);
});

test('a credential in the arguments is denied by the inspect stage and never written to the log', async () => {
  const propose = spy(() => 'noted');
  const tools = guard({ propose_action: propose.fn }, { gateway, tools: { propose_action: 'recommend' } });
  await assert.rejects(
    tools.propose_action({ summary: `rotate ${GITHUB_TOKEN}` }, { sources: [operator] }),
    (e: unknown) => e instanceof CarapaceDeniedError && e.rule === 'inspect.secret_in_arguments',
  );
  assert.deepEqual(propose.calls, []);
  assert.ok(!(await auditText(dataDir)).includes(GITHUB_TOKEN));
});

test('a tool output joins the session as untrusted unless its tool says otherwise', async () => {
  // Outputs are content-addressed: each call returns text of its own, so no chunk is shared between sessions.
  const telemetry = spy((args) => `${String(args.target)} healthy`);
  const restart = spy(() => 'restarted');
  const specs = {
    get_telemetry: 'observe' as const,
    restart_workload: 'remediate_reversible' as const,
  };
  const tainted = guard(
    { get_telemetry: telemetry.fn, restart_workload: restart.fn },
    {
      gateway,
      tools: specs,
      session: 'shift-1',
      sources: [operator],
    },
  );
  await tainted.get_telemetry({ target: 'node-sj-01-01' });
  // The session has now seen an untrusted output: a remediation it justifies is no longer allowed.
  await assert.rejects(tainted.restart_workload({ workload: 'api', site: 'sj-01' }), (e: unknown) => {
    assert.ok(e instanceof CarapaceDeniedError);
    assert.equal(e.record?.inputs.provenance, 'untrusted');
    return true;
  });
  assert.deepEqual(restart.calls, []);

  const trusting = guard(
    { get_telemetry: telemetry.fn, restart_workload: restart.fn },
    {
      gateway,
      tools: { ...specs, get_telemetry: { intent: 'observe', outputTrust: 'trusted' } },
      session: 'shift-2',
      sources: [operator],
    },
  );
  await trusting.get_telemetry({ target: 'node-sj-01-03' });
  assert.equal(await trusting.restart_workload({ workload: 'api', site: 'sj-01' }), 'restarted');
  assert.deepEqual(restart.calls, [{ workload: 'api', site: 'sj-01' }]);
  // The trusted output entered through the gateway's own channel for that trust.
  const outputs = (await auditEvents(dataDir)).filter((e) => e.kind === 'execution.result');
  const trusted = outputs.find((e) => e.payload.session === 'shift-2' && e.payload.tool === 'get_telemetry');
  assert.deepEqual(
    [trusted?.payload.channel, trusted?.payload.trust, trusted?.payload.executor],
    ['tool-output.trusted', 'trusted', 'sdk'],
  );
});

test('a failing tool is recorded as failed (credentials and PII removed from its message) and its error is rethrown', async () => {
  const boom = Object.assign(new Error(`upstream refused token ${GITHUB_TOKEN} for ops@example.com`), {
    code: 'E_UPSTREAM',
  });
  const tools = guard(
    {
      read_logs: async () => {
        throw boom;
      },
    },
    { gateway, tools: { read_logs: 'observe' } },
  );
  await assert.rejects(tools.read_logs({ source: 'syslog' }), (e: unknown) => e === boom);
  const last = (await auditEvents(dataDir)).at(-1);
  assert.equal(last?.kind, 'execution.failed');
  assert.equal(last?.payload.code, 'E_UPSTREAM');
  assert.equal(last?.payload.reason, 'upstream refused token <GITHUB_TOKEN> for <EMAIL_ADDRESS>');
});

test('a tool that outlives its timeout is recorded as failed, with an effect the caller must treat as unknown', async () => {
  const tools = guard(
    { read_logs: () => new Promise(() => {}) },
    { gateway, tools: { read_logs: { intent: 'observe', timeoutMs: 50 } } },
  );
  await assert.rejects(tools.read_logs({ source: 'syslog' }), { code: 'E_TOOL_TIMEOUT', executed: true });
  assert.equal((await auditEvents(dataDir)).at(-1)?.payload.code, 'E_TOOL_TIMEOUT');
});

test('an output that is not JSON is withheld and recorded as such', async () => {
  const tools = guard(
    { read_logs: async () => ({ lines: 10n }) },
    { gateway, tools: { read_logs: 'observe' } },
  );
  await assert.rejects(tools.read_logs({ source: 'syslog' }), { code: 'E_OUTPUT_NOT_JSON', executed: true });
  assert.equal((await auditEvents(dataDir)).at(-1)?.kind, 'execution.withheld');
});

test('a tool spec can redact more than the defaults from the output', async () => {
  const tools = guard(
    { read_logs: async () => 'login from 10.1.2.3 by root' },
    { gateway, tools: { read_logs: { intent: 'observe', redact: ['IP_ADDRESS'] } } },
  );
  assert.equal(await tools.read_logs({ source: 'auth' }), 'login from <IP_ADDRESS> by root');
});

test('calls that an envelope cannot carry are refused before any decision', async () => {
  const fn = spy(() => 'x');
  const tools = guard({ read_logs: fn.fn }, { gateway, tools: { read_logs: 'observe' } });
  const before = (await auditEvents(dataDir)).length;
  await assert.rejects(tools.read_logs('syslog' as never), { code: 'E_CALL_INVALID' });
  await assert.rejects(tools.read_logs({ source: 'x' }, { session: 'no spaces allowed' }), {
    code: 'E_CALL_INVALID',
  });
  await assert.rejects(tools.read_logs({ source: 'x' }, { sources: 'chunk' as never }), {
    code: 'E_CALL_INVALID',
  });
  await assert.rejects(tools.read_logs({ source: 'x' }, { colour: 'red' } as never), {
    code: 'E_CALL_INVALID',
  });
  assert.deepEqual(fn.calls, []);
  assert.equal((await auditEvents(dataDir)).length, before);
});

test('guard() refuses, at once, a tool without an intent, an unknown intent, or a shape it does not know', () => {
  const fn = async () => 'x';
  assert.throws(() => guard({ read_logs: fn }, { gateway, tools: {} }), { code: 'E_OPTIONS_INVALID' });
  // A spec is looked up among the options' own keys: `constructor` does not find Object's.
  assert.throws(
    () => guard({ constructor: fn }, { gateway, tools: {} }),
    (e: unknown) => {
      assert.ok(e instanceof CarapaceError);
      assert.match(e.detail, /tools\.constructor: no spec/);
      return true;
    },
  );
  assert.throws(() => guard({ read_logs: fn }, { gateway, tools: { read_logs: 'read' as never } }), {
    code: 'E_OPTIONS_INVALID',
  });
  assert.throws(() => guard({ read_logs: { run: fn } }, { gateway, tools: { read_logs: 'observe' } }), {
    code: 'E_OPTIONS_INVALID',
  });
  assert.throws(
    () =>
      guard({ read_logs: fn }, { gateway, tools: { read_logs: { intent: 'observe', redact: ['NAMES'] } } }),
    { code: 'E_OPTIONS_INVALID' },
  );
  assert.throws(() => guard({ read_logs: fn }, { tools: { read_logs: 'observe' } } as never), {
    code: 'E_OPTIONS_INVALID',
  });
});

test('a second embedded gateway on the same data directory is refused', async () => {
  await assert.rejects(openEmbeddedGateway({ dataDir }), (e: unknown) => {
    assert.ok(e instanceof CarapaceError);
    assert.equal(e.code, 'E_OPTIONS_INVALID');
    assert.match(e.detail, /in use|is served by/);
    return true;
  });
});

test('closed, the embedded gateway has signed its log, and the log passes the offline verifier', async () => {
  await gateway.close();
  const result = await verifyAudit(dataDir);
  assert.ok(result.ok, JSON.stringify(result));
  assert.ok(result.entries > 20);
  assert.equal(result.uncovered, 0);
});

test('a policy tightens the decision and redacts per tool; a closed gateway refuses calls', async () => {
  const dir = freshDir();
  const policyFile = join(dir, 'sdk.policy');
  writeFileSync(
    policyFile,
    'This policy is called sdk.\nNever allow quarantine_node.\nRedact PII in the output of read_logs.\n',
  );
  const g = await openEmbeddedGateway({
    dataDir: join(dir, 'data'),
    policy: policyFile,
    watchPolicy: false,
    channels: { 'operator-console': 'trusted' },
  });
  const order = await g.ingest('Quarantine node-sj-01-01.', { channel: 'operator-console' });
  const quarantine = spy(() => 'quarantined');
  const tools = guard(
    { quarantine_node: quarantine.fn, read_logs: async () => 'ticket opened by Jane Doe from Berlin' },
    {
      gateway: g,
      tools: { quarantine_node: 'remediate_destructive', read_logs: 'observe' },
      sources: [order.id],
    },
  );
  await assert.rejects(tools.quarantine_node({ node_id: 'node-sj-01-01' }), (e: unknown) => {
    assert.ok(e instanceof CarapaceDeniedError);
    assert.equal(e.rule, 'sdk#1');
    assert.match(e.explanation, /Never allow quarantine_node/);
    return true;
  });
  assert.deepEqual(quarantine.calls, []);
  const logs = (await tools.read_logs({ source: 'tickets' })) as string;
  assert.ok(!logs.includes('Jane Doe'), logs);
  const kinds = (await auditEntries(join(dir, 'data'))).map((e) => e.kind);
  assert.ok(kinds.includes('policy.loaded'));

  await g.close();
  await assert.rejects(tools.read_logs({ source: 'tickets' }), { code: 'E_GATEWAY_CLOSED' });
  // Closing released the data directory: it opens again.
  const again = await openEmbeddedGateway({ dataDir: join(dir, 'data') });
  await again.close();
  const verified = await verifyAudit(join(dir, 'data'));
  assert.ok(verified.ok, JSON.stringify(verified));
});

test('a policy that does not compile stops the embedded gateway from opening', async () => {
  const dir = freshDir();
  const policyFile = join(dir, 'bad.policy');
  writeFileSync(policyFile, 'Please be careful with quarantine_node.\n');
  await assert.rejects(openEmbeddedGateway({ dataDir: join(dir, 'data'), policy: policyFile }), {
    code: 'E_OPTIONS_INVALID',
  });
  // It left the directory unlocked.
  const g = await openEmbeddedGateway({ dataDir: join(dir, 'data') });
  await g.close();
});

test('a policy given in place is compiled, recorded and enforced like a policy file', async () => {
  const dir = freshDir();
  const g = await openEmbeddedGateway({
    dataDir: join(dir, 'data'),
    policy: { format: 'english', text: 'This policy is called inline.\nNever allow read_logs.\n' },
  });
  try {
    const read = spy(() => 'lines');
    await assert.rejects(
      guard({ read_logs: read.fn }, { gateway: g, tools: { read_logs: 'observe' } }).read_logs({
        source: 'x',
      }),
      (e: unknown) => e instanceof CarapaceDeniedError && e.rule === 'inline#1',
    );
    assert.deepEqual(read.calls, []);
  } finally {
    await g.close();
  }
  const loaded = (await auditEntries(join(dir, 'data'))).find((e) => e.kind === 'policy.loaded');
  assert.deepEqual([loaded?.payload.path, loaded?.payload.name], [null, 'inline']);
  await assert.rejects(
    openEmbeddedGateway({ dataDir: join(dir, 'data'), policy: { format: 'english', text: 'Be careful.' } }),
    { code: 'E_OPTIONS_INVALID' },
  );
});

test('an approver of this process decides a review the call waits for; the agent is never an approver', async () => {
  const dir = freshDir();
  const g = await openEmbeddedGateway({
    dataDir: join(dir, 'data'),
    agent: { name: 'ops-agent', tier: 'T3' },
    channels: { 'operator-console': 'trusted' },
    approvers: ['night-lead'],
    review: { wait: true, pollMs: 10, timeoutMs: 5000 },
  });
  try {
    const order = await g.ingest('Isolate leaf-switch-sj-01-a, it is flapping.', {
      channel: 'operator-console',
      session: 'leaf',
    });
    const isolate = spy(() => ({ isolated: true }));
    const decisions: string[] = [];
    const tools = guard(
      { isolate_network_device: isolate.fn },
      {
        gateway: g,
        tools: { isolate_network_device: 'remediate_destructive' },
        session: 'leaf',
        sources: [order.id],
        onDecision: (e) => {
          const id = e.review?.id as string;
          decisions.push(e.decision);
          // A person answers while the call waits; an unknown approver is refused, and a review is
          // decided once.
          setTimeout(() => {
            void (async () => {
              await assert.rejects(g.approveReview(id, { approver: 'nobody' }), { code: 'E_CALL_INVALID' });
              await assert.rejects(g.rejectReview(id, { approver: 'night-lead', note: '' }), {
                code: 'E_CALL_INVALID',
              });
              assert.deepEqual(await g.approveReview(id, { approver: 'night-lead', note: 'leaf only' }), {
                outcome: 'approved',
                status: 'approved',
              });
              await assert.rejects(g.approveReview(id, { approver: 'night-lead' }), (e: unknown) => {
                assert.ok(e instanceof CarapaceError);
                assert.equal(e.code, 'E_GATEWAY_REFUSED');
                assert.match(e.detail, /^E_REVIEW_CONFLICT/);
                return true;
              });
            })();
          }, 30);
        },
      },
    );
    assert.deepEqual(await tools.isolate_network_device({ device_id: 'leaf-switch-sj-01-a' }), {
      isolated: true,
    });
    assert.deepEqual(decisions, ['HUMAN_REVIEW']);
    assert.deepEqual(isolate.calls, [{ device_id: 'leaf-switch-sj-01-a' }]);

    const events = await auditEvents(join(dir, 'data'));
    const decided = events.find((e) => e.kind === 'review.decision');
    assert.deepEqual(
      [decided?.payload.approver, decided?.payload.outcome],
      ['approver:night-lead', 'approved'],
    );
    const result = events.filter((e) => e.kind === 'execution.result').at(-1);
    assert.equal(result?.payload.session, 'leaf');
    const execution = events.filter((e) => e.kind === 'execution').at(-1);
    assert.equal(execution?.payload.jti, decided?.payload.review);

    // Rejected while it waits: a denial naming the review; the function is not called.
    const rejecting = guard(
      { isolate_network_device: isolate.fn },
      {
        gateway: g,
        tools: { isolate_network_device: 'remediate_destructive' },
        sources: [order.id],
        onDecision: (e) => {
          setTimeout(() => {
            void g.rejectReview(e.review?.id as string, { approver: 'night-lead', note: 'not the spine' });
          }, 30);
        },
      },
    );
    await assert.rejects(rejecting.isolate_network_device({ device_id: 'spine-switch-sj-01' }), {
      code: 'E_REVIEW_REJECTED',
    });
    assert.equal(isolate.calls.length, 1);
  } finally {
    await g.close();
  }
  const verified = await verifyAudit(join(dir, 'data'));
  assert.ok(verified.ok, JSON.stringify(verified));
  // The agent is never its own approver: not by name, nor through a name another principal holds.
  for (const approvers of [['ops-agent'], ['x', 'x']])
    await assert.rejects(
      openEmbeddedGateway({ dataDir: join(dir, 'data'), agent: { name: 'ops-agent' }, approvers }),
      { code: 'E_OPTIONS_INVALID' },
    );
  await assert.rejects(openEmbeddedGateway({ dataDir: join(dir, 'data'), agent: { name: 'night-lead' } }), {
    code: 'E_OPTIONS_INVALID',
    detail: "night-lead is another principal's name",
  });
});

test('the tool-output channels are the gateway’s own: no embedded gateway names one', async () => {
  await assert.rejects(
    openEmbeddedGateway({
      dataDir: join(freshDir(), 'data'),
      channels: { 'tool-output.trusted': 'trusted' },
    }),
    { code: 'E_OPTIONS_INVALID' },
  );
});
