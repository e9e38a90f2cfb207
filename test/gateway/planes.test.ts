// Dual-channel authorisation: with split planes, the control plane (admin, approver and auditor routes,
// the console) is on its own listener where agent credentials are refused outright and audited, and each
// plane's routes are unknown on the other's listener.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildGateway } from '../../src/gateway/app.js';
import { isClassified, planeOfRoute } from '../../src/gateway/planes.js';
import { openGatewayContext, type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { ath, dpopKey } from './dpop_client.js';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

let gateway: RunningGateway;
let admin: string;
let agent: string;

async function call(base: string, method: string, path: string, key: string | null, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

before(async () => {
  gateway = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-planes-')),
    port: 0,
    controlPort: 0,
    planes: 'split',
    dev: true,
    logLevel: 'silent',
  });
  admin = gateway.devAdminKey as string;
  const created = await call(gateway.controlUrl, 'POST', '/v1/admin/principals', admin, {
    name: 'ops-agent',
    role: 'agent',
    channel: 'operator-console',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  agent = created.body.api_key as string;
});

after(() => gateway.close());

/** A DPoP proof for an absolute URL at the wall clock (the gateway here runs on it). */
function proof(
  key: ReturnType<typeof dpopKey>,
  method: string,
  url: string,
  token?: string,
): Promise<string> {
  return new SignJWT({
    jti: randomBytes(12).toString('base64url'),
    htm: method,
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    ...(token ? { ath: ath(token) } : {}),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey);
}

test('the planes are two listeners on two ports', () => {
  assert.notEqual(new URL(gateway.url).port, new URL(gateway.controlUrl).port);
});

test('an agent key is refused on the control plane, on every route, and the refusal is audited', async () => {
  for (const [method, path] of [
    ['GET', '/v1/me'],
    ['GET', '/v1/admin/principals'],
    ['GET', '/v1/reviews/rev_x'],
  ] as const) {
    const refused = await call(gateway.controlUrl, method, path, agent);
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.equal(refused.body.code, 'E_CONTROL_PLANE_AGENT');
  }
  const entries = await call(gateway.controlUrl, 'GET', '/v1/audit/entries?limit=200', admin);
  assert.equal(entries.status, 200, JSON.stringify(entries.body));
  const refusals = (entries.body.entries as { kind: string; payload: Record<string, unknown> }[]).filter(
    (e) => e.kind === 'auth.control_plane_refused',
  );
  assert.ok(refusals.length >= 3);
  assert.equal(refusals[0]?.payload.role, 'agent');
  assert.equal(refusals[0]?.payload.principal, 'agent:ops-agent');
  assert.ok(!JSON.stringify(refusals).includes(agent), 'the key is never in the audit log');
});

test('an agent DPoP token is refused on the control plane too', async () => {
  const key = dpopKey();
  await call(gateway.controlUrl, 'POST', '/v1/admin/principals/agent:ops-agent/dpop', admin, {
    required: true,
  });
  const tokenUrl = `${gateway.url}/v1/token`;
  const issued = await fetch(tokenUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${agent}`, dpop: await proof(key, 'POST', tokenUrl) },
  });
  assert.equal(issued.status, 200, await issued.clone().text());
  const token = ((await issued.json()) as { access_token: string }).access_token;
  const meUrl = `${gateway.controlUrl}/v1/me`;
  const refused = await fetch(meUrl, {
    headers: { authorization: `DPoP ${token}`, dpop: await proof(key, 'GET', meUrl, token) },
  });
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { code: string }).code, 'E_CONTROL_PLANE_AGENT');
  // The same token works on the data plane.
  const dataMe = `${gateway.url}/v1/agents/me`;
  const ok = await fetch(dataMe, {
    headers: { authorization: `DPoP ${token}`, dpop: await proof(key, 'GET', dataMe, token) },
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  await call(gateway.controlUrl, 'POST', '/v1/admin/principals/agent:ops-agent/dpop', admin, {
    required: false,
  });
});

test('a control route asked on the data listener is unknown there, whoever asks', async () => {
  for (const key of [admin, agent, null]) {
    const answer = await call(gateway.url, 'GET', '/v1/admin/principals', key);
    assert.equal(answer.status, 404);
    assert.equal(answer.body.code, 'E_WRONG_PLANE');
  }
  const approve = await call(gateway.url, 'POST', '/v1/reviews/rev_x/approve', admin, {});
  assert.equal(approve.status, 404);
  // Both listeners are on loopback here (as with `npm start`): a browser opening the data listener's /
  // is sent to the console on the control listener; nothing of the console is served on the data one.
  const opened = await fetch(`${gateway.url}/`, { redirect: 'manual' });
  assert.equal(opened.status, 302);
  assert.equal(opened.headers.get('location'), `${gateway.controlUrl}/`);
  const asset = await fetch(`${gateway.url}/index.html`, { redirect: 'manual' });
  assert.equal(asset.status, 404);
  const posted = await fetch(`${gateway.url}/`, { method: 'POST', redirect: 'manual' });
  assert.equal(posted.status, 404);
  // On the control listener the console is there (200 when built, 503 E_CONSOLE_NOT_BUILT when not).
  assert.ok([200, 503].includes((await fetch(`${gateway.controlUrl}/`)).status));
});

test('a data route asked on the control listener is unknown there', async () => {
  const ingest = await call(gateway.controlUrl, 'POST', '/v1/ingest', agent, { content: 'x', session: 's' });
  assert.equal(ingest.status, 404);
  assert.equal(ingest.body.code, 'E_WRONG_PLANE');
});

test('agents act on the data plane; humans use the control plane; health answers on both', async () => {
  const chunk = await call(gateway.url, 'POST', '/v1/ingest', agent, {
    content: 'billing-api is down',
    session: 's1',
  });
  assert.equal(chunk.status, 201, JSON.stringify(chunk.body));
  assert.equal((await call(gateway.url, 'GET', '/v1/me', agent)).status, 200);
  assert.equal((await call(gateway.controlUrl, 'GET', '/v1/me', admin)).status, 200);
  assert.equal((await call(gateway.controlUrl, 'GET', '/v1/reviews', admin)).status, 200);
  for (const base of [gateway.url, gateway.controlUrl])
    assert.equal((await call(base, 'GET', '/healthz', null)).status, 200);
  // The admin's key is not a data-plane credential for agent routes (role check as before).
  assert.equal(
    (await call(gateway.url, 'POST', '/v1/ingest', admin, { content: 'x', session: 's' })).status,
    403,
  );
});

test('every route the gateway registers is classified on purpose', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-planes-routes-'));
  const opened = await openGatewayContext({
    dataDir,
    openedBy: 'planes test',
    adapters: { openai: { upstreamUrl: 'http://127.0.0.1:9/v1' } },
  });
  // The console's built files (one route each, control by default) are left out: they change per build.
  const app = buildGateway(opened.ctx, { console: { dataDir }, consoleAssets: join(dataDir, 'no-console') });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route.url);
  });
  await app.ready();
  assert.ok(routes.length > 30, `found ${routes.length} routes`);
  const unclassified = routes.filter((r) => !isClassified(r));
  assert.deepEqual(unclassified, [], 'add each to ROUTE_PLANES in src/gateway/planes.ts');
  await app.close();
  await opened.close();
});

test('the route table: admin is control, agent actions are data, unknown routes default to control', () => {
  assert.equal(planeOfRoute('/v1/admin/anything/new'), 'control');
  assert.equal(planeOfRoute('/v1/reviews/:id/approve'), 'control');
  assert.equal(planeOfRoute('/v1/actions'), 'data');
  assert.equal(planeOfRoute('/mcp'), 'data');
  assert.equal(planeOfRoute('/v1/never-classified'), 'control');
  assert.equal(planeOfRoute('/healthz'), 'any');
  assert.equal(
    planeOfRoute('/assets/index-abc123.js'),
    'control',
    'the console is served on the control plane',
  );
});
