// GET /metrics speaks the Prometheus text format: decisions by decision and rule, HTTP requests by
// route pattern and status with a duration histogram, the audit log's size, and token redemptions.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startGateway } from '../../src/gateway/serve.js';
import { type Harness, principal, startHarness } from './harness.js';

let h: Harness;
let agent: string;
const ENVELOPE = { intent: 'observe', tool: 'get_telemetry', args: { target: 'vm-01' } };

before(async () => {
  h = await startHarness();
  await h.call('POST', '/v1/admin/channels', h.adminKey, { name: 'web', trust: 'untrusted' });
  agent = await principal(h, 'metrics-agent', 'agent', 'web');
});
after(() => h.close());

/** Parses the exposition text into `name{labels}` → value, checking every line is well formed. */
async function scrape(base = h.gateway.url): Promise<Map<string, number>> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) carapace_[a-z_]+ .+$/, line);
      continue;
    }
    const m = /^(carapace_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `malformed sample: ${line}`);
    assert.ok(!Number.isNaN(Number(m[2])), line);
    samples.set(m[1] as string, Number(m[2]));
  }
  return samples;
}

const get = (s: Map<string, number>, key: string) => s.get(key) ?? 0;

test('every metric family is declared with its type', async () => {
  const text = await (await fetch(`${h.gateway.url}/metrics`)).text();
  for (const [name, type] of [
    ['carapace_decisions_total', 'counter'],
    ['carapace_http_requests_total', 'counter'],
    ['carapace_http_request_duration_seconds', 'histogram'],
    ['carapace_audit_entries', 'gauge'],
    ['carapace_token_redemptions_total', 'counter'],
  ])
    assert.ok(text.includes(`# TYPE ${name} ${type}\n`), name);
});

test('a decision from /v1/decide or /v1/actions moves carapace_decisions_total for its decision and rule', async () => {
  const before = await scrape();
  const decided = await h.call('POST', '/v1/decide', agent, { envelope: ENVELOPE });
  assert.equal(decided.status, 200);
  const { decision, rule } = decided.body.record as { decision: string; rule: string };
  const key = `carapace_decisions_total{decision="${decision}",rule="${rule}"}`;
  assert.equal(get(await scrape(), key), get(before, key) + 1);
  await h.call('POST', '/v1/actions', agent, { envelope: ENVELOPE });
  assert.equal(get(await scrape(), key), get(before, key) + 2);
  // A refused request produces no record and counts nothing.
  await h.call('POST', '/v1/actions', agent, { envelope: { ...ENVELOPE, sudo: true } });
  assert.equal(get(await scrape(), key), get(before, key) + 2);
});

test('requests are counted by route pattern and status, with a cumulative duration histogram', async () => {
  const route = '/v1/reviews/:id';
  const before = await scrape();
  await h.call('GET', `/v1/reviews/rev_${'1'.repeat(32)}`, h.adminKey);
  await h.call('GET', `/v1/reviews/rev_${'2'.repeat(32)}`, h.adminKey);
  await h.call('GET', '/v1/reviews', null);
  await h.call('GET', '/no/such/path', null);
  const after = await scrape();
  const at = (name: string, labels: string) =>
    get(after, `${name}{${labels}}`) - get(before, `${name}{${labels}}`);
  assert.equal(at('carapace_http_requests_total', `route="${route}",status="404"`), 2);
  assert.equal(at('carapace_http_requests_total', 'route="/v1/reviews",status="401"'), 1);
  assert.equal(at('carapace_http_requests_total', 'route="unmatched",status="404"'), 1);
  assert.ok(![...after.keys()].some((k) => k.includes('rev_')), 'no raw ids in labels');

  const count = get(after, `carapace_http_request_duration_seconds_count{route="${route}"}`);
  assert.equal(count - get(before, `carapace_http_request_duration_seconds_count{route="${route}"}`), 2);
  assert.equal(
    get(after, `carapace_http_request_duration_seconds_bucket{route="${route}",le="+Inf"}`),
    count,
  );
  const buckets = [...after.entries()]
    .filter(([k]) => k.startsWith(`carapace_http_request_duration_seconds_bucket{route="${route}",`))
    .map(([, v]) => v);
  assert.ok(buckets.length > 2);
  assert.deepEqual(
    buckets,
    [...buckets].sort((a, b) => a - b),
    'buckets are cumulative',
  );
  assert.ok(get(after, `carapace_http_request_duration_seconds_sum{route="${route}"}`) > 0);
});

test('carapace_audit_entries follows the audit log', async () => {
  const before = get(await scrape(), 'carapace_audit_entries');
  assert.equal(before, h.gateway.ctx.audit.size);
  await h.call('POST', '/v1/actions', agent, { envelope: ENVELOPE });
  const after = get(await scrape(), 'carapace_audit_entries');
  assert.ok(after > before);
  assert.equal(after, h.gateway.ctx.audit.size);
});

test('token redemptions are counted by outcome: redeemed, then refused as replayed', async () => {
  const allowed = await h.call('POST', '/v1/actions', agent, { envelope: ENVELOPE });
  const body = { token: allowed.body.token, tool: 'get_telemetry', args: ENVELOPE.args };
  const before = await scrape();
  assert.equal((await h.call('POST', '/v1/execute', agent, body)).status, 200);
  assert.equal((await h.call('POST', '/v1/execute', agent, body)).status, 403);
  const after = await scrape();
  for (const outcome of ['redeemed', 'E_TOKEN_REPLAYED']) {
    const key = `carapace_token_redemptions_total{outcome="${outcome}"}`;
    assert.equal(get(after, key) - get(before, key), 1, outcome);
  }
});

test('from a non-loopback address /metrics needs an admin or auditor key', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) return t.skip('no non-loopback IPv4 interface on this host');
  const gw = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-metrics-')),
    port: 0,
    host: '0.0.0.0',
    dev: true,
    logLevel: 'silent',
  });
  try {
    const url = `http://${external.address}:${new URL(gw.url).port}/metrics`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'E_UNAUTHENTICATED');
    const keyed = await fetch(url, { headers: { authorization: `Bearer ${gw.devAdminKey}` } });
    assert.equal(keyed.status, 200);
    assert.match(await keyed.text(), /carapace_audit_entries \d+/);
  } finally {
    await gw.close();
  }
});
