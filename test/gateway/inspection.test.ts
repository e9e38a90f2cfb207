// The inspect stages around an action, through real HTTP: a credential in a tool call's arguments makes
// it DENY (however the engine would have decided), with no token, and the credential appears neither in
// the answer nor in the audit log; an executor's output reaches the agent, the chunk store and the log
// with secrets and PII replaced. The executor below is a test double (named so) that returns secrets.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { redactOutput } from '../../src/gateway/inspection.js';
import { type Harness, principal, startHarness } from './harness.js';

// Built at run time so that no token-shaped literal sits in the repository.
const FAKE_GITHUB_TOKEN = `ghp_${'TESTtoken0123456789abcdefXYZ'}${'q7Wm2Lp9'}`;
const FAKE_EMAIL = 'jane.doe@example.com';

/** Test double: its "telemetry" output carries a credential and an e-mail address. */
function leakyTelemetry(gate: TokenGate): Executor {
  return {
    name: 'test-double-leaky-telemetry',
    simulated: true,
    tools: ['get_telemetry'],
    async execute(token, call) {
      await gate(token, call);
      return {
        executor: 'test-double-leaky-telemetry',
        simulated: true,
        tool: call.tool,
        args: call.args,
        executed_at: new Date(0).toISOString(),
        effect: `telemetry for ${String(call.args.target)}; owner ${FAKE_EMAIL}; debug token=${FAKE_GITHUB_TOKEN}`,
      };
    },
  };
}

let h: Harness;
let agent: string;
before(async () => {
  h = await startHarness(undefined, (gate) => [leakyTelemetry(gate)]);
  agent = await principal(h, 'inspect-agent', 'agent', 'operator-console');
});
after(() => h.close());

function auditText(): Promise<string> {
  const dir = segmentsDir(h.dataDir);
  return listSegments(dir).then((names) => names.map((n) => readFileSync(`${dir}/${n}`, 'utf8')).join(''));
}

test('a credential in the arguments is DENY with no token, and is neither echoed nor recorded', async () => {
  const envelope = {
    intent: 'recommend',
    tool: 'propose_action',
    args: { summary: `rotate the deploy key; the current one is ${FAKE_GITHUB_TOKEN}` },
  };
  const decided = await h.call('POST', '/v1/decide', agent, { envelope });
  assert.equal((decided.body.final as { decision: string }).decision, 'DENY');
  assert.deepEqual((decided.body.inspect as { secrets: string[] }).secrets, ['GITHUB_TOKEN']);
  const acted = await h.call('POST', '/v1/actions', agent, { envelope });
  assert.equal(acted.status, 200);
  assert.deepEqual(
    [acted.body.decision, acted.body.rule, acted.body.token],
    ['DENY', 'inspect.secret_in_arguments', undefined],
  );
  assert.deepEqual((acted.body.inspect as { secrets: string[] }).secrets, ['GITHUB_TOKEN']);
  // The engine alone would have allowed it (R8): the stage tightened the verdict.
  assert.equal((acted.body.record as { decision: string }).decision, 'ALLOW');
  const answers = JSON.stringify(decided.body) + JSON.stringify(acted.body);
  assert.ok(!answers.includes(FAKE_GITHUB_TOKEN), 'the credential is echoed in an answer');
  assert.ok(!(await auditText()).includes(FAKE_GITHUB_TOKEN), 'the credential is in the audit log');
});

test('an executor output reaches the agent and the audit log with secrets and PII replaced', async () => {
  const ingest = await h.call('POST', '/v1/ingest', agent, {
    content: 'operator asks for vm-02 telemetry',
    session: 's-t',
  });
  const envelope = {
    intent: 'observe',
    tool: 'get_telemetry',
    args: { target: 'vm-02' },
    source_signals: [ingest.body.id],
    session: 's-t',
  };
  const allowed = await h.call('POST', '/v1/actions', agent, { envelope });
  assert.equal(allowed.body.decision, 'ALLOW');
  const run = await h.call('POST', '/v1/execute', agent, {
    token: allowed.body.token,
    tool: 'get_telemetry',
    args: envelope.args,
  });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const effect = (run.body.result as { effect: string }).effect;
  assert.match(effect, /^telemetry for vm-02; owner <EMAIL_ADDRESS>; debug token=<GITHUB_TOKEN>$/);
  assert.match(effect, /<GITHUB_TOKEN>/);
  assert.match(effect, /<EMAIL_ADDRESS>/);
  const log = await auditText();
  assert.ok(
    !log.includes(FAKE_GITHUB_TOKEN) && !log.includes(FAKE_EMAIL),
    'the output leaked into the audit log',
  );
  assert.match(log, /"redacted":\{"pii":\["EMAIL_ADDRESS"\],"secrets":\["GITHUB_TOKEN"\]\}/);
});

test('ordinary operational output passes through the output redaction unchanged', () => {
  const outcome = {
    effect:
      'restarted workload billing-api in sj-01 (namespace cphall-sj-01): pid 20612 stopped, pid 20654 serving again 42 ms later',
    details: { address: '10.231.0.10', port: 8081, started_at: '2026-11-22T06:45:14.331Z' },
  };
  const redacted = redactOutput(outcome);
  assert.deepEqual(redacted.value, outcome);
  assert.deepEqual([redacted.pii, redacted.secrets], [[], []]);
});
