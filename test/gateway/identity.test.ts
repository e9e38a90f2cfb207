// Identity and behaviour through the real gateway (issue 10): DPoP-bound tokens that only their key can
// use, tiers that cap token lifetime, delegation and recursive revocation, revocation within the tier's
// SLA, and a misbehaving agent throttled to zero by its breaker, all surviving a restart.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeJwt } from 'jose';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import { ath as athOf, type DpopKey, dpopKey, proofFor } from './dpop_client.js';
import { type Harness, principal, startHarness } from './harness.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close().catch(() => {});
});

async function harness(options: Parameters<typeof startHarness>[2] = {}): Promise<Harness> {
  const h = await startHarness(undefined, undefined, options);
  harnesses.push(h);
  return h;
}

interface Raw {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function send(
  h: Harness,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Raw> {
  const response = await fetch(`${h.gateway.url}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

async function accessToken(h: Harness, apiKey: string, key: DpopKey, body: unknown = {}): Promise<Raw> {
  return send(
    h,
    'POST',
    '/v1/token',
    { authorization: `Bearer ${apiKey}`, dpop: await proofFor(h, key, 'POST', '/v1/token') },
    body,
  );
}

/** A call with a DPoP access token and a fresh proof for exactly this request. */
async function dpopCall(
  h: Harness,
  token: string,
  key: DpopKey,
  method: string,
  path: string,
  body?: unknown,
): Promise<Raw> {
  const ath = athOf(token);
  return send(
    h,
    method,
    path,
    { authorization: `DPoP ${token}`, dpop: await proofFor(h, key, method, path, { ath }) },
    body,
  );
}

const observe = { envelope: { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-02' } } };

test('an agent with a key pair gets a DPoP-bound token; its execution tokens redeem only with that key', async () => {
  const h = await harness();
  const apiKey = await principal(h, 'dpop-bot', 'agent', undefined, 'T3');
  const key = dpopKey();
  const issued = await accessToken(h, apiKey, key);
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal(issued.body.token_type, 'DPoP');
  assert.equal(issued.headers.get('cache-control'), 'no-store');
  const token = issued.body.access_token as string;
  const jkt = (issued.body.cnf as { jkt: string }).jkt;
  assert.equal(decodeJwt(token).cnf && (decodeJwt(token).cnf as { jkt: string }).jkt, jkt);

  const allowed = await dpopCall(h, token, key, 'POST', '/v1/actions', observe);
  assert.equal(allowed.status, 200);
  assert.deepEqual(
    decodeJwt(allowed.body.token as string).cnf,
    { jkt },
    'the execution token carries the key',
  );
  const execute = { token: allowed.body.token, tool: 'get_telemetry', args: observe.envelope.args };

  // The same agent with its API key, or with a token bound to another key, cannot redeem it.
  const byKey = await h.call('POST', '/v1/execute', apiKey, execute);
  assert.deepEqual([byKey.status, byKey.body.code], [403, 'E_TOKEN_DPOP_MISMATCH']);
  const otherKey = dpopKey();
  const otherToken = (await accessToken(h, apiKey, otherKey)).body.access_token as string;
  const byOther = await dpopCall(h, otherToken, otherKey, 'POST', '/v1/execute', execute);
  assert.deepEqual([byOther.status, byOther.body.code], [403, 'E_TOKEN_DPOP_MISMATCH']);
  const byOwner = await dpopCall(h, token, key, 'POST', '/v1/execute', execute);
  assert.equal(byOwner.status, 200, JSON.stringify(byOwner.body));

  const me = await dpopCall(h, token, key, 'GET', '/v1/agents/me');
  assert.deepEqual([me.body.id, me.body.dpop_jkt], ['agent:dpop-bot', jkt]);
});

test('a replayed, stale, misaddressed or foreign proof, or an expired token, is a 401 saying why', async () => {
  const h = await harness();
  const apiKey = await principal(h, 'careful-bot', 'agent', undefined, 'T1');
  const key = dpopKey();
  const token = (await accessToken(h, apiKey, key)).body.access_token as string;
  const ath = athOf(token);
  const auth = { authorization: `DPoP ${token}` };

  const proof = await proofFor(h, key, 'POST', '/v1/actions', { ath });
  assert.equal((await send(h, 'POST', '/v1/actions', { ...auth, dpop: proof }, observe)).status, 200);
  const replay = await send(h, 'POST', '/v1/actions', { ...auth, dpop: proof }, observe);
  assert.deepEqual([replay.status, replay.body.code], [401, 'E_DPOP_REPLAYED']);
  assert.match(replay.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_dpop_proof"/);

  const cases: [string, Record<string, string>, string][] = [
    ['wrong URL', { dpop: await proofFor(h, key, 'POST', '/v1/decide', { ath }) }, 'E_DPOP_INVALID'],
    ['wrong method', { dpop: await proofFor(h, key, 'GET', '/v1/actions', { ath }) }, 'E_DPOP_INVALID'],
    [
      'stale',
      {
        dpop: await proofFor(h, key, 'POST', '/v1/actions', {
          ath,
          iat: Math.floor(h.clock.now / 1000) - 120,
        }),
      },
      'E_DPOP_STALE',
    ],
    ['no ath', { dpop: await proofFor(h, key, 'POST', '/v1/actions') }, 'E_DPOP_INVALID'],
    ['another key', { dpop: await proofFor(h, dpopKey(), 'POST', '/v1/actions', { ath }) }, 'E_DPOP_INVALID'],
    ['no proof', {}, 'E_DPOP_INVALID'],
  ];
  for (const [what, headers, code] of cases) {
    const reply = await send(h, 'POST', '/v1/actions', { ...auth, ...headers }, observe);
    assert.deepEqual([reply.status, reply.body.code], [401, code], what);
  }
  // A tampered token, then the real one past its lifetime (T1: 5 minutes).
  const tampered = await send(
    h,
    'POST',
    '/v1/actions',
    {
      authorization: `DPoP ${token.slice(0, -3)}AAA`,
      dpop: await proofFor(h, key, 'POST', '/v1/actions', { ath }),
    },
    observe,
  );
  assert.deepEqual([tampered.status, tampered.body.code], [401, 'E_ACCESS_TOKEN_INVALID']);
  h.clock.now += 5 * 60_000 + 1000;
  const expired = await dpopCall(h, token, key, 'POST', '/v1/actions', observe);
  assert.deepEqual([expired.status, expired.body.code], [401, 'E_ACCESS_TOKEN_INVALID']);
});

test('the tier caps the token lifetime: T0–T2 5 min, T3–T4 30 min, and T5+ is T4 without an attestation', async () => {
  const h = await harness();
  const key = dpopKey();
  const lifetime = async (name: string, tier: string, body: unknown = {}) => {
    const reply = await accessToken(h, await principal(h, name, 'agent', undefined, tier), key, body);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply;
  };
  assert.equal((await lifetime('t0', 'T0')).body.expires_in, 300);
  assert.equal((await lifetime('t2', 'T2', { expires_in: 14_400 })).body.expires_in, 300);
  assert.equal((await lifetime('t4', 'T4')).body.expires_in, 1800);
  assert.equal((await lifetime('t3-short', 'T3', { expires_in: 60 })).body.expires_in, 60);
  const t7 = await lifetime('t7', 'T7');
  assert.deepEqual([t7.body.tier, t7.body.expires_in], ['T4', 1800]);
  assert.match((t7.body.tier_limits as string[]).join(' '), /attestation/);
  const bad = await accessToken(h, await principal(h, 'bad-body', 'agent'), key, { expires_in: 0 });
  assert.equal(bad.status, 400);
});

test('an agent required to use DPoP is refused with its API key everywhere but the token route', async () => {
  const h = await harness();
  const apiKey = await principal(h, 'strict-bot', 'agent', undefined, 'T3');
  assert.equal((await h.call('POST', '/v1/actions', apiKey, observe)).status, 200);
  const set = await h.call('POST', '/v1/admin/principals/agent:strict-bot/dpop', h.adminKey, {
    required: true,
  });
  assert.equal(set.body.dpop_required, true);
  const refused = await h.call('POST', '/v1/actions', apiKey, observe);
  assert.deepEqual([refused.status, refused.body.code], [401, 'E_DPOP_REQUIRED']);
  const key = dpopKey();
  const token = (await accessToken(h, apiKey, key)).body.access_token as string;
  assert.equal((await dpopCall(h, token, key, 'POST', '/v1/actions', observe)).status, 200);
  assert.equal(
    (await h.call('POST', '/v1/admin/principals/agent:strict-bot/dpop', apiKey, { required: false })).status,
    401,
  );
});

test('with server nonces on, a proof without the nonce is told to use the one in DPoP-Nonce', async () => {
  const h = await harness({ identity: { requireDpopNonce: true } });
  const apiKey = await principal(h, 'nonce-bot', 'agent', undefined, 'T3');
  const key = dpopKey();
  const first = await accessToken(h, apiKey, key);
  assert.deepEqual([first.status, first.body.code], [401, 'E_DPOP_USE_NONCE']);
  assert.match(first.headers.get('www-authenticate') ?? '', /error="use_dpop_nonce"/);
  const nonce = first.headers.get('dpop-nonce') as string;
  assert.ok(nonce);
  const second = await send(
    h,
    'POST',
    '/v1/token',
    { authorization: `Bearer ${apiKey}`, dpop: await proofFor(h, key, 'POST', '/v1/token', { nonce }) },
    {},
  );
  assert.equal(second.status, 200);
  const token = second.body.access_token as string;
  const ath = athOf(token);
  const next = second.headers.get('dpop-nonce') as string;
  const call = await send(
    h,
    'POST',
    '/v1/actions',
    {
      authorization: `DPoP ${token}`,
      dpop: await proofFor(h, key, 'POST', '/v1/actions', { ath, nonce: next }),
    },
    observe,
  );
  assert.equal(call.status, 200);
});

test('delegation: a child gets a subset, the chain stops at the tier’s depth, and revoking the root stops a grandchild at once', async () => {
  const h = await harness();
  const rootKey = await principal(h, 'root-bot', 'agent', undefined, 'T3');
  const child = await h.call('POST', '/v1/agents/delegates', rootKey, {
    name: 'child-bot',
    tools: ['get_telemetry', 'restart_workload'],
  });
  assert.equal(child.status, 201, JSON.stringify(child.body));
  assert.deepEqual(
    [child.body.parent_id, child.body.scope, child.body.certified_tier],
    ['agent:root-bot', { tools: ['get_telemetry', 'restart_workload'] }, 'T3'],
  );
  const childKey = child.body.api_key as string;
  const grandchild = await h.call('POST', '/v1/agents/delegates', childKey, {
    name: 'grandchild-bot',
    tools: ['get_telemetry'],
  });
  assert.equal(grandchild.status, 201);
  const grandKey = grandchild.body.api_key as string;

  const wider = await h.call('POST', '/v1/agents/delegates', childKey, {
    name: 'wide-bot',
    tools: ['isolate_vlan'],
  });
  assert.deepEqual([wider.status, wider.body.code], [403, 'E_DELEGATION_REFUSED']);
  const deeper = await h.call('POST', '/v1/agents/delegates', grandKey, {
    name: 'deep-bot',
    tools: ['get_telemetry'],
  });
  assert.deepEqual([deeper.status, deeper.body.code], [403, 'E_DELEGATION_REFUSED']);
  const lowTier = await h.call(
    'POST',
    '/v1/agents/delegates',
    await principal(h, 'low-bot', 'agent', undefined, 'T2'),
    { name: 'x-bot', tools: ['get_telemetry'] },
  );
  assert.match(String(lowTier.body.detail), /cannot delegate/);

  const outside = await h.call('POST', '/v1/actions', grandKey, {
    envelope: { intent: 'observe', tool: 'read_logs', args: { source: 'syslog' } },
  });
  assert.deepEqual([outside.body.decision, outside.body.rule], ['DENY', 'DELEGATION_SCOPE']);
  assert.equal((await h.call('POST', '/v1/actions', grandKey, observe)).body.decision, 'ALLOW');

  // Only an ancestor revokes; the root's revocation takes its whole subtree.
  assert.equal((await h.call('POST', '/v1/agents/agent:root-bot/revoke', grandKey)).status, 403);
  const revoked = await h.call('POST', '/v1/admin/principals/agent:root-bot/revoke', h.adminKey);
  assert.deepEqual(revoked.body.revoked, ['agent:root-bot', 'agent:child-bot', 'agent:grandchild-bot']);
  for (const key of [rootKey, childKey, grandKey])
    assert.equal((await h.call('POST', '/v1/actions', key, observe)).status, 401);
  const entries = await h.call('GET', '/v1/agents/agent:grandchild-bot/trust', h.adminKey);
  assert.ok(entries.body.revoked_at);
});

test('revocation by another instance is seen within the tier’s SLA: T5+ on the next call, T3 within 15 s, T1 within 60 s', async () => {
  const h = await harness();
  const keys = {
    T5: await principal(h, 'sla-t5', 'agent', undefined, 'T5'),
    T3: await principal(h, 'sla-t3', 'agent', undefined, 'T3'),
    T1: await principal(h, 'sla-t1', 'agent', undefined, 'T1'),
  };
  for (const key of Object.values(keys))
    assert.equal((await h.call('POST', '/v1/actions', key, observe)).status, 200);
  // Another gateway instance sharing the store revokes all three.
  const other = await openSqliteStore(join(h.dataDir, 'carapace.db'));
  const start = h.clock.now;
  for (const tier of ['T5', 'T3', 'T1'])
    await other.revokePrincipal(`agent:sla-${tier.toLowerCase()}`, new Date(start).toISOString());
  await other.close();
  const seenAfter: Record<string, number> = {};
  for (let waited = 0; waited <= 61_000 && Object.keys(seenAfter).length < 3; waited += 1000) {
    h.clock.now = start + waited;
    for (const [tier, key] of Object.entries(keys))
      if (!(tier in seenAfter) && (await h.call('POST', '/v1/decide', key, observe)).status === 401)
        seenAfter[tier] = waited;
  }
  assert.equal(seenAfter.T5, 0);
  assert.ok((seenAfter.T3 as number) <= 15_000, `T3 saw it after ${seenAfter.T3} ms`);
  assert.ok((seenAfter.T1 as number) <= 60_000, `T1 saw it after ${seenAfter.T1} ms`);
});

test('a misbehaving agent is throttled to zero by its breaker; observing still works; an admin closes it; it holds across a restart', async () => {
  const h = await harness();
  const agentKey = await principal(h, 'burst-bot', 'agent', 'operator-console', 'T3');
  const note = await h.call('POST', '/v1/ingest', agentKey, {
    content: 'operator: restart web-7 on sj-01 after the deploy',
  });
  const restart = {
    envelope: {
      intent: 'remediate_reversible',
      tool: 'restart_workload',
      args: { workload: 'web-7', site: 'sj-01' },
      source_signals: [note.body.id],
    },
  };
  assert.equal((await h.call('POST', '/v1/actions', agentKey, restart)).body.decision, 'ALLOW');

  // 150 proposals in 15 s: fifteen times the warm-up floor of 10 a minute.
  const decisions: string[] = [];
  for (let i = 0; i < 150; i++) {
    h.clock.now += 100;
    const reply = await h.call('POST', '/v1/actions', agentKey, restart);
    decisions.push(`${reply.body.decision}/${reply.body.rule}`);
  }
  const first = decisions.indexOf('DENY/BREAKER');
  assert.ok(first > 0, 'the breaker opened during the burst');
  assert.ok(
    decisions.slice(first).every((d) => d === 'DENY/BREAKER'),
    'nothing non-observe passed after it opened',
  );
  const kinds = (await h.call('GET', '/v1/agents/agent:burst-bot/trust', h.adminKey)).body;
  assert.equal((kinds.breaker as { open: boolean }).open, true);
  assert.equal(
    (await h.call('POST', '/v1/actions', agentKey, observe)).body.decision,
    'ALLOW',
    'observing is allowed',
  );

  await h.restart();
  h.clock.now += 120_000;
  assert.equal(
    (await h.call('POST', '/v1/actions', agentKey, restart)).body.rule,
    'BREAKER',
    'still open after the restart',
  );
  assert.equal(
    (await h.call('POST', '/v1/admin/agents/agent:burst-bot/breaker/close', agentKey)).status,
    403,
  );
  const closed = await h.call('POST', '/v1/admin/agents/agent:burst-bot/breaker/close', h.adminKey);
  assert.equal(closed.status, 200);
  assert.equal(
    (await h.call('POST', '/v1/admin/agents/agent:burst-bot/breaker/close', h.adminKey)).status,
    409,
  );
  const trust = (await h.call('GET', '/v1/agents/agent:burst-bot/trust', h.adminKey)).body;
  assert.ok((trust.tier as { score: number }).score < 500, 'the trip lowered the trust score');
});

test('denials lower the effective tier, and a policy’s minimum tier follows it', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const policyFile = join(mkdtempSync(join(tmpdir(), 'carapace-pol-')), 'tiers.policy');
  writeFileSync(policyFile, 'Agents below T3 may not call get_telemetry.\n');
  const h = await harness({ policyFile });
  const agentKey = await principal(h, 'tier-bot', 'agent', undefined, 'T3');
  assert.equal((await h.call('POST', '/v1/actions', agentKey, observe)).body.decision, 'ALLOW');
  const r9 = { envelope: { intent: 'observe', tool: 'no_such_tool', args: {} } };
  assert.equal((await h.call('POST', '/v1/actions', agentKey, r9)).body.decision, 'DENY');
  const trust = (await h.call('GET', '/v1/agents/agent:tier-bot/trust', h.adminKey)).body;
  assert.equal((trust.tier as { tier: string }).tier, 'T2');
  assert.match(((trust.tier as { limits: string[] }).limits ?? []).join(' '), /runtime score/);
  const after = await h.call('POST', '/v1/actions', agentKey, observe);
  assert.equal(after.body.decision, 'DENY');
  assert.match(String(after.body.explanation), /below T3/);
  // An admin's new certification raises the score to its floor again.
  await h.call('POST', '/v1/admin/principals/agent:tier-bot/tier', h.adminKey, { tier: 'T3' });
  assert.equal((await h.call('POST', '/v1/actions', agentKey, observe)).body.decision, 'ALLOW');
});
