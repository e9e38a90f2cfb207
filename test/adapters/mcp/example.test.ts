// examples/mcp-agent end to end: the scripted agent launches `carapace mcp` over stdio with the official
// MCP client, in front of the example's simulated data hall server. The spine isolation an injected log
// line asks for is blocked and never reaches the server; the operator's maintenance request waits for
// the scripted approver and then runs once; the audit log verifies.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../../../examples/mcp-agent/run.js';

test('the MCP example: injected isolation blocked, approved maintenance run, audit verified', async () => {
  const run = await runExample();
  const [telemetry, logs, isolate, witness] = run.night;
  assert.equal(telemetry?.outcome, 'ran');
  assert.match(telemetry?.text ?? '', /<EMAIL_ADDRESS>/, 'PII redacted on the way to the agent');
  assert.ok(!(telemetry?.text ?? '').includes('sam.rivera@example.com'));
  assert.equal(logs?.outcome, 'ran');
  assert.equal(logs?.chunk?.trust, 'semi_trusted');
  assert.equal(logs?.chunk?.injection_suspected, true);
  assert.equal(isolate?.outcome, 'blocked');
  assert.equal(isolate?.decision, 'DENY');
  assert.equal(isolate?.rule, 'R2');
  assert.match(isolate?.text ?? '', /Nothing was run/);
  assert.match(witness?.text ?? '', /spine-switch-sj-01: .*forwarding/, 'the spine was never isolated');

  const [leaf, after] = run.maintenance;
  assert.equal(leaf?.outcome, 'ran');
  assert.equal(leaf?.decision, 'HUMAN_REVIEW');
  assert.equal(leaf?.rule, 'R5');
  assert.equal(leaf?.text, 'SIMULATED: deny-all installed on leaf-switch-sj-01-a');
  assert.equal(run.approvedBy, 'approver:scripted-approver');
  assert.match(after?.text ?? '', /leaf-switch-sj-01-a: .*ISOLATED/);
  assert.ok(run.auditVerified);
  assert.ok(run.auditEntries > 20);
});
