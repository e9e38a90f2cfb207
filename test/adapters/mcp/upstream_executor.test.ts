// The MCP upstream executor acts only through the gateway's gate: no redeemed token, no upstream call.
// What it cannot run (an unknown tool, a tool whose pin is not accepted, an upstream that is down) it
// refuses before the gate, so no token is spent; binary content never reaches the agent.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolPinError, ToolPinStore } from '../../../src/adapters/mcp/tool_pins.js';
import type { ToolRoute } from '../../../src/adapters/mcp/tool_routes.js';
import type { Upstream } from '../../../src/adapters/mcp/upstream.js';
import { createMcpUpstreamExecutor, withoutBinaries } from '../../../src/adapters/mcp/upstream_executor.js';
import type { ActionCall, TokenGate } from '../../../src/executors/executor.js';
import { TokenError } from '../../../src/tokens/index.js';

const route: ToolRoute = {
  exposed: 'ops.restart',
  server: 'ops',
  upstream: 'restart',
  intent: 'remediate_reversible',
  radius: 'workload',
  output_trust: 'untrusted',
};
const call: ActionCall = { agentId: 'agent:a', tool: 'ops.restart', args: { workload: 'web' } };

/** A stand-in for an upstream connection (test double): counts calls, can be down. */
function fakeUpstream(options: { down?: boolean } = {}) {
  const calls: string[] = [];
  const upstream = {
    name: 'ops',
    connect: async () => {
      if (options.down) throw Object.assign(new Error('down'), { code: 'E_MCP_UPSTREAM_UNAVAILABLE' });
    },
    callTool: async (name: string): Promise<CallToolResult> => {
      calls.push(name);
      return { content: [{ type: 'text', text: 'restarted' }] };
    },
  } as unknown as Upstream;
  return { upstream, calls };
}

function executor(upstream: Upstream, gate: TokenGate, usable = true) {
  return createMcpUpstreamExecutor(
    {
      routes: new Map([[route.exposed, route]]),
      upstreams: new Map([['ops', upstream]]),
      usable: () => usable,
      maxResultChars: 10_000,
      now: () => 0,
    },
    gate,
  );
}

test('a token the gate refuses means no upstream call', async () => {
  const { upstream, calls } = fakeUpstream();
  const refuse: TokenGate = () => Promise.reject(new TokenError('E_TOKEN_REPLAYED', 'already redeemed'));
  await assert.rejects(executor(upstream, refuse).execute('token', call), TokenError);
  assert.deepEqual(calls, []);
});

test('the upstream is called once, after the gate, with the bound arguments', async () => {
  const { upstream, calls } = fakeUpstream();
  const order: string[] = [];
  const gate: TokenGate = async () => {
    order.push('gate');
    return {} as Awaited<ReturnType<TokenGate>>;
  };
  const outcome = await executor(upstream, gate).execute('token', call);
  assert.deepEqual(order, ['gate']);
  assert.deepEqual(calls, ['restart']);
  assert.equal(outcome.simulated, false);
  assert.deepEqual(outcome.details?.result, { content: [{ type: 'text', text: 'restarted' }] });
});

test('an unknown tool, an unaccepted pin or an upstream that is down is refused before the gate', async () => {
  let gated = 0;
  const gate: TokenGate = async () => {
    gated++;
    return {} as Awaited<ReturnType<TokenGate>>;
  };
  const { upstream } = fakeUpstream();
  await assert.rejects(executor(upstream, gate).execute('t', { ...call, tool: 'ops.other' }), {
    code: 'E_MCP_UNKNOWN_TOOL',
  });
  await assert.rejects(executor(upstream, gate, false).execute('t', call), { code: 'E_MCP_TOOL_CHANGED' });
  await assert.rejects(executor(fakeUpstream({ down: true }).upstream, gate).execute('t', call), {
    code: 'E_MCP_UPSTREAM_UNAVAILABLE',
  });
  assert.equal(gated, 0, 'no token was spent');
});

test('images, audio and binary resources are replaced by a note with their type, size and hash', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).toString('base64');
  const result = withoutBinaries({
    content: [
      { type: 'text', text: 'see the screenshot' },
      { type: 'image', data: png, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'file:///x.bin', blob: png, mimeType: 'application/octet-stream' },
      },
    ],
    _meta: { upstream: 'secret-ish' },
  });
  assert.equal(result.content.length, 3);
  assert.ok(result.content.every((c) => c.type === 'text'));
  assert.match(
    JSON.stringify(result.content[1]),
    /image content withheld \(image\/png, 8 bytes, sha256:[0-9a-f]{64}\)/,
  );
  assert.equal(result._meta, undefined, "the upstream's _meta does not pass");
});

test('a pin file that cannot be read is an error at start, never an empty set of pins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-pins-'));
  const file = join(dir, 'tool-pins.json');
  writeFileSync(file, '{"version":1,"pins":[{"server":"ops"}]}');
  assert.throws(
    () => ToolPinStore.open(file),
    (e: unknown) => e instanceof ToolPinError && e.code === 'E_MCP_PINS_CORRUPT',
  );
  writeFileSync(file, 'not json');
  assert.throws(() => ToolPinStore.open(file), ToolPinError);
  assert.deepEqual(ToolPinStore.open(join(dir, 'absent.json')).list(), []);
});
