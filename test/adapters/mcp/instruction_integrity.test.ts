// Instruction integrity on the MCP gateway (issue 14 item 1): the tool list an agent is offered is an
// instruction set. Once an admin approved one for the agent, a tools/call while the offered list is not
// an approved set is refused (INSTRUCTION_INTEGRITY, audited with the tools hash) and nothing runs; the
// list is kept as pending, and once approved the call runs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { errorOf, type McpHarness, OPS_TOOLS, startMcpHarness, stdioOpsServer } from './harness.js';

let h: McpHarness;
const AGENT = 'agent:mcp-agent';
before(async () => {
  h = await startMcpHarness((dir) => ({
    namespace: 'always',
    servers: { ops: stdioOpsServer(dir, OPS_TOOLS) },
  }));
});
after(() => h.close());

const telemetry = { name: 'ops.get_telemetry', arguments: { target: 'node-sj-01-01' } };

test('an unbound agent calls as before', async () => {
  const client = await h.connect();
  const result = await client.callTool(telemetry);
  assert.notEqual(result.isError, true);
});

test('a tool list that is not the approved set is refused, nothing runs, and it waits as pending until approved', async () => {
  const offered = (await h.mcp.listTools(h.gateway.ctx)) as unknown as Array<{ name: string }>;
  // The admin approved a list without read_logs: the list offered now is not that set.
  const registered = await h.http('POST', '/v1/admin/instructions', h.adminKey, {
    agent: AGENT,
    surface: 'mcp',
    system: [],
    tools: offered.filter((t) => t.name !== 'ops.read_logs'),
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));

  const client = await h.connect();
  const before = h.effects().length;
  const refused = await client.callTool(telemetry);
  assert.equal(refused.isError, true);
  const error = errorOf(refused) as unknown as Record<string, unknown>;
  assert.equal(error.code, 'E_INSTRUCTION_INTEGRITY');
  assert.equal(error.rule, 'INSTRUCTION_INTEGRITY');
  assert.equal(h.effects().length, before, 'nothing ran upstream');
  const entry = (await h.audit()).filter((e) => e.kind === 'instruction.refused').at(-1);
  assert.deepEqual(entry?.payload.offending, ['tools_hash']);
  assert.equal(entry?.payload.surface, 'mcp');
  assert.equal(entry?.payload.tool, 'ops.get_telemetry');

  const pending = await h.http<{ sets: Array<{ set_hash: string; surface: string }> }>(
    'GET',
    '/v1/admin/instructions?status=pending',
    h.adminKey,
  );
  assert.equal(pending.body.sets.length, 1);
  const hash = pending.body.sets[0]?.set_hash as string;
  assert.equal(hash, entry?.payload.set_hash);
  const shown = await h.http<{ diff: Array<{ op: string; text: string }> }>(
    'GET',
    `/v1/admin/instructions/${encodeURIComponent(AGENT)}/${hash}`,
    h.adminKey,
  );
  assert.ok(shown.body.diff.some((l) => l.op === '+' && l.text.includes('ops.read_logs')));
  const approved = await h.http(
    'POST',
    `/v1/admin/instructions/${encodeURIComponent(AGENT)}/${hash}/approve`,
    h.adminKey,
    {},
  );
  assert.equal(approved.status, 200);
  const ran = await client.callTool(telemetry);
  assert.notEqual(ran.isError, true);
});
