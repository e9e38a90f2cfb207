// Every route is declared with its JSON schema and Fastify validates first, but the answers are the
// gateway's own: 400 E_REQUEST_INVALID (413 E_INPUT_TOO_LARGE for a bound) as {error, code, detail}
// naming the field. Unknown fields are refused, never stripped; types are never coerced.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Harness, principal, startHarness } from './harness.js';

let h: Harness;
const keys: Record<string, string> = {};
const REVIEW = `/v1/reviews/rev_${'0'.repeat(32)}`;

before(async () => {
  h = await startHarness();
  await h.call('POST', '/v1/admin/channels', h.adminKey, { name: 'web', trust: 'untrusted' });
  keys.agent = await principal(h, 'schema-agent', 'agent', 'web');
  keys.approver = await principal(h, 'schema-approver', 'approver');
});
after(() => h.close());

function assertInvalid(
  reply: { status: number; body: Record<string, unknown> },
  status: number,
  code: string,
  detail: RegExp,
) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.deepEqual(Object.keys(reply.body).sort(), ['code', 'detail', 'error']);
  assert.equal(reply.body.code, code);
  assert.match(String(reply.body.detail), detail);
}

test('an unknown field is refused with its name, on every route that takes a body', async () => {
  const cases: [string, string, string, Record<string, unknown>][] = [
    ['admin', '/v1/admin/channels', 'trusted_by', { name: 'c1', trust: 'trusted' }],
    ['admin', '/v1/admin/principals', 'api_key', { name: 'p1', role: 'agent' }],
    ['agent', '/v1/ingest', 'trust', { content: 'hello' }],
    ['agent', '/v1/decide', 'verdict', { envelope: {} }],
    ['agent', '/v1/actions', 'verdict', { envelope: {} }],
    ['agent', '/v1/execute', 'sudo', { token: 't', tool: 'get_telemetry', args: {} }],
    ['approver', `${REVIEW}/approve`, 'force', {}],
    ['approver', `${REVIEW}/reject`, 'force', { note: 'no' }],
  ];
  for (const [who, path, extra, body] of cases) {
    const key = who === 'admin' ? h.adminKey : (keys[who] as string);
    const reply = await h.call('POST', path, key, { ...body, [extra]: 1 });
    assertInvalid(reply, 400, 'E_REQUEST_INVALID', new RegExp(`unknown field "${extra}"`));
  }
});

test('missing, mistyped, out-of-vocabulary and malformed fields name the field; nothing is coerced', async () => {
  const admin = h.adminKey;
  assertInvalid(
    await h.call('POST', '/v1/admin/channels', admin, { trust: 'trusted' }),
    400,
    'E_REQUEST_INVALID',
    /^name: required$/,
  );
  assertInvalid(
    await h.call('POST', '/v1/admin/channels', admin, { name: 7, trust: 'trusted' }),
    400,
    'E_REQUEST_INVALID',
    /^name: must be a string$/,
  );
  assertInvalid(
    await h.call('POST', '/v1/admin/channels', admin, { name: 'ok', trust: 'root' }),
    400,
    'E_REQUEST_INVALID',
    /^trust: must be one of untrusted, semi_trusted, trusted$/,
  );
  assertInvalid(
    await h.call('POST', '/v1/admin/principals', admin, { name: 'Bad Name', role: 'agent' }),
    400,
    'E_REQUEST_INVALID',
    /^name: must match /,
  );
  assertInvalid(
    await h.call('POST', '/v1/admin/channels', admin, [1, 2]),
    400,
    'E_REQUEST_INVALID',
    /the body must be a JSON object/,
  );
  assertInvalid(
    await h.call('POST', '/v1/ingest', keys.agent as string, { content: '' }),
    400,
    'E_REQUEST_INVALID',
    /^content: must be a non-empty string$/,
  );
  assertInvalid(
    await h.call('POST', '/v1/ingest', keys.agent as string, { content: 'x', session: 'has space' }),
    400,
    'E_REQUEST_INVALID',
    /^session: must match /,
  );
  assertInvalid(
    await h.call('POST', '/v1/execute', keys.agent as string, { token: 't', tool: 'get_telemetry' }),
    400,
    'E_REQUEST_INVALID',
    /^args: required$/,
  );
  assertInvalid(
    await h.call('POST', '/v1/execute', keys.agent as string, { token: 1, tool: 'x', args: {} }),
    400,
    'E_REQUEST_INVALID',
    /^token: must be a string$/,
  );
  assertInvalid(
    await h.call('POST', `${REVIEW}/reject`, keys.approver as string, {}),
    400,
    'E_REQUEST_INVALID',
    /^note: required$/,
  );
  assertInvalid(
    await h.call('POST', `${REVIEW}/reject`, keys.approver as string, { note: 5 }),
    400,
    'E_REQUEST_INVALID',
    /^note: must be a string$/,
  );
});

test('a string past its bound is 413 E_INPUT_TOO_LARGE naming the field, as before the schemas', async () => {
  const reply = await h.call('POST', `${REVIEW}/reject`, keys.approver as string, { note: 'n'.repeat(4097) });
  assertInvalid(reply, 413, 'E_INPUT_TOO_LARGE', /^note: longer than 4096 characters$/);
});

test('query strings are validated too: an unknown parameter or status is 400', async () => {
  assertInvalid(
    await h.call('GET', '/v1/reviews?status=open', h.adminKey),
    400,
    'E_REQUEST_INVALID',
    /^status: must be one of pending, approved, rejected, expired$/,
  );
  assertInvalid(
    await h.call('GET', '/v1/reviews?limit=5', h.adminKey),
    400,
    'E_REQUEST_INVALID',
    /^query: unknown field "limit"$/,
  );
  assert.equal((await h.call('GET', '/v1/reviews?status=pending', h.adminKey)).status, 200);
});

test('authentication and role come before validation: a bad body from no key is 401, from a wrong role 403', async () => {
  assert.equal((await h.call('POST', '/v1/admin/channels', null, { bogus: 1 })).status, 401);
  assert.equal((await h.call('POST', '/v1/admin/channels', keys.agent as string, { bogus: 1 })).status, 403);
  assert.equal((await h.call('GET', '/v1/reviews?limit=5', null)).status, 401);
});

test('the envelope itself is still judged by the engine, with the engine’s code', async () => {
  const reply = await h.call('POST', '/v1/decide', keys.agent as string, {
    envelope: { intent: 'observe', tool: 'get_telemetry', args: {}, sudo: true },
  });
  assertInvalid(reply, 400, 'E_ENVELOPE_INVALID', /envelope: unknown field "sudo"/);
  const notObject = await h.call('POST', '/v1/decide', keys.agent as string, { envelope: 'observe' });
  assertInvalid(notObject, 400, 'E_REQUEST_INVALID', /^envelope: must be an object$/);
  const ok = await h.call('POST', '/v1/decide', keys.agent as string, {
    envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } },
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test('approving without a body is allowed (the note is optional): the review is looked up, not refused as invalid', async () => {
  const reply = await h.call('POST', `${REVIEW}/approve`, keys.approver as string);
  assert.deepEqual([reply.status, reply.body.code], [404, 'E_NOT_FOUND']);
});
