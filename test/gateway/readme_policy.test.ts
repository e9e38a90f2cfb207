// The README's five-sentence policy, as a newcomer runs it: the README shows exactly the sentences of
// examples/policies/ops.policy, and a gateway started with that file enforces each sentence over HTTP.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type Harness, principal, startHarness } from './harness.js';

const POLICY_FILE = fileURLToPath(new URL('../../examples/policies/ops.policy', import.meta.url));
const README = fileURLToPath(new URL('../../README.md', import.meta.url));

const sentences = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));

let h: Harness;
before(async () => {
  h = await startHarness(undefined, undefined, { policyFile: POLICY_FILE });
});
after(() => h.close());

/** An agent at `tier` with a trusted operator note in its session, to cite. */
async function agentWithNote(name: string, tier: string) {
  const key = await principal(h, name, 'agent', 'operator-console', tier);
  const note = await h.call('POST', '/v1/ingest', key, {
    content: `operator: ${name} may work on node-sj-01-02`,
    session: `s-${name}`,
  });
  assert.ok(note.status === 201 || note.status === 200, JSON.stringify(note.body));
  const cite = { source_signals: [(note.body as { id: string }).id], session: `s-${name}` };
  const act = async (intent: string, tool: string, args: Record<string, unknown>) => {
    const r = await h.call('POST', '/v1/actions', key, { envelope: { intent, tool, args, ...cite } });
    return [r.body.decision, r.body.rule] as [string, string];
  };
  return act;
}

test('the README shows exactly the sentences of examples/policies/ops.policy', () => {
  const readme = readFileSync(README, 'utf8');
  const section = readme.split('## A policy in five sentences')[1];
  assert.ok(section, 'README has the section');
  const block = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  assert.deepEqual(sentences(block), sentences(readFileSync(POLICY_FILE, 'utf8')));
  assert.equal(sentences(block).length, 5);
});

test('"Never allow quarantine_node." denies it, whatever the engine would do', async () => {
  const act = await agentWithNote('readme-1', 'T7');
  assert.deepEqual(await act('remediate_destructive', 'quarantine_node', { node_id: 'node-sj-01-02' }), [
    'DENY',
    'ops#1',
  ]);
});

test('"Require human review for migrate_vm." sends a migration the engine allows to a person', async () => {
  const act = await agentWithNote('readme-2', 'T7');
  assert.deepEqual(
    await act('remediate_reversible', 'migrate_vm', { vm_id: 'vm-02', target_node: 'node-sj-01-03' }),
    ['HUMAN_REVIEW', 'ops#2'],
  );
});

test('"Require argument percent of throttle_power to be at most 50." denies 80 and leaves 50 to the engine', async () => {
  const act = await agentWithNote('readme-3', 'T7');
  assert.deepEqual(
    await act('remediate_destructive', 'throttle_power', { node_id: 'node-sj-01-02', percent: 80 }),
    ['DENY', 'ops#3'],
  );
  const [decision, rule] = await act('remediate_destructive', 'throttle_power', {
    node_id: 'node-sj-01-02',
    percent: 50,
  });
  assert.equal(decision, 'HUMAN_REVIEW');
  assert.match(rule, /^R\d$/);
});

test('"Limit restart_workload to 3 calls per hour per agent." allows three and denies the fourth', async () => {
  const act = await agentWithNote('readme-4', 'T3');
  const restart = () =>
    act('remediate_reversible', 'restart_workload', { workload: 'web-01', site: 'sj-01' });
  assert.deepEqual(
    [await restart(), await restart(), await restart(), await restart()],
    [
      ['ALLOW', 'R7'],
      ['ALLOW', 'R7'],
      ['ALLOW', 'R7'],
      ['DENY', 'ops#4'],
    ],
  );
});

test('"Agents below T3 may not call restart_workload." denies a T2 agent and allows a T3 one', async () => {
  const low = await agentWithNote('readme-5', 'T2');
  const high = await agentWithNote('readme-6', 'T3');
  const args = { workload: 'web-01', site: 'sj-01' };
  assert.deepEqual(await low('remediate_reversible', 'restart_workload', args), ['DENY', 'ops#5']);
  assert.deepEqual(await high('remediate_reversible', 'restart_workload', args), ['ALLOW', 'R7']);
});
