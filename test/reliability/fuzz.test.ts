// Hostile input on every route of the gateway and on the CLI's JSON inputs (issue 13 item 5), a few
// runs each: no 5xx, no crash, every error as {error, code, detail}, nothing malformed accepted or
// ALLOWed, no prototype polluted, and /healthz still answers after. The MCP gateway's /mcp and the
// broker's /v1/attestation, mounted only with their options, are fuzzed on gateways of their own. `npm run stress -- fuzz` runs the
// same with 100,000 inputs per route. CARAPACE_FUZZ_SEED replays a run.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { CLI_TARGETS, fuzzCli } from './fuzz_cli.js';
import { type FuzzTarget, fuzzRoute, openFuzzTarget, pollution, stillHealthy } from './fuzz_gateway.js';
import {
  answersHealth,
  callable,
  fuzzAttestation,
  fuzzMcp,
  openAttestationFuzzTarget,
  openMcpFuzzTarget,
} from './fuzz_mcp.js';

const SEED = Number(process.env.CARAPACE_FUZZ_SEED) || Date.now() % 1_000_000_000;
const RUNS_PER_ROUTE = 80;
const RUNS_PER_CLI_INPUT = 150;
const RUNS_MCP = 200;
const RUNS_ATTESTATION = 200;
const REPO = fileURLToPath(new URL('../../', import.meta.url));

let target: FuzzTarget;
before(async () => {
  target = await openFuzzTarget();
});
after(() => target.close());

function report(violations: { route: string; request: string; problem: string }[]): string {
  return `seed ${SEED}:\n${violations
    .slice(0, 10)
    .map((v) => `${v.route}: ${v.request}\n  => ${v.problem}`)
    .join('\n')}`;
}

test('the fuzz covers every /v1 route of the OpenAPI document, health, metrics and the OpenAI proxy', () => {
  const names = new Set(target.routes.map((r) => `${r.method} ${r.path}`));
  for (const name of [
    'GET /healthz',
    'GET /readyz',
    'GET /metrics',
    'POST /v1/actions',
    'POST /v1/decide',
    'GET /v1/reviews/{id}',
    'GET /v1/events',
    'POST /v1/chat/completions',
    'GET /v1/models',
  ])
    assert.ok(names.has(name), name);
  assert.ok(target.routes.length >= 45, `${target.routes.length} routes`);
});

test('every route, as each role and as no one: no 5xx, errors as {error, code, detail}, nothing malformed accepted, no pollution', async () => {
  const violations = [];
  const statuses = new Set<number>();
  for (const [i, route] of target.routes.entries()) {
    const result = await fuzzRoute(target, route, RUNS_PER_ROUTE, {
      seed: SEED + i * 100_003,
      concurrency: 4,
    });
    violations.push(...result.violations);
    for (const status of result.statuses.keys()) statuses.add(status);
  }
  assert.deepEqual(violations, [], report(violations));
  // The inputs reached past authentication and validation, not only the front door.
  for (const status of [200, 400, 401, 403, 404]) assert.ok(statuses.has(status), `no ${status} seen`);
  assert.equal(pollution(), null);
  assert.ok(await stillHealthy(target), '/healthz answers after the fuzzing');
});

test('the CLI JSON inputs: only {error, code, detail} refusals, nothing malformed decided, no pollution', async () => {
  const violations = [];
  for (const [i, cli] of CLI_TARGETS.entries())
    violations.push(...(await fuzzCli(cli, RUNS_PER_CLI_INPUT, { seed: SEED + i })).violations);
  assert.deepEqual(violations, [], report(violations));
});

test('the carapace process refuses hostile standard input with exit 2 and {error, code, detail}', () => {
  const cases: [string[], string][] = [
    [
      ['decide'],
      `{"envelope":{"intent":"observe","tool":"get_telemetry","args":{}},"__proto__":{"polluted":1}}`,
    ],
    [['inspect', '--json-input'], '{"a":"\\ud800","b":1e309}'],
  ];
  for (const [args, input] of cases) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO,
      input,
      encoding: 'utf8',
    });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    const body = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'error'], run.stdout);
    assert.notEqual(body.code, 'E_INTERNAL', run.stdout);
  }
});

test('what may run a tool on /mcp: a JSON-RPC 2.0 tools/call of a configured tool, as JSON.parse reads it', () => {
  const call = (extra: Record<string, unknown>) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'ops.get_telemetry', arguments: { target: 'x' } },
      ...extra,
    });
  assert.equal(callable(call({})), true);
  assert.equal(callable(`[${call({})}]`), true);
  assert.equal(callable(call({ jsonrpc: '1.0' })), false);
  assert.equal(callable(call({ id: 1.5 })), false);
  assert.equal(callable(call({ params: { name: 'ops.format_disk' } })), false);
  assert.equal(callable(call({ params: { name: 'ops.get_telemetry', arguments: [] } })), false);
  assert.equal(callable('{"jsonrpc":"2.0","id":1,"method":"tools/call"'), false);
});

test('/mcp (Streamable HTTP): hostile JSON-RPC, sessions and headers get no 5xx, only JSON-RPC or {error, code, detail} refusals, no tool run for a malformed or unauthenticated request, no pollution', async () => {
  const mcp = await openMcpFuzzTarget();
  try {
    const result = await fuzzMcp(mcp, RUNS_MCP, { seed: SEED });
    assert.deepEqual(result.violations, [], report(result.violations));
    // The inputs reached past authentication, the session check and the transport, not only the door.
    for (const status of [200, 400, 401, 403, 404])
      assert.ok(result.statuses.has(status), `no ${status} seen: ${JSON.stringify([...result.statuses])}`);
    assert.equal(pollution(), null);
    assert.ok(await answersHealth(mcp.gateway.url), '/healthz answers after the fuzzing');
  } finally {
    await mcp.close();
  }
});

test('/v1/attestation (broker): hostile nonces, wrong methods and bad keys get no 5xx, {error, code, detail} refusals, an attestation only for 64 hex', async () => {
  const broker = await openAttestationFuzzTarget();
  try {
    const result = await fuzzAttestation(broker, RUNS_ATTESTATION, { seed: SEED, concurrency: 4 });
    assert.deepEqual(result.violations, [], report(result.violations));
    for (const status of [200, 400, 401])
      assert.ok(result.statuses.has(status), `no ${status} seen: ${JSON.stringify([...result.statuses])}`);
    assert.equal(pollution(), null);
    assert.ok(await answersHealth(broker.gateway.url), '/healthz answers after the fuzzing');
  } finally {
    await broker.close();
  }
});
