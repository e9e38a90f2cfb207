// An upstream that crashes, hangs or cannot be reached gives the agent an error, never a success: a
// crash or a timeout after the token was redeemed is recorded as a failed execution (effect unknown);
// an upstream that is down is refused before any token is spent. A crashed stdio server is started
// again on the next call.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import {
  decisionOf,
  errorOf,
  type McpHarness,
  OPS_TOOLS,
  startMcpHarness,
  stdioOpsServer,
  textOf,
} from './harness.js';

let h: McpHarness;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  const port = await closedPort();
  h = await startMcpHarness((dir) => ({
    servers: {
      ops: stdioOpsServer(dir, OPS_TOOLS, { call_timeout_ms: 1000 }),
      down: {
        url: `http://127.0.0.1:${port}/mcp`,
        connect_timeout_ms: 1000,
        tools: { search: { intent: 'observe', radius: 'none' } },
      },
      missing: {
        command: '/nonexistent/mcp-server',
        connect_timeout_ms: 1000,
        tools: { anything: { intent: 'observe', radius: 'none' } },
      },
    },
  }));
});
after(() => h.close());

test('an upstream that crashes while answering gives an error result (ran, effect unknown), and is restarted for the next call', async () => {
  const client = await h.connect();
  const result = await client.callTool({ name: 'ops.crash', arguments: {} });
  assert.equal(result.isError, true);
  assert.equal(decisionOf(result).decision, 'ALLOW');
  const error = errorOf(result);
  assert.equal(error.code, 'E_EXECUTOR_FAILED');
  assert.equal(error.ran, true);
  assert.match(textOf(result), /it failed; its effect is unknown/);
  const failed = (await h.audit()).filter(
    (e) => e.kind === 'execution.failed' && e.payload.tool === 'ops.crash',
  );
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.payload.code, 'E_MCP_UPSTREAM_FAILED');

  const next = await client.callTool({ name: 'ops.get_telemetry', arguments: { target: 'node-sj-01-02' } });
  assert.notEqual(next.isError, true, JSON.stringify(next));
  assert.match(textOf(next), /^node-sj-01-02: cpu/);
});

test('an upstream that never answers times out into an error result', async () => {
  const client = await h.connect();
  const started = Date.now();
  const result = await client.callTool({ name: 'ops.hang', arguments: {} });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(result.isError, true);
  const error = errorOf(result);
  assert.equal(error.code, 'E_EXECUTOR_FAILED');
  assert.match(error.detail, /E_MCP_UPSTREAM_TIMEOUT/);
  assert.ok(
    (await h.audit()).some(
      (e) => e.kind === 'execution.failed' && e.payload.code === 'E_MCP_UPSTREAM_TIMEOUT',
    ),
  );
});

test('an upstream that cannot be reached offers no tools, and a call to one is refused before any decision', async () => {
  const client = await h.connect();
  const { tools } = await client.listTools();
  assert.ok(!tools.some((t) => t.name.startsWith('down.') || t.name.startsWith('missing.')));
  assert.ok(tools.some((t) => t.name === 'ops.get_telemetry'));
  for (const name of ['down.search', 'missing.anything']) {
    const decisions = (await h.audit()).filter((e) => e.kind === 'decision').length;
    const result = await client.callTool({ name, arguments: { query: 'x' } });
    assert.equal(result.isError, true, name);
    const error = errorOf(result);
    assert.equal(error.code, 'E_MCP_UPSTREAM_UNAVAILABLE', name);
    assert.equal(
      (await h.audit()).filter((e) => e.kind === 'decision').length,
      decisions,
      'no decision, no token',
    );
  }
});
