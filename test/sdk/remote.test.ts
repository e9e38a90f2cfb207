// The SDK's remote mode against a real gateway on an ephemeral port: decisions made and recorded by
// the gateway, the execution token redeemed (POST /v1/redeem) before the local function runs, its
// output recorded by the gateway (POST /v1/results), human review reported or waited for, and every way
// the gateway can fail (no answer, a slow one, a malformed one, a redirect, a tool the gateway runs
// itself) refused without calling the function, or, once it ran, without returning its output.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  type CarapaceGateway,
  CarapaceDeniedError,
  CarapaceError,
  CarapaceReviewPendingError,
  connectGateway,
  guard,
} from '../../src/sdk/index.js';
import { type Harness, principal, recordingExecutor, startHarness } from '../gateway/harness.js';
import { auditEntries, auditEvents, auditText, GITHUB_TOKEN, POISON } from './helpers.js';

let h: Harness;
const keys: Record<string, string> = {};
let gateway: CarapaceGateway;
let operator: string;

before(async () => {
  h = await startHarness();
  keys.agent = await principal(h, 'ops-agent', 'agent', 'operator-console', 'T3');
  keys.collector = await principal(h, 'syslog-collector', 'service', 'syslog');
  keys.approver = await principal(h, 'night-approver', 'approver');
  gateway = connectGateway({ url: h.gateway.url, apiKey: keys.agent });
  operator = (await gateway.ingest('Restart the api workload at sj-01.', { session: 'night' })).id;
});
after(async () => {
  await gateway.close();
  await h.close();
});

function spy<R>(result: (args: Record<string, unknown>) => R | Promise<R>) {
  const calls: Record<string, unknown>[] = [];
  const fn = async (args: Record<string, unknown>) => {
    calls.push(args);
    return result(args);
  };
  return { fn, calls };
}

test('ingest through the agent key takes the trust of the channel an admin bound it to', async () => {
  const chunk = await gateway.ingest('Restart the api workload at sj-01.');
  assert.equal(chunk.id, operator);
  assert.equal(chunk.trust, 'trusted');
  await assert.rejects(gateway.ingest('x', { channel: 'syslog' }), { code: 'E_CALL_INVALID' });
});

test('an allowed call is decided and its token redeemed by the gateway before the local function runs', async () => {
  let kindsWhileRunning: string[] = [];
  const restart = spy(async () => {
    kindsWhileRunning = (await auditEvents(h.dataDir)).slice(-2).map((e) => e.kind);
    return { restarted: true, paged: 'sre-lead@example.com', leaked: GITHUB_TOKEN, seen: '10.1.2.3' };
  });
  const tools = guard(
    { restart_workload: restart.fn },
    {
      gateway,
      tools: { restart_workload: { intent: 'remediate_reversible', redact: ['IP_ADDRESS'] } },
      session: 'night',
      sources: [operator],
    },
  );
  const out = await tools.restart_workload({ workload: 'api', site: 'sj-01' });
  assert.deepEqual(restart.calls, [{ workload: 'api', site: 'sj-01' }]);
  // The gateway recorded the decision and the redemption before we ran; nothing ran in the gateway.
  assert.deepEqual(kindsWhileRunning, ['decision', 'execution']);
  // The gateway redacted the output (its defaults and the tool's own types) before we saw it.
  assert.deepEqual(out, {
    restarted: true,
    paged: '<EMAIL_ADDRESS>',
    leaked: '<GITHUB_TOKEN>',
    seen: '<IP_ADDRESS>',
  });
  const entries = await auditEntries(h.dataDir);
  const decision = entries.filter((e) => e.kind === 'decision').at(-1);
  assert.equal((decision?.payload.record as { decision: string }).decision, 'ALLOW');
  assert.equal(decision?.payload.agent, 'agent:ops-agent');
  // The output was recorded as the client's, and became an untrusted chunk of the call's session.
  const result = entries.at(-1);
  assert.equal(result?.kind, 'execution.result');
  assert.deepEqual(
    [result?.payload.executor, result?.payload.session, result?.payload.trust],
    ['client', 'night', 'untrusted'],
  );
  assert.deepEqual(result?.payload.result, out);
  const session = await h.gateway.ctx.store.sessionChunkIds('night', 'agent:ops-agent');
  assert.ok(session.includes(result?.payload.output_chunk as string));
  assert.ok(!(await auditText(h.dataDir)).includes(GITHUB_TOKEN));
});

test('a failing tool is recorded by the gateway as failed, and its error rethrown', async () => {
  const boom = Object.assign(new Error(`upstream refused ${GITHUB_TOKEN}`), { code: 'E_UPSTREAM' });
  const tools = guard(
    {
      get_telemetry: async () => {
        throw boom;
      },
    },
    { gateway, tools: { get_telemetry: 'observe' } },
  );
  await assert.rejects(tools.get_telemetry({ target: 'vm-01' }), (e: unknown) => e === boom);
  const last = (await auditEvents(h.dataDir)).at(-1);
  assert.deepEqual(
    [last?.kind, last?.payload.code, last?.payload.reason, last?.payload.executor],
    ['execution.failed', 'E_UPSTREAM', 'upstream refused <GITHUB_TOKEN>', 'client'],
  );
});

test('a remote gateway takes every output as untrusted: a tool cannot raise its own', () => {
  assert.throws(
    () =>
      guard(
        { get_telemetry: () => 'ok' },
        { gateway, tools: { get_telemetry: { intent: 'observe', outputTrust: 'trusted' } } },
      ),
    (e: unknown) =>
      e instanceof CarapaceError && e.code === 'E_OPTIONS_INVALID' && /untrusted/.test(e.detail),
  );
});

test('a DENY from the gateway throws CarapaceDeniedError with its record; the function is not called', async () => {
  const reply = await h.call('POST', '/v1/ingest', keys.collector as string, {
    content: POISON,
    session: 'night',
    agent: 'agent:ops-agent',
  });
  const syslog = reply.body.id as string;
  const isolate = spy(() => 'isolated');
  const tools = guard(
    { 'network.isolate': isolate.fn },
    { gateway, tools: { 'network.isolate': 'remediate_destructive' }, session: 'night' },
  );
  const denied = await tools['network.isolate'](
    { device_id: 'spine-switch-sj-01' },
    { sources: [syslog] },
  ).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(denied instanceof CarapaceDeniedError, String(denied));
  assert.equal(denied.rule, 'R2');
  assert.equal(denied.record?.tool, 'isolate_network_device');
  assert.equal(denied.record?.sources[0]?.id, syslog);
  assert.deepEqual(isolate.calls, []);
  const entry = (await auditEntries(h.dataDir)).find((e) => e.seq === denied.audit?.seq);
  assert.equal(entry?.kind, 'decision');
  assert.equal(entry?.hash, denied.audit?.hash);
});

test('a token that expires between decision and redemption is refused by the gateway; the function is not called', async () => {
  const restart = spy(() => 'restarted');
  const tools = guard(
    { restart_workload: restart.fn },
    {
      gateway,
      tools: { restart_workload: 'remediate_reversible' },
      sources: [operator],
      // Runs after the decision and before redemption: time passes beyond the token's 5 s.
      onDecision: () => {
        h.clock.now += 10_000;
      },
    },
  );
  await assert.rejects(tools.restart_workload({ workload: 'web', site: 'sj-01' }), (e: unknown) => {
    assert.ok(e instanceof CarapaceError);
    assert.equal(e.code, 'E_GATEWAY_REFUSED');
    assert.match(e.detail, /^E_TOKEN_EXPIRED/);
    return true;
  });
  assert.deepEqual(restart.calls, []);
});

test('human review: reported at once by default, or waited for until an approver decides', async () => {
  const isolate = spy(() => 'isolated');
  const specs = { isolate_network_device: 'remediate_destructive' as const };
  const reported = guard(
    { isolate_network_device: isolate.fn },
    { gateway, tools: specs, sources: [operator] },
  );
  const pending = await reported.isolate_network_device({ device_id: 'spine-switch-sj-02' }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(pending instanceof CarapaceReviewPendingError, String(pending));
  assert.equal(pending.rule, 'R4');
  assert.deepEqual(isolate.calls, []);

  // Waiting: an approver approves while the SDK polls; the function then runs once, with the reviewed args.
  const waiting = connectGateway({
    url: h.gateway.url,
    apiKey: keys.agent,
    review: { wait: true, pollMs: 20 },
  });
  let reviewId = '';
  const tools = guard(
    { isolate_network_device: isolate.fn },
    {
      gateway: waiting,
      tools: specs,
      sources: [operator],
      onDecision: (e) => {
        reviewId = e.review?.id ?? '';
        setTimeout(() => {
          void h.call('POST', `/v1/reviews/${reviewId}/approve`, keys.approver as string, {
            note: 'checked',
          });
        }, 50);
      },
    },
  );
  assert.equal(await tools.isolate_network_device({ device_id: 'spine-switch-oak-01' }), 'isolated');
  assert.deepEqual(isolate.calls, [{ device_id: 'spine-switch-oak-01' }]);
  const execution = (await auditEntries(h.dataDir)).filter((e) => e.kind === 'execution').at(-1);
  assert.equal((execution?.payload as { jti: string }).jti, reviewId);

  // Rejected: a denial naming the review; the function is not called.
  const rejecting = guard(
    { isolate_network_device: isolate.fn },
    {
      gateway: waiting,
      tools: specs,
      sources: [operator],
      onDecision: (e) => {
        setTimeout(() => {
          void h.call('POST', `/v1/reviews/${e.review?.id}/reject`, keys.approver as string, {
            note: 'not during the day',
          });
        }, 50);
      },
    },
  );
  await assert.rejects(
    rejecting.isolate_network_device({ device_id: 'spine-switch-sj-01' }),
    (e: unknown) => {
      assert.ok(e instanceof CarapaceDeniedError);
      assert.equal(e.code, 'E_REVIEW_REJECTED');
      assert.match(e.explanation, /rejected: not during the day/);
      return true;
    },
  );
  assert.equal(isolate.calls.length, 1);

  // Nobody answers within the wait: still pending.
  const impatient = connectGateway({
    url: h.gateway.url,
    apiKey: keys.agent,
    review: { wait: true, pollMs: 10, timeoutMs: 60 },
  });
  await assert.rejects(
    guard(
      { isolate_network_device: isolate.fn },
      { gateway: impatient, tools: specs, sources: [operator] },
    ).isolate_network_device({ device_id: 'spine-switch-sj-01' }),
    (e: unknown) => e instanceof CarapaceReviewPendingError,
  );
  assert.equal(isolate.calls.length, 1);
});

test('a wrong API key is refused by the gateway; the function is not called', async () => {
  const fn = spy(() => 'x');
  const wrong = connectGateway({ url: h.gateway.url, apiKey: 'cpk_not-a-key' });
  await assert.rejects(
    guard({ get_telemetry: fn.fn }, { gateway: wrong, tools: { get_telemetry: 'observe' } }).get_telemetry({
      target: 'vm-01',
    }),
    (e: unknown) => {
      assert.ok(e instanceof CarapaceError);
      assert.equal(e.code, 'E_GATEWAY_REFUSED');
      assert.match(e.detail, /^E_UNAUTHENTICATED: POST \/v1\/actions: HTTP 401/);
      assert.ok(!e.message.includes('cpk_not-a-key') && !e.detail.includes('cpk_not-a-key'));
      return true;
    },
  );
  assert.deepEqual(fn.calls, []);
});

test('a tool the gateway runs in an executor of its own is not redeemed for the SDK, and runs nowhere', async () => {
  const ran: string[] = [];
  const other = await startHarness(undefined, recordingExecutor('test-hall', ['restart_workload'], ran));
  try {
    const key = await principal(other, 'ops-agent', 'agent', 'operator-console');
    const g = connectGateway({ url: other.gateway.url, apiKey: key });
    const source = (await g.ingest('Restart the api workload at sj-01.')).id;
    const restart = spy(() => 'restarted locally');
    await assert.rejects(
      guard(
        { restart_workload: restart.fn },
        { gateway: g, tools: { restart_workload: 'remediate_reversible' } },
      ).restart_workload({ workload: 'api', site: 'sj-01' }, { sources: [source] }),
      (e: unknown) =>
        e instanceof CarapaceError &&
        e.code === 'E_GATEWAY_REFUSED' &&
        e.detail.startsWith('E_TOOL_HAS_EXECUTOR') &&
        !e.executed,
    );
    assert.deepEqual(ran, []);
    assert.deepEqual(restart.calls, []);
  } finally {
    await other.close();
  }
});

/** A stand-in gateway on an ephemeral port that answers every request with `answer`. */
async function fakeGateway(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const RECORD = { decision: 'ALLOW', request: { envelope: { tool: 'get_telemetry' } } };

test('fail closed: no gateway, a slow one, a malformed answer or a redirect never runs the function', async () => {
  const cases: [string, (req: IncomingMessage, res: ServerResponse) => void, string][] = [
    ['never answers', () => {}, 'E_GATEWAY_TIMEOUT'],
    ['answers HTML', json(200, '<html>ok</html>'), 'E_GATEWAY_ANSWER_INVALID'],
    ['answers a JSON array', json(200, '[]'), 'E_GATEWAY_ANSWER_INVALID'],
    [
      'ALLOW without a token',
      json(200, {
        decision: 'ALLOW',
        rule: 'R8',
        explanation: 'ok',
        audit: { seq: 1, hash: 'h' },
        record: RECORD,
      }),
      'E_GATEWAY_ANSWER_INVALID',
    ],
    [
      'ALLOW without a record',
      json(200, {
        decision: 'ALLOW',
        rule: 'R8',
        explanation: 'ok',
        audit: { seq: 1, hash: 'h' },
        token: 't',
      }),
      'E_GATEWAY_ANSWER_INVALID',
    ],
    [
      'ALLOW for another tool',
      json(200, {
        decision: 'ALLOW',
        rule: 'R8',
        explanation: 'ok',
        audit: { seq: 1, hash: 'h' },
        token: 't',
        record: { decision: 'ALLOW', request: { envelope: { tool: 'quarantine_node' } } },
      }),
      'E_GATEWAY_ANSWER_INVALID',
    ],
    ['an unknown decision', json(200, { decision: 'MAYBE', rule: 'R8' }), 'E_GATEWAY_ANSWER_INVALID'],
    [
      'HUMAN_REVIEW without a review',
      json(202, {
        decision: 'HUMAN_REVIEW',
        rule: 'R4',
        explanation: 'x',
        audit: { seq: 1, hash: 'h' },
        record: RECORD,
      }),
      'E_GATEWAY_ANSWER_INVALID',
    ],
    [
      'redirects elsewhere',
      (_req, res) => {
        res.writeHead(307, { location: 'http://127.0.0.1:1/v1/actions' });
        res.end();
      },
      'E_GATEWAY_REFUSED',
    ],
    [
      'fails inside',
      json(500, { error: 'internal error', code: 'E_INTERNAL', detail: 'x' }),
      'E_GATEWAY_REFUSED',
    ],
  ];
  for (const [name, answer, code] of cases) {
    const fake = await fakeGateway(answer);
    try {
      const fn = spy(() => 'ran');
      const g = connectGateway({ url: fake.url, apiKey: 'cpk_test', timeoutMs: 200 });
      await assert.rejects(
        guard({ get_telemetry: fn.fn }, { gateway: g, tools: { get_telemetry: 'observe' } }).get_telemetry({
          target: 'vm-01',
        }),
        (e: unknown) => e instanceof CarapaceError && e.code === code && !e.executed,
        name,
      );
      assert.deepEqual(fn.calls, [], name);
    } finally {
      await fake.close();
    }
  }

  // Nothing listens on the port any more.
  const gone = await fakeGateway(json(200, {}));
  await gone.close();
  const fn = spy(() => 'ran');
  await assert.rejects(
    guard(
      { get_telemetry: fn.fn },
      { gateway: connectGateway({ url: gone.url, apiKey: 'cpk_test' }), tools: { get_telemetry: 'observe' } },
    ).get_telemetry({ target: 'vm-01' }),
    { code: 'E_GATEWAY_UNREACHABLE' },
  );
  assert.deepEqual(fn.calls, []);
});

test('a redemption answer the SDK cannot read runs nothing; a result the gateway does not take returns nothing', async () => {
  const ALLOWED = {
    decision: 'ALLOW',
    rule: 'R8',
    explanation: 'ok',
    audit: { seq: 1, hash: 'h' },
    token: 't',
    record: RECORD,
  };
  const cases: [string, (req: IncomingMessage, res: ServerResponse) => void, string, boolean][] = [
    [
      'a redemption without a run id',
      (req, res) => json(200, req.url === '/v1/actions' ? ALLOWED : { result_within_ms: 1000 })(req, res),
      'E_GATEWAY_ANSWER_INVALID',
      false,
    ],
    [
      'a result the gateway fails to record',
      (req, res) =>
        json(
          req.url === '/v1/results' ? 503 : 200,
          req.url === '/v1/actions'
            ? ALLOWED
            : req.url === '/v1/redeem'
              ? { jti: 'A'.repeat(22), result_within_ms: 30_000 }
              : { error: 'the audit log cannot record this event', code: 'E_AUDIT_UNAVAILABLE', detail: 'x' },
        )(req, res),
      'E_GATEWAY_REFUSED',
      true,
    ],
    [
      'a result answer without a result',
      (req, res) =>
        json(
          200,
          req.url === '/v1/actions'
            ? ALLOWED
            : req.url === '/v1/redeem'
              ? { jti: 'A'.repeat(22), result_within_ms: 30_000 }
              : { audit: { seq: 3, hash: 'h3' } },
        )(req, res),
      'E_GATEWAY_ANSWER_INVALID',
      true,
    ],
  ];
  for (const [name, answer, code, executed] of cases) {
    const fake = await fakeGateway(answer);
    try {
      const fn = spy(() => 'ran');
      const g = connectGateway({ url: fake.url, apiKey: 'cpk_test' });
      await assert.rejects(
        guard({ get_telemetry: fn.fn }, { gateway: g, tools: { get_telemetry: 'observe' } }).get_telemetry({
          target: 'vm-01',
        }),
        (e: unknown) => e instanceof CarapaceError && e.code === code && e.executed === executed,
        name,
      );
      assert.equal(fn.calls.length, executed ? 1 : 0, name);
    } finally {
      await fake.close();
    }
  }
});

test('connectGateway refuses connections that would expose the key or cannot work', () => {
  const refused = (options: Parameters<typeof connectGateway>[0], match: RegExp) =>
    assert.throws(
      () => connectGateway(options),
      (e: unknown) => e instanceof CarapaceError && e.code === 'E_OPTIONS_INVALID' && match.test(e.detail),
    );
  refused({ url: 'http://gateway.example.com', apiKey: 'cpk_x' }, /plain http/);
  refused({ url: 'https://user:pw@gateway.example.com', apiKey: 'cpk_x' }, /credentials/);
  refused({ url: 'https://gateway.example.com/?key=1', apiKey: 'cpk_x' }, /query/);
  refused({ url: 'ftp://gateway.example.com', apiKey: 'cpk_x' }, /ftp/);
  refused({ url: 'https://gateway.example.com', apiKey: 'has spaces' }, /printable/);
  refused({ url: 'https://gateway.example.com', apiKey: 'cpk_x', retries: 3 } as never, /unknown option/);
  const saved = process.env.CARAPACE_API_KEY;
  delete process.env.CARAPACE_API_KEY;
  try {
    refused({ url: 'https://gateway.example.com' }, /apiKey/);
  } finally {
    if (saved !== undefined) process.env.CARAPACE_API_KEY = saved;
  }
  // Allowed: https anywhere, http on loopback, http elsewhere only when asked for.
  connectGateway({ url: 'https://gateway.example.com/carapace/', apiKey: 'cpk_x' });
  connectGateway({ url: 'http://localhost:8787', apiKey: 'cpk_x' });
  connectGateway({ url: 'http://10.0.0.5:8787', apiKey: 'cpk_x', allowInsecureHttp: true });
});
