// HUMAN_REVIEW over MCP: a call the engine sends to a person waits (up to review.wait_ms, with progress
// notifications) and runs once an approver approves it; when the wait ends first, the agent gets a
// pending result with the review id and runs the approved call by calling again. An approved review
// runs at most once; a rejected one never runs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  decisionOf,
  errorOf,
  type McpHarness,
  OPS_TOOLS,
  sessionOf,
  startMcpHarness,
  stdioOpsServer,
  textOf,
} from './harness.js';

const WAIT_MS = 2500;
let h: McpHarness;

before(async () => {
  h = await startMcpHarness((dir) => ({
    namespace: 'always',
    review: { wait_ms: WAIT_MS, poll_ms: 50 },
    servers: { ops: stdioOpsServer(dir, OPS_TOOLS) },
  }));
});
after(() => h.close());

/** A new MCP session whose only content is the operator's instruction, through a trusted channel. */
async function trustedSession(): Promise<{ client: Client; chunk: string }> {
  const client = await h.connect();
  const ingest = await h.http('POST', '/v1/ingest', h.agentKey, {
    content: 'Operator: take spine-switch-sj-01 out of service for the 03:30 maintenance window.',
    session: sessionOf(client),
  });
  assert.ok(ingest.status === 201 || ingest.status === 200, JSON.stringify(ingest.body));
  assert.equal(ingest.body.trust, 'trusted');
  return { client, chunk: ingest.body.id as string };
}

async function pendingReview(tool: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const list = await h.http<{ id: string; envelope: { tool: string } }[]>(
      'GET',
      '/v1/reviews?status=pending',
      h.approverKey,
    );
    const found = list.body.find((r) => r.envelope.tool === tool);
    if (found) return found.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no pending review appeared');
}

const isolate = (chunk: string, extraMeta: Record<string, unknown> = {}) => ({
  name: 'ops.isolate_network_device',
  arguments: { device_id: 'spine-switch-sj-01' },
  _meta: { 'carapace.dev/source_signals': [chunk], ...extraMeta },
});

const isolations = () => h.effects().filter((e) => e.tool === 'isolate_network_device').length;

test('a site-wide action waits for a human, reports progress, and runs once when approved', async () => {
  const { client, chunk } = await trustedSession();
  const before = isolations();
  const progress: string[] = [];
  const call = client.callTool(isolate(chunk), CallToolResultSchema, {
    onprogress: (p) => progress.push(p.message ?? ''),
  });
  const id = await pendingReview('ops.isolate_network_device');
  // The gateway is waiting: it says so with progress notifications that name the review.
  for (let i = 0; i < 100 && !progress.some((m) => m.includes(id)); i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    progress.some((m) => m.includes(id)),
    'progress notifications name the review',
  );
  assert.equal(isolations(), before, 'nothing runs before the approval');
  const approved = await h.http('POST', `/v1/reviews/${id}/approve`, h.approverKey, {
    note: 'maintenance window',
  });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));

  const result = await call;
  assert.notEqual(result.isError, true, JSON.stringify(result));
  assert.equal(textOf(result), 'deny-all installed on spine-switch-sj-01');
  const decision = decisionOf(result);
  assert.equal(decision.decision, 'HUMAN_REVIEW');
  assert.equal(decision.rule, 'R4');
  assert.equal(decision.review?.id, id);
  assert.equal(decision.review?.status, 'approved');
  assert.match(decision.review?.decided_by ?? '', /^approver:/);
  assert.equal(isolations(), before + 1);

  const audit = await h.audit();
  const execution = audit.find((e) => e.kind === 'execution' && e.payload.jti === id);
  assert.ok(execution, 'the token redeemed is the review-bound one');
  assert.ok(audit.some((e) => e.kind === 'review.requested' && e.payload.review === id));
});

test('when the wait ends first, the agent gets a pending result with the review id; calling again after approval runs it once', async () => {
  const { client, chunk } = await trustedSession();
  const before = isolations();
  const started = Date.now();
  const pending = await client.callTool(isolate(chunk));
  assert.ok(Date.now() - started >= WAIT_MS - 100, 'it waited');
  assert.equal(pending.isError, true);
  const decision = decisionOf(pending);
  assert.equal(decision.decision, 'HUMAN_REVIEW');
  assert.equal(decision.review?.status, 'pending');
  const id = decision.review?.id ?? '';
  assert.match(id, /^rev_[0-9a-f]{32}$/);
  assert.match(textOf(pending), new RegExp(`Review ${id} is pending`));
  assert.match(textOf(pending), /Nothing was run yet/);
  assert.equal(isolations(), before);

  const approved = await h.http('POST', `/v1/reviews/${id}/approve`, h.approverKey, {});
  assert.equal(approved.status, 200);
  const ran = await client.callTool(isolate(chunk));
  assert.notEqual(ran.isError, true, JSON.stringify(ran));
  assert.equal(decisionOf(ran).review?.id, id);
  assert.equal(isolations(), before + 1);

  // Naming the approved review again (here from another session) cannot run it a second time.
  const other = await h.connect();
  const replay = await other.callTool(isolate(chunk, { 'carapace.dev/review': id }));
  assert.equal(replay.isError, true);
  assert.equal(errorOf(replay).code, 'E_TOKEN_REPLAYED');
  assert.equal(isolations(), before + 1);
});

test('a rejected review never runs, and the agent is told who rejected it and why', async () => {
  const { client, chunk } = await trustedSession();
  const before = isolations();
  const call = client.callTool(isolate(chunk));
  const id = await pendingReview('ops.isolate_network_device');
  const rejected = await h.http('POST', `/v1/reviews/${id}/reject`, h.approverKey, { note: 'not tonight' });
  assert.equal(rejected.status, 200);
  const result = await call;
  assert.equal(result.isError, true);
  assert.equal(decisionOf(result).review?.status, 'rejected');
  assert.match(textOf(result), /was rejected by approver:.*: not tonight/);
  assert.equal(isolations(), before);
});

test("a review id of another call, or another agent's, is refused when named", async () => {
  const { client, chunk } = await trustedSession();
  const first = client.callTool(isolate(chunk));
  const id = await pendingReview('ops.isolate_network_device');
  await h.http('POST', `/v1/reviews/${id}/reject`, h.approverKey, { note: 'cleanup' });
  await first;
  await assert.rejects(
    client.callTool({
      name: 'ops.isolate_network_device',
      arguments: { device_id: 'leaf-switch-sj-01-a' },
      _meta: { 'carapace.dev/review': id },
    }),
    /not a review of this call/,
  );
  const made = await h.http('POST', '/v1/admin/principals', h.adminKey, {
    name: 'another-agent',
    role: 'agent',
  });
  const stranger = await h.connect(made.body.api_key as string);
  await assert.rejects(
    stranger.callTool(isolate(chunk, { 'carapace.dev/review': id })),
    /not a review of this call/,
  );
});
