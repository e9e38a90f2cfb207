// The OpenAI-compatible proxy, non-streamed, driven by the official `openai` client against a SCRIPTED
// upstream: allowed calls carry a token the gateway honours once, blocked calls are replaced by what the
// agent can read, every message becomes a chunk of the session, the upstream key stays with Carapace,
// and every failure is a clear {error, code, detail}.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { SESSION_HEADER } from '../../../src/adapters/openai/chat_session.js';
import { roleAddressed } from '../../../src/adapters/openai/message_chunks.js';
import { canonicalJson } from '../../../src/engine/index.js';
import { carapaceOf, POISONED_LINE, poisonedConversation, SYSTEM_PROMPT, TOOLS } from './fixtures.js';
import { type ProxyHarness, startProxyHarness, UPSTREAM_KEY } from './proxy_harness.js';
import { completion, SCRIPTED_MODEL } from './scripted_upstream.js';

let h: ProxyHarness;
before(async () => {
  h = await startProxyHarness();
});
after(() => h.close());

const sha = (text: string) => `chunk:sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

function answerWith(
  content: string | null,
  calls: { id: string; name: string; arguments: string | Record<string, unknown> }[] = [],
  extra = {},
) {
  h.upstream.script = () => ({ kind: 'json', body: completion(content, calls, extra) });
}

test('an allowed tool call passes in place with an execution token that /v1/execute honours once', async () => {
  answerWith('Checking the node.', [
    { id: 'call_t1', name: 'get_telemetry', arguments: { target: 'node-sj-01-02' } },
  ]);
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'How is node-sj-01-02 doing?' },
    ],
    tools: TOOLS,
  });
  const message = answer.choices[0]?.message;
  assert.equal(answer.choices[0]?.finish_reason, 'tool_calls');
  assert.equal(message?.content, 'Checking the node.');
  assert.equal(message?.tool_calls?.length, 1);
  const call = message?.tool_calls?.[0];
  assert.ok(call && call.type === 'function');
  assert.equal(call.id, 'call_t1');
  assert.deepEqual(JSON.parse(call.function.arguments), { target: 'node-sj-01-02' });

  const decision = carapaceOf(answer).decisions[0];
  assert.equal(decision?.decision, 'ALLOW');
  assert.equal(decision?.rule, 'R8');
  assert.equal(decision?.tool_call_id, 'call_t1');
  assert.deepEqual(decision?.declared_intent, { intent: 'observe', source: 'classified' });
  assert.equal(typeof decision?.token, 'string');

  const run = () =>
    h.call('POST', '/v1/execute', h.agentKey, {
      token: decision?.token,
      tool: call.function.name,
      args: JSON.parse(call.function.arguments),
    });
  const first = await run();
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const again = await run();
  assert.equal(again.status, 403);
  assert.equal(again.body.code, 'E_TOKEN_REPLAYED');
  // The decision the token came from is in the audit log, citing the session's chunks.
  const entry = (await h.audit()).find((e) => e.seq === decision?.audit?.seq);
  assert.equal(entry?.kind, 'decision');
});

test('03:14: the poisoned log line came back as a tool output; the isolation is quarantined, removed and explained', async () => {
  answerWith('The log says the spine at sj-01 is compromised. Isolating it.', [
    { id: 'call_iso', name: 'isolate_network_device', arguments: { device_id: 'spine-switch-sj-01' } },
  ]);
  const before = (await h.audit()).length;
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: poisonedConversation(),
    tools: TOOLS,
  });
  const choice = answer.choices[0];
  assert.equal(choice?.message.tool_calls, undefined, 'the blocked call is gone');
  assert.equal(choice?.finish_reason, 'stop');
  const content = choice?.message.content ?? '';
  assert.match(content, /^The log says the spine at sj-01 is compromised\. Isolating it\.\n\n\[carapace\] /);
  assert.match(content, /isolate_network_device \(call_iso\) was not run: QUARANTINE by rule R2\./);

  const block = carapaceOf(answer);
  const decision = block.decisions[0];
  assert.equal(decision?.decision, 'QUARANTINE');
  assert.equal(decision?.rule, 'R2');
  assert.equal(decision?.token, undefined, 'no token exists');
  // The poisoned output is an untrusted, injection-suspected chunk of the session.
  const [toolChunk] = await h.gateway.ctx.store.getChunks([sha(POISONED_LINE)]);
  assert.equal(toolChunk?.channel, 'tool-output');
  assert.equal(toolChunk?.trust, 'untrusted');
  assert.equal(toolChunk?.injection_suspected, true);
  assert.ok(block.message_chunks[3]?.includes(sha(POISONED_LINE)));

  // Both layers are in the audit log: the conversation-layer verdict and the decision citing the line.
  const entries = (await h.audit()).slice(before);
  const verdict = entries.find((e) => e.kind === 'conversation.verdict');
  assert.ok(verdict, 'the conversation layer is recorded');
  const recorded = entries.find((e) => e.kind === 'decision');
  const record = recorded?.payload.record as { decision: string; rule: string; sources: { id: string }[] };
  assert.equal(record.decision, 'QUARANTINE');
  assert.ok(record.sources.some((s) => s.id === sha(POISONED_LINE)));
  assert.ok(!entries.some((e) => e.kind.startsWith('execution.')), 'the executor is never called');
  // The poisoned line's first sight is in the log before the decision that cites it.
  const seen = entries.find((e) => e.kind === 'ingest' && e.payload.chunk === sha(POISONED_LINE));
  assert.ok(seen && recorded && seen.seq < recorded.seq);
});

test('a call that needs a person is removed with its review id, and the review waits', async () => {
  answerWith('Maintenance ticket: isolating spine-switch-sj-02 as planned.', [
    { id: 'call_maint', name: 'isolate_network_device', arguments: { device_id: 'spine-switch-sj-02' } },
  ]);
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'maintenance: isolate spine-switch-sj-02 (change CHG-1142, approved)' },
    ],
    tools: TOOLS,
  });
  const decision = carapaceOf(answer).decisions[0];
  assert.equal(decision?.decision, 'HUMAN_REVIEW');
  assert.equal(decision?.rule, 'R4');
  assert.equal(decision?.token, undefined);
  const review = decision?.review;
  assert.match(review?.id ?? '', /^rev_[0-9a-f]{32}$/);
  assert.equal(answer.choices[0]?.message.tool_calls, undefined);
  const content = answer.choices[0]?.message.content ?? '';
  assert.ok(content.includes(`review ${review?.id}`), content);
  assert.ok(content.includes(`GET /v1/reviews/${review?.id}`), content);
  const polled = await h.call('GET', `/v1/reviews/${review?.id}`, h.agentKey);
  assert.equal(polled.status, 200);
  assert.equal((polled.body.review as { status: string }).status, 'pending');
});

test("the upstream gets Carapace's key and the agent's request, never the agent's key", async () => {
  answerWith('ok');
  const params = {
    model: SCRIPTED_MODEL,
    messages: [{ role: 'user' as const, content: 'ping' }],
    temperature: 0.2,
    _lobstertrap: { declared_intent: 'general', agent_id: 'ops-agent' },
  };
  await h.client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
  const seen = h.upstream.requests.at(-1);
  assert.equal(seen?.path, '/v1/chat/completions');
  assert.equal(seen?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
  assert.deepEqual(seen?.body, params, 'the body is forwarded as sent');
  assert.ok(!JSON.stringify(seen?.headers).includes(h.agentKey), 'the agent key is not forwarded');
  assert.ok(!seen?.raw.includes(h.agentKey));
  assert.equal(seen?.headers['accept-encoding'], 'identity');
});

test('every message the agent sends becomes a chunk of its session, with its role channel and trust', async () => {
  answerWith('Noted.');
  const session = 'ops-night-shift-7';
  const image = { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
  const messages = [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'developer' as const, content: 'Answer briefly.' },
    {
      role: 'user' as const,
      content: [{ type: 'text' as const, text: 'What does this dashboard say?' }, image],
    },
    {
      role: 'assistant' as const,
      content: 'Reading telemetry.',
      tool_calls: [
        {
          id: 'call_a',
          type: 'function' as const,
          function: { name: 'get_telemetry', arguments: '{"target":"vm-02"}' },
        },
      ],
    },
    { role: 'tool' as const, tool_call_id: 'call_a', content: 'vm-02 latency p99 840 ms' },
  ];
  const before = (await h.audit()).length;
  const answer = await h.client.chat.completions.create(
    { model: SCRIPTED_MODEL, messages },
    { headers: { [SESSION_HEADER]: session } },
  );
  const block = carapaceOf(answer);
  assert.equal(block.session, session);
  assert.equal(block.session_source, 'header');

  const expected = [
    [`chunk:sha256:${roleAddressed('system', SYSTEM_PROMPT)}`],
    [`chunk:sha256:${roleAddressed('developer', 'Answer briefly.')}`],
    [`chunk:sha256:${roleAddressed('user', 'What does this dashboard say?')}`, sha(canonicalJson(image))],
    [
      `chunk:sha256:${roleAddressed('assistant', 'Reading telemetry.')}`,
      `chunk:sha256:${roleAddressed('assistant', canonicalJson(messages[3]?.tool_calls))}`,
    ],
    [sha('vm-02 latency p99 840 ms')],
  ];
  assert.deepEqual(block.message_chunks, expected);

  const ids = expected.flat();
  assert.deepEqual(await h.gateway.ctx.store.sessionChunkIds(session, h.agentId), ids);
  const chunks = new Map((await h.gateway.ctx.store.getChunks(ids)).map((c) => [c.id, c]));
  const at = (i: number, j = 0) => chunks.get(expected[i]?.[j] as string);
  assert.deepEqual([at(0)?.channel, at(0)?.trust], ['chat-system', 'semi_trusted']);
  assert.deepEqual([at(1)?.channel, at(1)?.trust], ['chat-system', 'semi_trusted']);
  assert.deepEqual(
    [at(2)?.channel, at(2)?.trust, at(2)?.injection_suspected],
    ['chat-user', 'semi_trusted', false],
  );
  // The image cannot be read here: it is untrusted and suspected, whatever channel it came through.
  assert.deepEqual([at(2, 1)?.trust, at(2, 1)?.injection_suspected], ['untrusted', true]);
  assert.deepEqual([at(3)?.channel, at(3)?.trust], ['chat-assistant', 'semi_trusted']);
  assert.deepEqual([at(4)?.channel, at(4)?.trust], ['tool-output', 'untrusted']);

  // Seen for the first time: one ingest entry each (the system prompt was seen in earlier tests). The
  // same request again adds none.
  // A text answer does not wait for these entries to be durable (a later decision would), so they may
  // land just after it.
  let ingests: Awaited<ReturnType<typeof h.audit>> = [];
  for (let tries = 0; tries < 100 && ingests.length < ids.length - 1; tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 20));
    ingests = (await h.audit()).slice(before).filter((e) => e.kind === 'ingest');
  }
  assert.deepEqual(ingests.map((e) => e.payload.chunk).sort(), ids.slice(1).sort());
  assert.ok(ingests.every((e) => e.payload.via === 'openai-proxy' && e.payload.session === session));
  const count = (await h.audit()).length;
  await h.client.chat.completions.create(
    { model: SCRIPTED_MODEL, messages },
    { headers: { [SESSION_HEADER]: session } },
  );
  assert.equal((await h.audit()).filter((e) => e.seq >= count && e.kind === 'ingest').length, 0);
});

test('without a session header, the turns of one conversation share a session derived from its opening', async () => {
  answerWith('ok');
  const opening = [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'user' as const, content: 'Keep an eye on vm-07.' },
  ];
  const first = await h.client.chat.completions.create({ model: SCRIPTED_MODEL, messages: opening });
  const second = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [...opening, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'And vm-08?' }],
  });
  const other = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'Keep an eye on vm-09.' },
    ],
  });
  assert.equal(carapaceOf(first).session_source, 'derived');
  assert.equal(carapaceOf(first).session, carapaceOf(second).session);
  assert.notEqual(carapaceOf(first).session, carapaceOf(other).session);
  assert.match(carapaceOf(first).session, /^chat:[0-9a-f]{32}$/);
});

test('a tool output from a tool configured with a semi-trusted channel lets a reversible fix through (R7); by default it does not (R9)', async () => {
  const restart = {
    id: 'call_restart',
    name: 'restart_workload',
    arguments: { workload: 'api-7', site: 'sj-01' },
  };
  const conversation = [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'user' as const, content: 'Check api-7.' },
    {
      role: 'assistant' as const,
      content: null,
      tool_calls: [
        {
          id: 'call_tel',
          type: 'function' as const,
          function: { name: 'get_telemetry', arguments: '{"target":"vm-02"}' },
        },
      ],
    },
    {
      role: 'tool' as const,
      tool_call_id: 'call_tel',
      content: 'workload api-7 at sj-01 unhealthy: 5 failed probes',
    },
  ];
  answerWith('Restarting api-7.', [restart]);
  const untrusted = carapaceOf(
    await h.client.chat.completions.create({ model: SCRIPTED_MODEL, messages: conversation }),
  );
  assert.deepEqual([untrusted.decisions[0]?.decision, untrusted.decisions[0]?.rule], ['DENY', 'R9']);

  const configured = await startProxyHarness({
    toolChannels: { get_telemetry: 'telemetry' },
    channels: [['telemetry', 'semi_trusted']],
  });
  try {
    configured.upstream.script = () => ({ kind: 'json', body: completion('Restarting api-7.', [restart]) });
    const answer = await configured.client.chat.completions.create({
      model: SCRIPTED_MODEL,
      messages: conversation,
    });
    const decision = carapaceOf(answer).decisions[0];
    assert.deepEqual([decision?.decision, decision?.rule], ['ALLOW', 'R7']);
    assert.equal(answer.choices[0]?.message.tool_calls?.[0]?.id, 'call_restart');
    const [chunk] = await configured.gateway.ctx.store.getChunks([
      sha('workload api-7 at sj-01 unhealthy: 5 failed probes'),
    ]);
    assert.deepEqual([chunk?.channel, chunk?.trust], ['telemetry', 'semi_trusted']);
  } finally {
    await configured.close();
  }
});

test('a model that declares its intent in `_intent` is held to it (R1), and the token binds the arguments without it', async () => {
  answerWith(null, [
    {
      id: 'call_lie',
      name: 'isolate_network_device',
      arguments: { device_id: 'leaf-switch-sj-01-a', _intent: 'observe' },
    },
    { id: 'call_ok', name: 'get_telemetry', arguments: { target: 'vm-03', _intent: 'observe' } },
  ]);
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [{ role: 'user', content: 'Look at vm-03.' }],
  });
  const [lie, ok] = carapaceOf(answer).decisions;
  assert.deepEqual([lie?.decision, lie?.rule, lie?.declared_intent?.source], ['DENY', 'R1', 'declared']);
  assert.deepEqual([ok?.decision, ok?.rule], ['ALLOW', 'R8']);
  const calls = answer.choices[0]?.message.tool_calls ?? [];
  assert.deepEqual(
    calls.map((c) => c.id),
    ['call_ok'],
  );
  const call = calls[0];
  assert.ok(call?.type === 'function');
  assert.deepEqual(JSON.parse(call.function.arguments), { target: 'vm-03' });
  const run = await h.call('POST', '/v1/execute', h.agentKey, {
    token: ok?.token,
    tool: 'get_telemetry',
    args: { target: 'vm-03' },
  });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.match(
    answer.choices[0]?.message.content ?? '',
    /^\[carapace\] The call isolate_network_device \(call_lie\) was not run: DENY by rule R1\./,
  );
});

test('calls that cannot be proposed are removed and their refusal audited: bad JSON, a reused id, a non-function kind', async () => {
  h.upstream.script = () => ({
    kind: 'json',
    body: {
      ...completion(null, [
        { id: 'call_bad', name: 'get_telemetry', arguments: '{"target": ' },
        { id: 'call_dup', name: 'get_telemetry', arguments: { target: 'vm-01' } },
        { id: 'call_dup', name: 'isolate_network_device', arguments: { device_id: 'spine-switch-sj-01' } },
      ]),
    },
  });
  const before = (await h.audit()).length;
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [{ role: 'user', content: 'go' }],
  });
  const decisions = carapaceOf(answer).decisions;
  assert.deepEqual(
    decisions.map((d) => [d.tool_call_id, d.decision, d.rule]),
    [
      ['call_bad', 'DENY', 'E_TOOL_CALL_INVALID'],
      ['call_dup', 'ALLOW', 'R8'],
      ['call_dup', 'DENY', 'E_TOOL_CALL_INVALID'],
    ],
  );
  assert.deepEqual(
    answer.choices[0]?.message.tool_calls?.map((c) => c.type === 'function' && c.function.name),
    ['get_telemetry'],
  );
  const refused = (await h.audit()).slice(before).filter((e) => e.kind === 'chat.tool_call_refused');
  assert.equal(refused.length, 2);

  h.upstream.script = () => {
    const body = completion(null, []);
    const message = body.choices[0]?.message as Record<string, unknown>;
    message.tool_calls = [
      { id: 'call_custom', type: 'custom', custom: { name: 'shell', input: 'rm -rf /' } },
    ];
    message.function_call = {
      name: 'isolate_network_device',
      arguments: '{"device_id":"spine-switch-sj-01"}',
    };
    body.choices[0]!.finish_reason = 'tool_calls';
    return { kind: 'json', body };
  };
  const odd = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [{ role: 'user', content: 'go' }],
  });
  assert.deepEqual(
    carapaceOf(odd).decisions.map((d) => d.rule),
    ['E_TOOL_CALL_UNSUPPORTED', 'E_TOOL_CALL_UNSUPPORTED'],
  );
  const message = odd.choices[0]?.message as unknown as Record<string, unknown>;
  assert.equal(message.tool_calls, undefined);
  assert.equal(message.function_call, undefined);
  assert.equal(odd.choices[0]?.finish_reason, 'stop');
});

test('Lobster Trap upstream: a turn it blocked (HTTP 200, verdict DENY) reaches the agent as its message, is recorded, and any call in it is removed', async () => {
  const lobstertrap = {
    request_id: 'req-1',
    verdict: 'DENY',
    ingress: {
      detected: { intent_category: 'system', risk_score: 0.9, contains_injection_patterns: true },
      mismatches: [],
      action: 'DENY',
      rule_name: 'block_prompt_injection',
    },
  };
  h.upstream.script = () => ({
    kind: 'json',
    body: {
      id: 'lobstertrap-deny',
      object: 'chat.completion',
      created: 1_790_000_000,
      model: SCRIPTED_MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '[LOBSTER TRAP] Request blocked by policy.' },
          finish_reason: 'stop',
        },
      ],
      _lobstertrap: lobstertrap,
    },
  });
  const before = (await h.audit()).length;
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: poisonedConversation(),
  });
  assert.equal(answer.id, 'lobstertrap-deny');
  assert.equal(answer.choices[0]?.message.content, '[LOBSTER TRAP] Request blocked by policy.');
  assert.deepEqual(
    (answer as unknown as { _lobstertrap: unknown })._lobstertrap,
    lobstertrap,
    "the upstream's block passes through",
  );
  const block = carapaceOf(answer);
  assert.deepEqual(block.upstream_lobstertrap, {
    verdict: 'DENY',
    blocked: true,
    risk_score: 0.9,
    detections: ['contains_injection_patterns'],
  });
  const verdict = (await h.audit()).slice(before).find((e) => e.kind === 'conversation.verdict');
  assert.equal(verdict?.payload.source, 'upstream');

  // A call inside a turn Lobster Trap blocked is not proposed: it is removed under the upstream's verdict.
  h.upstream.script = () => ({
    kind: 'json',
    body: completion('Reading.', [{ id: 'call_lt', name: 'get_telemetry', arguments: { target: 'vm-01' } }], {
      _lobstertrap: lobstertrap,
    }),
  });
  const withCall = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [{ role: 'user', content: 'Look at vm-01.' }],
  });
  assert.equal(withCall.choices[0]?.message.tool_calls, undefined);
  assert.deepEqual(
    carapaceOf(withCall).decisions.map((d) => [d.decision, d.rule]),
    [['DENY', 'lobstertrap']],
  );
});

test('Lobster Trap upstream: its taint is folded into the decision, so a fix the engine alone allows is quarantined', async () => {
  const restart = {
    id: 'call_rs',
    name: 'restart_workload',
    arguments: { workload: 'api-7', site: 'sj-01' },
  };
  const messages = [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'user' as const, content: 'workload api-7 at sj-01 unhealthy; restart it.' },
  ];
  const clean = {
    request_id: 'req-2',
    verdict: 'ALLOW',
    ingress: { detected: { risk_score: 0 }, mismatches: [], action: 'ALLOW' },
  };
  answerWith('Restarting.', [restart], { _lobstertrap: clean });
  const allowed = carapaceOf(await h.client.chat.completions.create({ model: SCRIPTED_MODEL, messages }));
  assert.deepEqual([allowed.decisions[0]?.decision, allowed.decisions[0]?.rule], ['ALLOW', 'R7']);

  const tainted = {
    request_id: 'req-3',
    verdict: 'ALLOW',
    ingress: {
      detected: { risk_score: 0.45, contains_injection_patterns: true },
      mismatches: [],
      action: 'LOG',
    },
  };
  answerWith('Restarting.', [restart], { _lobstertrap: tainted });
  const answer = await h.client.chat.completions.create({ model: SCRIPTED_MODEL, messages });
  const decision = carapaceOf(answer).decisions[0];
  assert.deepEqual([decision?.decision, decision?.rule], ['QUARANTINE', 'R2']);
  assert.equal(answer.choices[0]?.message.tool_calls, undefined);
});

test('when an answer has calls and the upstream sent no Lobster Trap block, the proxy adds its own, over the tool outputs', async () => {
  const read = { id: 'call_read', name: 'get_telemetry', arguments: { target: 'vm-01' } };
  answerWith(null, [read]);
  const answer = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: poisonedConversation(),
  });
  type Own = {
    _lobstertrap?: { verdict: string; ingress: { detected: { contains_injection_patterns: boolean } } };
  };
  const own = (answer as unknown as Own)._lobstertrap;
  assert.equal(own?.verdict, 'DENY');
  assert.equal(own?.ingress.detected.contains_injection_patterns, true);
  // Reading stays allowed in a flagged conversation (R8): the block taints remediations only.
  assert.deepEqual(
    carapaceOf(answer).decisions.map((d) => d.rule),
    ['R8'],
  );
  // Instructions are not read as injection: a question from the user is no attack.
  const question = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'How is node-sj-01-02?' },
    ],
  });
  assert.equal((question as unknown as Own)._lobstertrap?.verdict, 'ALLOW');
  // With nothing to decide, no block is made.
  answerWith('All quiet.');
  const quiet = await h.client.chat.completions.create({
    model: SCRIPTED_MODEL,
    messages: poisonedConversation(),
  });
  assert.equal((quiet as unknown as Own)._lobstertrap, undefined);
});

test('upstream failures are clear errors: unreachable, silent, refusing the key, rejecting the request', async () => {
  const isError = (body: Record<string, unknown>, code: string) => {
    assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'error']);
    assert.equal(body.code, code);
    assert.ok(!JSON.stringify(body).includes(UPSTREAM_KEY), 'the upstream key is never returned');
  };
  const request = { model: SCRIPTED_MODEL, messages: [{ role: 'user', content: 'hi' }] };

  const down = await startProxyHarness({ upstreamUrl: 'http://127.0.0.1:9/v1' });
  try {
    const reply = await down.call('POST', '/v1/chat/completions', down.agentKey, request);
    assert.equal(reply.status, 502);
    isError(reply.body, 'E_UPSTREAM_UNREACHABLE');
    await assert.rejects(
      down.client.chat.completions.create({
        model: SCRIPTED_MODEL,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 502,
    );
  } finally {
    await down.close();
  }

  const slow = await startProxyHarness({ upstreamTimeoutMs: 200 });
  try {
    slow.upstream.script = () => ({ kind: 'hang' });
    const reply = await slow.call('POST', '/v1/chat/completions', slow.agentKey, request);
    assert.equal(reply.status, 502);
    isError(reply.body, 'E_UPSTREAM_TIMEOUT');
  } finally {
    await slow.close();
  }

  h.upstream.script = () => ({
    kind: 'json',
    status: 401,
    body: {
      error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}.`, type: 'invalid_request_error' },
    },
  });
  const auth = await h.call('POST', '/v1/chat/completions', h.agentKey, request);
  assert.equal(auth.status, 502);
  isError(auth.body, 'E_UPSTREAM_AUTH');

  h.upstream.script = () => ({
    kind: 'json',
    status: 400,
    body: { error: { message: "Unknown model 'nope'." } },
  });
  const rejected = await h.call('POST', '/v1/chat/completions', h.agentKey, request);
  assert.equal(rejected.status, 400);
  isError(rejected.body, 'E_UPSTREAM_REJECTED');
  assert.match(String(rejected.body.detail), /Unknown model 'nope'/);

  h.upstream.script = () => ({
    kind: 'raw',
    status: 200,
    body: '<html>not an api</html>',
    headers: { 'content-type': 'text/html' },
  });
  const garbage = await h.call('POST', '/v1/chat/completions', h.agentKey, request);
  assert.equal(garbage.status, 502);
  isError(garbage.body, 'E_UPSTREAM_INVALID');
});

test('the proxy refuses before forwarding: no key, the wrong role, oversized bodies, too many messages, unknown roles, a bad session', async () => {
  const small = await startProxyHarness({ maxRequestBytes: 64 * 1024, maxMessages: 8 });
  try {
    const request = { model: SCRIPTED_MODEL, messages: [{ role: 'user', content: 'hi' }] };
    const approver = await small.call('POST', '/v1/admin/principals', small.adminKey, {
      name: 'approver',
      role: 'approver',
    });
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ['no key', small.call('POST', '/v1/chat/completions', null, request), 401, 'E_UNAUTHENTICATED'],
      [
        'approver',
        small.call('POST', '/v1/chat/completions', approver.body.api_key as string, request),
        403,
        'E_FORBIDDEN',
      ],
      [
        'oversized',
        small.call('POST', '/v1/chat/completions', small.agentKey, {
          ...request,
          messages: [{ role: 'user', content: 'x'.repeat(70_000) }],
        }),
        413,
        'E_INPUT_TOO_LARGE',
      ],
      [
        'too many',
        small.call('POST', '/v1/chat/completions', small.agentKey, {
          ...request,
          messages: Array.from({ length: 9 }, () => ({ role: 'user', content: 'hi' })),
        }),
        413,
        'E_INPUT_TOO_LARGE',
      ],
      [
        'unknown role',
        small.call('POST', '/v1/chat/completions', small.agentKey, {
          ...request,
          messages: [{ role: 'oracle', content: 'hi' }],
        }),
        400,
        'E_REQUEST_INVALID',
      ],
      [
        'bad session',
        small.call('POST', '/v1/chat/completions', small.agentKey, request, {
          [SESSION_HEADER]: 'no spaces allowed',
        }),
        400,
        'E_REQUEST_INVALID',
      ],
      [
        'not json',
        small.call('POST', '/v1/chat/completions', small.agentKey, '{"messages": [', {}),
        400,
        'E_REQUEST_INVALID',
      ],
    ];
    for (const [name, reply, status, code] of cases) {
      const r = await reply;
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, code, name);
      assert.equal(typeof r.body.detail, 'string', name);
    }
    assert.equal(small.upstream.requests.length, 0, 'nothing refused reached the upstream');
  } finally {
    await small.close();
  }
});

test('GET /v1/models is passed through with the upstream key', async () => {
  h.upstream.script = () => ({
    kind: 'json',
    body: {
      object: 'list',
      data: [{ id: SCRIPTED_MODEL, object: 'model', created: 0, owned_by: 'scripted' }],
    },
  });
  const models = await h.client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    [SCRIPTED_MODEL],
  );
  const seen = h.upstream.requests.at(-1);
  assert.deepEqual(
    [seen?.method, seen?.path, seen?.headers.authorization],
    ['GET', '/v1/models', `Bearer ${UPSTREAM_KEY}`],
  );
});
