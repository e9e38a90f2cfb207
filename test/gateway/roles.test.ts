// Every route against every role: a role a route does not admit gets 403, no key gets 401, and an
// admitted role is never refused for its role (it may still get 400/404 for the minimal body sent).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Harness, principal, startHarness } from './harness.js';

const ROLES = ['agent', 'approver', 'admin', 'auditor', 'service'] as const;
type Role = (typeof ROLES)[number];
const REVIEW = `/v1/reviews/rev_${'0'.repeat(32)}`;

const ROUTES: [method: string, path: string, body: unknown, admitted: Role[]][] = [
  ['POST', '/v1/admin/channels', { name: 'matrix-channel', trust: 'untrusted' }, ['admin']],
  ['POST', '/v1/admin/principals', { name: 'matrix-principal', role: 'agent' }, ['admin']],
  ['GET', '/v1/admin/principals', undefined, ['admin', 'auditor']],
  ['POST', '/v1/ingest', { content: 'matrix content' }, ['agent', 'service']],
  [
    'POST',
    '/v1/ingest/image',
    { image_base64: 'iVBORw0KGgo=', media_type: 'image/png' },
    ['agent', 'service'],
  ],
  [
    'POST',
    '/v1/decide',
    { envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } } },
    ['agent'],
  ],
  [
    'POST',
    '/v1/actions',
    { envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } } },
    ['agent'],
  ],
  ['POST', '/v1/execute', { token: 'x', tool: 'get_telemetry', args: {} }, ['agent']],
  ['GET', '/v1/reviews', undefined, ['approver', 'admin', 'auditor']],
  ['GET', REVIEW, undefined, ['agent', 'approver', 'admin', 'auditor']],
  ['POST', `${REVIEW}/approve`, {}, ['approver']],
  ['POST', `${REVIEW}/reject`, { note: 'no' }, ['approver']],
];

let h: Harness;
const keys = {} as Record<Role, string>;

before(async () => {
  h = await startHarness();
  await h.call('POST', '/v1/admin/channels', h.adminKey, { name: 'web', trust: 'untrusted' });
  keys.agent = await principal(h, 'matrix-agent', 'agent', 'web');
  keys.approver = await principal(h, 'matrix-approver', 'approver');
  keys.admin = h.adminKey;
  keys.auditor = await principal(h, 'matrix-auditor', 'auditor');
  keys.service = await principal(h, 'matrix-service', 'service', 'web');
});
after(() => h.close());

for (const [method, path, body, admitted] of ROUTES) {
  test(`${method} ${path.replace(/rev_0+/, ':id')} admits only ${admitted.join(', ')}`, async () => {
    const anonymous = await h.call(method, path, null, body);
    assert.equal(anonymous.status, 401, 'no key');
    assert.equal(anonymous.body.code, 'E_UNAUTHENTICATED');
    for (const role of ROLES) {
      const reply = await h.call(method, path, keys[role], body);
      if (admitted.includes(role)) {
        assert.notEqual(reply.status, 401, `${role}: ${JSON.stringify(reply.body)}`);
        assert.ok(reply.status !== 403 || reply.body.code !== 'E_FORBIDDEN', `${role} refused for its role`);
      } else {
        assert.equal(reply.status, 403, `${role} on ${method} ${path}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body.code, 'E_FORBIDDEN');
      }
    }
  });
}

test('a disabled principal is refused like an unknown key', async () => {
  const key = await principal(h, 'soon-disabled', 'auditor');
  assert.equal((await h.call('GET', '/v1/reviews', key)).status, 200);
  await h.gateway.ctx.store.setPrincipalDisabled('auditor:soon-disabled', true);
  assert.equal((await h.call('GET', '/v1/reviews', key)).status, 401);
});
