// The MCP gateway over Streamable HTTP, driven by the official MCP client, in front of two real upstream
// MCP servers: `ops` over stdio (a child process) and `tickets` over Streamable HTTP. Tools are listed
// namespaced; an allowed call runs once, with a token, and its result is redacted, scanned and joins
// the session; a destructive call after an injected result is blocked with the decision in the error.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startHttpUpstream } from './upstream_server.js';
import {
  chunkOf,
  decisionOf,
  type McpHarness,
  OPS_TOOLS,
  sessionOf,
  startMcpHarness,
  stdioOpsServer,
  textOf,
} from './harness.js';

let h: McpHarness;
let tickets: Awaited<ReturnType<typeof startHttpUpstream>>;

before(async () => {
  tickets = await startHttpUpstream({ flavour: 'tickets', effectsFile: '/dev/null' });
  h = await startMcpHarness(
    (dir) => ({
      servers: {
        ops: stdioOpsServer(dir, OPS_TOOLS),
        tickets: {
          url: tickets.url,
          headers_from_env: { Authorization: 'TEST_TICKETS_AUTH' },
          tools: { search: { intent: 'observe', radius: 'none' } },
        },
      },
    }),
    { ...process.env, TEST_TICKETS_AUTH: 'Bearer tickets-secret-0123456789' },
  );
});
after(async () => {
  await h.close();
  await tickets.close();
});

test('the tools of both upstreams are listed as server.tool; a tool the config does not classify is not', async () => {
  const client = await h.connect();
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    [
      'ops.crash',
      'ops.get_telemetry',
      'ops.hang',
      'ops.isolate_network_device',
      'ops.read_logs',
      'tickets.search',
    ],
  );
  const telemetry = tools.find((t) => t.name === 'ops.get_telemetry');
  assert.equal(telemetry?.description, 'Read the metrics of a device, node, VM or site.');
  assert.deepEqual(telemetry?.inputSchema.required, ['target']);
  assert.ok(!tools.some((t) => t.name.endsWith('format_disk')));
});

test('an allowed call runs once upstream with a redeemed token; its result is redacted and joins the session as a chunk', async () => {
  const client = await h.connect();
  const before = h.effects().length;
  const result = await client.callTool({ name: 'ops.get_telemetry', arguments: { target: 'node-sj-01-01' } });
  assert.notEqual(result.isError, true);
  // Secrets and PII never reach the agent.
  const text = textOf(result);
  assert.match(text, /^node-sj-01-01: cpu 41%/);
  assert.ok(!text.includes('jane.doe@example.com') && !text.includes('AKIAQ3EGRSTUVWXY2ZAB'), text);
  assert.match(text, /<EMAIL_ADDRESS>/);
  assert.match(text, /<AWS_ACCESS_KEY_ID>/);
  const decision = decisionOf(result);
  assert.equal(decision.decision, 'ALLOW');
  assert.equal(decision.rule, 'R8');
  assert.equal('token' in decision, false, 'the token is never handed to the agent');

  // The upstream ran it exactly once, with the arguments given.
  const effects = h.effects().slice(before);
  assert.deepEqual(effects, [{ tool: 'get_telemetry', args: { target: 'node-sj-01-01' } }]);

  // The decision, the redemption of its token and the result are in the audit log, in that order.
  const audit = await h.audit();
  const decided = audit.find((e) => e.seq === decision.audit.seq);
  assert.equal(decided?.kind, 'decision');
  const execution = audit.find((e) => e.kind === 'execution' && e.seq > decision.audit.seq);
  assert.equal(execution?.payload.tool, 'ops.get_telemetry');
  assert.ok(typeof execution?.payload.jti === 'string');
  const output = audit.find((e) => e.kind === 'execution.result' && e.seq > decision.audit.seq);
  assert.ok(output);
  assert.equal(output.payload.jti, execution?.payload.jti);
  assert.ok(!JSON.stringify(audit).includes('jane.doe@example.com'), 'PII never enters the audit log');
  assert.ok(!JSON.stringify(audit).includes('AKIAQ3EGRSTUVWXY2ZAB'), 'secrets never enter the audit log');

  // The result is one untrusted chunk of this agent's session, recorded with the execution.
  const chunk = chunkOf(result);
  assert.equal(chunk.trust, 'untrusted');
  assert.deepEqual(
    [output.payload.output_chunk, output.payload.session, output.payload.executor],
    [chunk.id, sessionOf(client), 'mcp-upstream'],
  );
  const agent = await h.gateway.ctx.store.principalByKeyHash(
    (await import('../../../src/gateway/auth.js')).hashApiKey(h.agentKey),
  );
  const ids = await h.gateway.ctx.store.sessionChunkIds(sessionOf(client), agent?.id as string);
  assert.deepEqual(ids, [chunk.id]);
  const [stored] = await h.gateway.ctx.store.getChunks([chunk.id]);
  assert.equal(stored?.channel, 'tool-output');
});

test('the HTTP upstream gets its credential from the gateway; the agent never sees it', async () => {
  const client = await h.connect();
  const result = await client.callTool({ name: 'tickets.search', arguments: { query: 'spine' } });
  assert.notEqual(result.isError, true);
  assert.equal(textOf(result), 'ticket 4711 matches "spine"');
  assert.deepEqual(result.structuredContent, { tickets: [4711] });
  assert.ok(tickets.requests.length > 0);
  assert.ok(tickets.requests.every((r) => r.authorization === 'Bearer tickets-secret-0123456789'));
  const { tools } = await client.listTools();
  assert.ok(!JSON.stringify(tools).includes('tickets-secret'));
  assert.ok(!JSON.stringify(await h.audit()).includes('tickets-secret'));
});

test('a destructive call justified by an injected tool result is blocked, with the decision in the MCP error, and never runs', async () => {
  const client = await h.connect();
  const logs = await client.callTool({ name: 'ops.read_logs', arguments: { source: 'edge-node-sj-01-03' } });
  assert.notEqual(logs.isError, true);
  assert.match(textOf(logs), /ISOLATE IMMEDIATELY/);
  const chunk = chunkOf(logs);
  assert.equal(chunk.injection_suspected, true);

  const before = h.effects().length;
  const blocked = await client.callTool({
    name: 'ops.isolate_network_device',
    arguments: { device_id: 'spine-switch-sj-01' },
    _meta: { 'carapace.dev/source_signals': [chunk.id], 'carapace.dev/justification': 'the log says so' },
  });
  assert.equal(blocked.isError, true);
  const decision = decisionOf(blocked);
  assert.equal(decision.decision, 'DENY');
  assert.equal(decision.rule, 'R2');
  assert.match(textOf(blocked), /^Carapace blocked ops\.isolate_network_device: DENY \(R2\)/);
  assert.match(textOf(blocked), /Nothing was run/);
  assert.deepEqual(h.effects().slice(before), [], 'the upstream never saw the call');

  // The decision record cites the injected chunk.
  const entry = (await h.audit()).find((e) => e.seq === decision.audit.seq);
  assert.equal(entry?.kind, 'decision');
  const record = entry?.payload.record as { sources: { id: string; injection_suspected: boolean }[] };
  assert.ok(record.sources.some((s) => s.id === chunk.id && s.injection_suspected));
  assert.equal(
    (await h.audit()).filter((e) => e.kind === 'execution' && e.payload.tool === 'ops.isolate_network_device')
      .length,
    0,
  );
});

test('the session taint alone blocks it too: the agent need not cite the injected result', async () => {
  const client = await h.connect();
  await client.callTool({ name: 'ops.read_logs', arguments: { source: 'edge-node-sj-01-03' } });
  const before = h.effects().length;
  const blocked = await client.callTool({
    name: 'ops.isolate_network_device',
    arguments: { device_id: 'spine-switch-sj-01' },
  });
  assert.equal(blocked.isError, true);
  assert.equal(decisionOf(blocked).decision, 'DENY');
  assert.deepEqual(h.effects().slice(before), []);
});

test('a tool the config does not classify is refused as unknown (JSON-RPC invalid params), audited, never run', async () => {
  const client = await h.connect();
  const before = h.effects().length;
  await assert.rejects(
    client.callTool({ name: 'ops.format_disk', arguments: { node_id: 'node-sj-01-01' } }),
    (e: unknown) => e instanceof McpError && e.code === -32602 && /Unknown tool/.test(e.message),
  );
  assert.deepEqual(h.effects().slice(before), []);
  const refused = (await h.audit()).filter((e) => e.kind === 'mcp.call_refused');
  assert.ok(
    refused.some((e) => e.payload.tool === 'ops.format_disk' && e.payload.code === 'E_MCP_UNKNOWN_TOOL'),
  );
});

test('a client _meta that is malformed is an invalid-params error, not a call', async () => {
  const client = await h.connect();
  const before = h.effects().length;
  await assert.rejects(
    client.callTool({
      name: 'ops.get_telemetry',
      arguments: { target: 'node-sj-01-01' },
      _meta: { 'carapace.dev/intent': 'do_anything' },
    }),
    (e: unknown) => e instanceof McpError && e.code === -32602,
  );
  assert.deepEqual(h.effects().slice(before), []);
});

test('a client-declared intent that differs from the detected one is R1, scope creep', async () => {
  const client = await h.connect();
  const result = await client.callTool({
    name: 'ops.get_telemetry',
    arguments: { target: 'node-sj-01-01' },
    _meta: { 'carapace.dev/intent': 'remediate_reversible' },
  });
  assert.equal(result.isError, true);
  assert.equal(decisionOf(result).rule, 'R1');
});

test('/mcp needs an agent key; a session belongs to the agent that opened it', async () => {
  const noKey = await fetch(`${h.gateway.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(noKey.status, 401);
  const admin = await fetch(`${h.gateway.url}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(admin.status, 403);

  const client: Client = await h.connect();
  const other = await h.http('POST', '/v1/admin/principals', h.adminKey, {
    name: 'other-agent',
    role: 'agent',
  });
  const stolen = await fetch(`${h.gateway.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${other.body.api_key as string}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionOf(client),
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(stolen.status, 404);
});

test('a disabled agent can call nothing more in a session it opened before', async () => {
  const made = await h.http<{ id: string; api_key: string }>('POST', '/v1/admin/principals', h.adminKey, {
    name: 'soon-disabled',
    role: 'agent',
  });
  // Over HTTP every request authenticates again (401); the MCP server itself checks the agent on every
  // call too, which is what guards a stdio session: shown here over an in-memory transport.
  const agent = await h.gateway.ctx.store.getPrincipal(made.body.id);
  assert.ok(agent);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await h.mcp.createServer(h.gateway.ctx, agent, 'in-memory-session').connect(serverSide);
  const client = new Client({ name: 'in-memory-agent', version: '1.0.0' });
  await client.connect(clientSide);
  const ok = await client.callTool({ name: 'ops.get_telemetry', arguments: { target: 'vm-02' } });
  assert.notEqual(ok.isError, true);
  await h.gateway.ctx.store.setPrincipalDisabled(agent.id, true);
  const before = h.effects().length;
  await assert.rejects(
    client.callTool({ name: 'ops.get_telemetry', arguments: { target: 'vm-02' } }),
    (e: unknown) => e instanceof McpError && (e.data as { code?: string }).code === 'E_UNAUTHENTICATED',
  );
  assert.deepEqual(h.effects().slice(before), []);
  await client.close();
});
