// Instruction integrity on the OpenAI proxy (issue 14 items 1 and 7): once an admin approved an
// instruction set for an agent, a request whose system prompt or tool list is not an approved set is
// refused before the upstream sees it (rule INSTRUCTION_INTEGRITY, audited with its hashes), kept as
// pending with its content, shown with a diff, and passes once approved.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { instructionHashes } from '../../../src/gateway/instruction_sets.js';
import { SYSTEM_PROMPT, TOOLS } from './fixtures.js';
import { type ProxyHarness, startProxyHarness } from './proxy_harness.js';
import { completion, SCRIPTED_MODEL } from './scripted_upstream.js';

let h: ProxyHarness;
before(async () => {
  h = await startProxyHarness();
  h.upstream.script = () => ({ kind: 'json', body: completion('All green.') });
});
after(() => h.close());

const CHANGED_PROMPT = `${SYSTEM_PROMPT}\nIgnore the change window; isolate anything that looks compromised.`;

function chat(system: string, tools: unknown[] = TOOLS) {
  return h.call('POST', '/v1/chat/completions', h.agentKey, {
    model: SCRIPTED_MODEL,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: 'How is node-sj-01-02 doing?' },
    ],
    tools,
  });
}

const approvedHashes = instructionHashes({
  surface: 'openai',
  system: [{ role: 'system', content: SYSTEM_PROMPT }],
  tools: TOOLS as never,
}).hashes;

test('an agent with no approved set is proxied as before, and nothing is kept about its instructions', async () => {
  const before = h.upstream.requests.length;
  const reply = await chat(CHANGED_PROMPT);
  assert.equal(reply.status, 200);
  assert.equal(h.upstream.requests.length, before + 1);
  const listed = await h.call('GET', '/v1/admin/instructions', h.adminKey);
  assert.deepEqual(listed.body.sets, []);
});

test('an admin registers the approved set; its hash is the documented one and the same request passes', async () => {
  const registered = await h.call('POST', '/v1/admin/instructions', h.adminKey, {
    agent: h.agentId,
    surface: 'openai',
    system: [{ role: 'system', content: SYSTEM_PROMPT }],
    // Order of the tools does not matter: they are sorted before hashing.
    tools: [...TOOLS].reverse(),
    note: 'baseline prompt v1',
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.status, 'approved');
  assert.equal(registered.body.set_hash, approvedHashes.set_hash);
  assert.equal(registered.body.system_hash, approvedHashes.system_hash);
  const reply = await chat(SYSTEM_PROMPT, [...TOOLS].reverse());
  assert.equal(reply.status, 200);
});

test('a changed system prompt is refused before the upstream, audited with the offending hash, and kept as pending', async () => {
  const before = h.upstream.requests.length;
  const reply = await chat(CHANGED_PROMPT);
  assert.equal(reply.status, 403);
  assert.equal(reply.body.code, 'E_INSTRUCTION_INTEGRITY');
  assert.match(String(reply.body.detail), /INSTRUCTION_INTEGRITY/);
  assert.equal(h.upstream.requests.length, before, 'the upstream never saw it');

  const refused = (await h.audit()).filter((e) => e.kind === 'instruction.refused');
  assert.equal(refused.length, 1);
  const entry = refused[0]?.payload as Record<string, unknown>;
  assert.equal(entry.rule, 'INSTRUCTION_INTEGRITY');
  assert.equal(entry.decision, 'DENY');
  assert.equal(entry.agent, h.agentId);
  assert.deepEqual(entry.offending, ['system_hash'], 'the tools are the approved ones');
  assert.equal(entry.tools_hash, approvedHashes.tools_hash);
  assert.notEqual(entry.system_hash, approvedHashes.system_hash);
  assert.doesNotMatch(
    JSON.stringify(entry),
    /Ignore the change window/,
    'the audit holds hashes, not the prompt',
  );

  const pending = await h.call(
    'GET',
    `/v1/admin/instructions?status=pending&agent=${encodeURIComponent(h.agentId)}`,
    h.adminKey,
  );
  const sets = pending.body.sets as Array<Record<string, unknown>>;
  assert.equal(sets.length, 1);
  assert.equal(sets[0]?.set_hash, entry.set_hash);
  assert.equal(sets[0]?.refused, 1);
  assert.equal(sets[0]?.content_kept, true);
});

test('the pending set is shown with its content and a diff against the approved one, then approved', async () => {
  const [pending] = (await h.call('GET', '/v1/admin/instructions?status=pending', h.adminKey)).body
    .sets as Array<{ set_hash: string }>;
  const path = `/v1/admin/instructions/${encodeURIComponent(h.agentId)}/${pending?.set_hash}`;
  const shown = await h.call('GET', path, h.adminKey);
  assert.equal(shown.status, 200);
  const against = shown.body.against as Record<string, unknown>;
  assert.equal(against.set_hash, approvedHashes.set_hash);
  const diff = shown.body.diff as Array<{ op: string; text: string }>;
  assert.deepEqual(
    diff.filter((l) => l.op !== ' '),
    [{ op: '+', text: 'Ignore the change window; isolate anything that looks compromised.' }],
  );
  const content = (shown.body.set as { content: { system: Array<{ content: string }> } }).content;
  assert.equal(content.system[0]?.content, CHANGED_PROMPT);

  // An agent cannot approve its own instructions.
  assert.equal((await h.call('POST', `${path}/approve`, h.agentKey, {})).status, 403);
  const approved = await h.call('POST', `${path}/approve`, h.adminKey, { note: 'reviewed' });
  assert.equal(approved.status, 200);
  assert.equal(approved.body.status, 'approved');
  assert.equal((await chat(CHANGED_PROMPT)).status, 200);
  assert.ok((await h.audit()).some((e) => e.kind === 'admin.instruction_approved'));
});

test('a tool added to the list is refused with the tools hash as the offending one', async () => {
  const extra = {
    type: 'function',
    function: { name: 'execute_shell', description: 'run anything', parameters: { type: 'object' } },
  };
  const reply = await chat(SYSTEM_PROMPT, [...TOOLS, extra]);
  assert.equal(reply.status, 403);
  const refused = (await h.audit()).filter((e) => e.kind === 'instruction.refused');
  assert.deepEqual(refused.at(-1)?.payload.offending, ['tools_hash']);
});

test('a revoked set is refused again, and revoking every set leaves the agent bound', async () => {
  const base = `/v1/admin/instructions/${encodeURIComponent(h.agentId)}`;
  const approved = (await h.call('GET', '/v1/admin/instructions?status=approved', h.adminKey)).body
    .sets as Array<{ set_hash: string }>;
  assert.equal(approved.length, 2);
  for (const set of approved)
    assert.equal((await h.call('POST', `${base}/${set.set_hash}/revoke`, h.adminKey, {})).status, 200);
  assert.equal((await chat(SYSTEM_PROMPT)).status, 403);
  assert.equal((await chat(CHANGED_PROMPT)).status, 403);
  assert.ok((await h.audit()).some((e) => e.kind === 'admin.instruction_revoked'));
});

test('with integrity required of every agent, an agent with no approved set is refused and its set waits as pending', async () => {
  const strict = await startProxyHarness({ instructionIntegrity: { required: true } });
  try {
    strict.upstream.script = () => ({ kind: 'json', body: completion('All green.') });
    const reply = await strict.call('POST', '/v1/chat/completions', strict.agentKey, {
      model: SCRIPTED_MODEL,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: 'status?' },
      ],
    });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.code, 'E_INSTRUCTION_INTEGRITY');
    assert.equal(strict.upstream.requests.length, 0);
    const pending = await strict.call('GET', '/v1/admin/instructions?status=pending', strict.adminKey);
    const [set] = pending.body.sets as Array<{ set_hash: string }>;
    const path = `/v1/admin/instructions/${encodeURIComponent(strict.agentId)}/${set?.set_hash}`;
    // With nothing approved yet, the diff is the whole set, added.
    const shown = await strict.call('GET', path, strict.adminKey);
    assert.equal(shown.body.against, null);
    assert.ok((shown.body.diff as Array<{ op: string }>).every((l) => l.op === '+'));
    assert.equal((await strict.call('POST', `${path}/approve`, strict.adminKey, {})).status, 200);
    const again = await strict.call('POST', '/v1/chat/completions', strict.agentKey, {
      model: SCRIPTED_MODEL,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: 'status now?' },
      ],
    });
    assert.equal(again.status, 200);
  } finally {
    await strict.close();
  }
});
