// examples/brokered-http end to end: the scripted agent's GitHub-style calls succeed against the local
// HTTPS stand-in (which accepts only the real token, so the broker must have injected it), and no form
// of the token reaches the agent or any file of the data directory.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../../examples/brokered-http/run.js';
import { encodedForms, leaksIn } from './helpers.js';

test('the brokered GitHub-style example succeeds without the agent ever receiving the token', async () => {
  const token = 'ghp_ExampleTestToken0123456789abcdefABCD';
  const run = await runExample(token);
  const [profile, issue, remove] = run.steps;
  assert.deepEqual([profile?.decision, profile?.rule, profile?.status], ['ALLOW', 'R8', 200]);
  assert.equal((profile?.answer as { login: string }).login, 'scripted-octocat');
  assert.deepEqual([issue?.decision, issue?.rule, issue?.status], ['ALLOW', 'R7', 201]);
  assert.deepEqual([remove?.decision, remove?.rule], ['HUMAN_REVIEW', 'R6']);
  assert.equal(run.issuesFiled, 1);
  // The broker sent the token, twice, and nothing was sent for the held DELETE.
  assert.deepEqual(run.sentByBroker, [`Bearer ${token}`, `Bearer ${token}`]);
  const received = run.steps.map((s) => s.received).join('\n');
  for (const form of encodedForms(token)) assert.ok(!received.includes(form), `the agent received ${form}`);
  assert.equal(run.signedOutputVerified, true);
  assert.equal(run.auditVerified, true);
  assert.deepEqual(leaksIn(run.dataDir, token), []);
});
