// Tools the agent runs itself, through real HTTP: POST /v1/redeem spends the token through the gate for
// a tool no gateway executor claims and remembers who redeemed it; POST /v1/results takes that agent's
// one result, in time, and records it as every output is recorded (redacted, a chunk of the decision's
// session, audited). Outputs of /v1/execute join the decision's session the same way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Harness, principal, recordingExecutor, startHarness } from './harness.js';
import { auditEntries, auditText, GITHUB_TOKEN } from '../sdk/helpers.js';

let h: Harness;
const keys: Record<string, string> = {};
let operator: string;
const hallRuns: string[] = [];

before(async () => {
  // A test executor claims restart_workload; every other tool is the echo fallback's.
  h = await startHarness(undefined, recordingExecutor('test-hall', ['restart_workload'], hallRuns));
  keys.agent = await principal(h, 'runner', 'agent', 'operator-console');
  keys.other = await principal(h, 'bystander', 'agent', 'operator-console');
  keys.approver = await principal(h, 'approver', 'approver');
  const note = await h.call('POST', '/v1/ingest', keys.agent as string, {
    content: 'operator: read the edge logs and migrate vm-02 within sj-01',
  });
  operator = note.body.id as string;
});
after(() => h.close());

/** Proposes `tool(args)` for the runner and returns its token (the call must be allowed). */
async function allowed(tool: string, args: Record<string, unknown>, session?: string): Promise<string> {
  const intent = tool === 'migrate_vm' || tool === 'restart_workload' ? 'remediate_reversible' : 'observe';
  const reply = await h.call('POST', '/v1/actions', keys.agent as string, {
    envelope: { intent, tool, args, source_signals: [operator], ...(session ? { session } : {}) },
  });
  assert.equal(reply.body.decision, 'ALLOW', JSON.stringify(reply.body));
  return reply.body.token as string;
}

/** Redeems `token` for the runner at /v1/redeem and returns the run's id (the redemption must pass). */
async function redeemRun(token: string, tool: string, args: Record<string, unknown>): Promise<string> {
  const reply = await h.call('POST', '/v1/redeem', keys.agent as string, { token, tool, args });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.jti as string;
}

async function sessionChunks(session: string, key = 'agent:runner'): Promise<string[]> {
  return h.gateway.ctx.store.sessionChunkIds(session, key);
}

test('a redeemed run takes its output once: redacted, a chunk of the decision’s session, recorded', async () => {
  const args = { source: 'edge-node-sj-01-03' };
  const token = await allowed('read_logs', args, 'night');
  const redemption = await h.call('POST', '/v1/redeem', keys.agent as string, {
    token,
    tool: 'read_logs',
    args,
    session: 'night',
  });
  assert.equal(redemption.status, 200, JSON.stringify(redemption.body));
  assert.deepEqual(
    { ...redemption.body, jti: typeof redemption.body.jti },
    {
      jti: 'string',
      tool: 'read_logs',
      args,
      session: 'night',
      result_due: new Date(h.clock.now + 30_000).toISOString(),
      result_within_ms: 30_000,
    },
  );
  // The redemption is recorded before the agent runs anything, and nothing ran in the gateway.
  const entries = await auditEntries(h.dataDir);
  const execution = entries.filter((e) => e.kind === 'execution').at(-1);
  assert.equal(execution?.payload.jti, redemption.body.jti);
  // Spent: the same token is refused, whichever route it is presented to.
  for (const route of ['/v1/redeem', '/v1/execute'])
    assert.equal(
      (await h.call('POST', route, keys.agent as string, { token, tool: 'read_logs', args })).body.code,
      'E_TOKEN_REPLAYED',
    );

  const output = { lines: [`login by ops@example.com with ${GITHUB_TOKEN}`, 'temperature nominal'] };
  // Another agent cannot give this run's result: to it the run does not exist.
  const stranger = await h.call('POST', '/v1/results', keys.other as string, {
    jti: redemption.body.jti,
    output,
  });
  assert.deepEqual([stranger.status, stranger.body.code], [404, 'E_NOT_FOUND']);

  const result = await h.call('POST', '/v1/results', keys.agent as string, {
    jti: redemption.body.jti,
    output,
    redact: ['IP_ADDRESS'],
  });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.deepEqual(Object.keys(result.body).sort(), ['audit', 'output_chunk', 'result']);
  assert.deepEqual(result.body.result, {
    lines: ['login by <EMAIL_ADDRESS> with <GITHUB_TOKEN>', 'temperature nominal'],
  });
  const [chunk] = await h.gateway.ctx.store.getChunks([result.body.output_chunk as string]);
  assert.deepEqual([chunk?.channel, chunk?.trust], ['tool-output', 'untrusted']);
  assert.deepEqual(await sessionChunks('night'), [chunk?.id]);
  const recorded = (await auditEntries(h.dataDir)).at(-1);
  assert.equal(recorded?.kind, 'execution.result');
  assert.equal(recorded?.seq, (result.body.audit as { seq: number }).seq);
  assert.deepEqual(
    {
      executor: recorded?.payload.executor,
      jti: recorded?.payload.jti,
      session: recorded?.payload.session,
      redacted: recorded?.payload.redacted,
    },
    {
      executor: 'client',
      jti: redemption.body.jti,
      session: 'night',
      redacted: { secrets: ['GITHUB_TOKEN'], pii: ['EMAIL_ADDRESS'] },
    },
  );
  assert.ok(!(await auditText(h.dataDir)).includes(GITHUB_TOKEN));
  assert.ok(!(await auditText(h.dataDir)).includes('ops@example.com'));

  // Once per run.
  const again = await h.call('POST', '/v1/results', keys.agent as string, {
    jti: redemption.body.jti,
    output: 'something else',
  });
  assert.deepEqual([again.status, again.body.code], [409, 'E_RESULT_RECORDED']);
});

test('a tool that failed is recorded as failed, its message without credentials or PII', async () => {
  const args = { target: 'vm-03' };
  const token = await allowed('get_telemetry', args);
  const jti = await redeemRun(token, 'get_telemetry', args);
  const failed = await h.call('POST', '/v1/results', keys.agent as string, {
    jti,
    error: { code: 'E_UPSTREAM', message: `refused ${GITHUB_TOKEN} for ops@example.com` },
  });
  assert.equal(failed.status, 200, JSON.stringify(failed.body));
  assert.deepEqual([failed.body.result, failed.body.output_chunk], [null, null]);
  const entry = (await auditEntries(h.dataDir)).at(-1);
  assert.equal(entry?.kind, 'execution.failed');
  assert.deepEqual(
    [entry?.payload.code, entry?.payload.reason, entry?.payload.executor],
    ['E_UPSTREAM', 'refused <GITHUB_TOKEN> for <EMAIL_ADDRESS>', 'client'],
  );
});

test('a result that comes after the window is refused, recorded, and closes the run', async () => {
  const args = { target: 'vm-04' };
  const token = await allowed('get_telemetry', args);
  const jti = await redeemRun(token, 'get_telemetry', args);
  h.clock.now += 30_000;
  const late = await h.call('POST', '/v1/results', keys.agent as string, { jti, output: 'ok' });
  assert.deepEqual([late.status, late.body.code], [409, 'E_RESULT_OVERDUE']);
  const entry = (await auditEntries(h.dataDir)).at(-1);
  assert.deepEqual([entry?.kind, entry?.payload.code], ['execution.failed', 'E_RESULT_OVERDUE']);
  const again = await h.call('POST', '/v1/results', keys.agent as string, { jti, output: 'ok' });
  assert.equal(again.body.code, 'E_RESULT_RECORDED');
});

test('a tool a gateway executor runs is not redeemed for the agent: its token stays for /v1/execute', async () => {
  const args = { workload: 'api', site: 'sj-01' };
  const token = await allowed('restart_workload', args, 'day');
  const refused = await h.call('POST', '/v1/redeem', keys.agent as string, {
    token,
    tool: 'restart_workload',
    args,
  });
  assert.deepEqual([refused.status, refused.body.code], [409, 'E_TOOL_HAS_EXECUTOR']);
  assert.deepEqual(hallRuns, []);
  const ran = await h.call('POST', '/v1/execute', keys.agent as string, {
    token,
    tool: 'restart_workload',
    args,
    session: 'day',
  });
  assert.equal(ran.status, 200, JSON.stringify(ran.body));
  assert.deepEqual(hallRuns, ['restart_workload']);
  // /v1/execute's output joins the session the envelope named, like every other output.
  assert.deepEqual(await sessionChunks('day'), [ran.body.output_chunk]);
});

test('an approved review’s output joins the reviewed session; naming another is refused before redeeming', async () => {
  const args = { device_id: 'leaf-switch-sj-01-a' };
  const proposed = await h.call('POST', '/v1/actions', keys.agent as string, {
    envelope: {
      intent: 'remediate_destructive',
      tool: 'isolate_network_device',
      args,
      source_signals: [operator],
      session: 'reviewed',
    },
  });
  assert.equal(proposed.body.decision, 'HUMAN_REVIEW', JSON.stringify(proposed.body));
  const id = (proposed.body.review as { id: string }).id;
  const approved = await h.call('POST', `/v1/reviews/${id}/approve`, keys.approver as string, {});
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const token = (await h.call('GET', `/v1/reviews/${id}`, keys.agent as string)).body.token as string;
  const body = { token, tool: 'isolate_network_device', args };
  const mismatch = await h.call('POST', '/v1/redeem', keys.agent as string, {
    ...body,
    session: 'elsewhere',
  });
  assert.deepEqual([mismatch.status, mismatch.body.code], [409, 'E_SESSION_MISMATCH']);
  const redemption = await h.call('POST', '/v1/redeem', keys.agent as string, body);
  assert.equal(redemption.status, 200, JSON.stringify(redemption.body));
  assert.deepEqual([redemption.body.jti, redemption.body.session], [id, 'reviewed']);
  const result = await h.call('POST', '/v1/results', keys.agent as string, {
    jti: id,
    output: { isolated: 'leaf-switch-sj-01-a' },
  });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.deepEqual(await sessionChunks('reviewed'), [result.body.output_chunk]);
});

test('bodies: exactly one of output and error, known redaction types, known fields; agents only', async () => {
  const jti = 'A'.repeat(22);
  const cases: [unknown, RegExp][] = [
    [{ jti }, /exactly one of output and error/],
    [{ jti, output: 1, error: { code: 'E_X', message: 'm' } }, /exactly one of output and error/],
    [{ jti, output: 1, trust: 'trusted' }, /unknown field "trust"/],
    [{ jti, output: 1, redact: ['NOT_A_TYPE'] }, /^redact\.0: must be one of/],
    [{ jti, error: { code: 'E_X' } }, /error\.message: required/],
    [{ jti: 'short', output: 1 }, /^jti: must match/],
  ];
  for (const [body, detail] of cases) {
    const reply = await h.call('POST', '/v1/results', keys.agent as string, body);
    assert.deepEqual([reply.status, reply.body.code], [400, 'E_REQUEST_INVALID'], JSON.stringify(body));
    assert.match(reply.body.detail as string, detail);
  }
  assert.equal((await h.call('POST', '/v1/results', keys.agent as string, { jti, output: 1 })).status, 404);
  assert.equal(
    (await h.call('POST', '/v1/results', keys.approver as string, { jti, output: 1 })).status,
    403,
  );
  const redeem = { token: 'x', tool: 'read_logs', args: [] };
  assert.equal(
    (await h.call('POST', '/v1/redeem', keys.agent as string, redeem)).body.detail,
    'args: must be an object',
  );
  assert.equal((await h.call('POST', '/v1/redeem', null, redeem)).status, 401);
});

test('the tool-output channels are the gateway’s own: no admin creates or binds one', async () => {
  for (const name of ['tool-output', 'tool-output.trusted', 'tool-output.anything']) {
    const created = await h.call('POST', '/v1/admin/channels', h.adminKey, { name, trust: 'trusted' });
    assert.deepEqual([created.status, created.body.code], [403, 'E_CHANNEL_RESERVED'], name);
  }
  const bound = await h.call('POST', '/v1/admin/principals', h.adminKey, {
    name: 'laundry',
    role: 'service',
    channel: 'tool-output',
  });
  assert.deepEqual([bound.status, bound.body.code], [403, 'E_CHANNEL_RESERVED']);
});
