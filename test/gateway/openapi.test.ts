// The OpenAPI 3.1 document is served without a key at GET /v1/openapi.json, lists every /v1 route
// with its method, and carries each route's request schema and the bearer security scheme.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Harness, startHarness } from './harness.js';

interface Operation {
  security?: unknown[];
  requestBody?: { content: { 'application/json': { schema: { additionalProperties?: boolean } } } };
  parameters?: { in: string; name: string }[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}

const V1_ROUTES = [
  ['post', '/v1/admin/channels'],
  ['post', '/v1/admin/principals'],
  ['get', '/v1/admin/principals'],
  ['post', '/v1/admin/principals/{id}/tier'],
  ['get', '/v1/policy'],
  ['post', '/v1/admin/policy/reload'],
  ['post', '/v1/ingest'],
  ['post', '/v1/ingest/image'],
  ['post', '/v1/decide'],
  ['post', '/v1/actions'],
  ['post', '/v1/execute'],
  ['post', '/v1/redeem'],
  ['post', '/v1/results'],
  ['get', '/v1/reviews'],
  ['get', '/v1/reviews/{id}'],
  ['post', '/v1/reviews/{id}/approve'],
  ['post', '/v1/reviews/{id}/reject'],
  ['get', '/v1/openapi.json'],
  ['post', '/v1/token'],
  ['get', '/v1/agents/me'],
  ['get', '/v1/agents/me/attestation/nonce'],
  ['post', '/v1/agents/me/attestation'],
  ['post', '/v1/agents/delegates'],
  ['post', '/v1/agents/{id}/revoke'],
  ['get', '/v1/agents/{id}/trust'],
  ['post', '/v1/admin/principals/{id}/revoke'],
  ['post', '/v1/admin/principals/{id}/dpop'],
  ['post', '/v1/admin/agents/{id}/breaker/close'],
  ['post', '/v1/admin/agents/{id}/trust/accept'],
  ['get', '/v1/admin/channels'],
  ['get', '/v1/audit/checkpoints'],
  ['get', '/v1/audit/entries'],
  ['get', '/v1/audit/entries/{seq}'],
  ['get', '/v1/audit/entries/{seq}/receipt'],
  ['get', '/v1/audit/key'],
  ['get', '/v1/audit/witness'],
  ['get', '/v1/decisions'],
  ['get', '/v1/decisions/{seq}'],
  ['get', '/v1/demo'],
  ['get', '/v1/demo/stream'],
  ['get', '/v1/events'],
  ['get', '/v1/me'],
  ['post', '/v1/audit/verify'],
  ['post', '/v1/demo/runs'],
  ['get', '/v1/admin/instructions'],
  ['post', '/v1/admin/instructions'],
  ['get', '/v1/admin/instructions/{agent}/{hash}'],
  ['post', '/v1/admin/instructions/{agent}/{hash}/approve'],
  ['post', '/v1/admin/instructions/{agent}/{hash}/revoke'],
  ['post', '/v1/admin/channels/{name}/signing'],
  ['get', '/v1/admin/channels/{name}/signing'],
] as const;

let h: Harness;
let doc: Document;
let raw: string;

before(async () => {
  h = await startHarness();
  const response = await fetch(`${h.gateway.url}/v1/openapi.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  raw = await response.text();
  doc = JSON.parse(raw) as Document;
});
after(() => h.close());

test('the document is JSON, OpenAPI 3.1.0, titled Carapace, versioned as the package', () => {
  assert.doesNotThrow(() => JSON.parse(raw));
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.title, 'Carapace');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(doc.info.version, pkg.version);
  assert.deepEqual(doc.components.securitySchemes.bearer, {
    type: 'http',
    scheme: 'bearer',
    description: 'an API key (cpk_...)',
  });
});

test('every /v1 route is listed with its method, and no other /v1 route is', () => {
  for (const [method, path] of V1_ROUTES)
    assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  const listed = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
    .sort();
  assert.deepEqual(listed, V1_ROUTES.map(([m, p]) => `${m} ${p}`).sort());
});

test('every route that takes a body documents a closed schema; keyed routes require the bearer scheme', () => {
  for (const [method, path] of V1_ROUTES) {
    const op = doc.paths[path]?.[method] as Operation;
    if (method === 'post')
      assert.equal(op.requestBody?.content['application/json'].schema.additionalProperties, false, path);
    const open = path === '/v1/openapi.json';
    assert.deepEqual(op.security, open ? [] : [{ bearer: [] }], path);
  }
  assert.deepEqual(
    doc.paths['/v1/reviews/{id}']?.get?.parameters?.map((p) => [p.in, p.name]),
    [['path', 'id']],
  );
});

test('the document needs no key, and the health and metrics endpoints are in it too', async () => {
  for (const path of ['/healthz', '/readyz', '/metrics']) assert.ok(doc.paths[path]?.get, path);
  assert.equal((await h.call('GET', '/v1/openapi.json', 'cpk_not-a-real-key')).status, 200);
});
