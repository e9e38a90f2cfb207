// The canary test, end to end through a real gateway: an agent runs brokered HTTP calls against a local
// HTTPS echo server (the test CA trusted by the broker only) that sends the credential back in every
// form it can. The canary secret must not appear in any HTTP answer, any log line (trace level), any
// error, any audit entry or any file of the data directory (audit segments, database, vault, keys).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { GatewayAttestation } from '../../src/vault/attestation.js';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { Vault } from '../../src/vault/vault.js';
import { verifySignedOutput } from '../../src/vault/verify_output.js';
import { type EchoServer, pki, startEchoServer } from '../executors/http/echo_server.js';
import { auditEvents } from '../sdk/helpers.js';
import { CANARY, encodedForms, freshDataDir, githubPolicy, leaksIn } from './helpers.js';

let echo: EchoServer;
let gateway: RunningGateway;
let dataDir: string;
const logChunks: string[] = [];
const answers: string[] = [];
let agentKey = '';
let chunk = '';

async function call(method: string, path: string, key: string | null, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

const url = (path: string) => `https://api.github.test:${echo.port}${path}`;

async function propose(args: Record<string, unknown>, intent: string) {
  return call('POST', '/v1/actions', agentKey, {
    envelope: { intent, tool: 'http.request', args, source_signals: [chunk], session: 'ops' },
  });
}

async function proposeAndRun(args: Record<string, unknown>, intent = 'observe') {
  const proposed = await propose(args, intent);
  assert.equal(proposed.body.decision, 'ALLOW', JSON.stringify(proposed.body));
  return call('POST', '/v1/execute', agentKey, { token: proposed.body.token, tool: 'http.request', args });
}

before(async () => {
  echo = await startEchoServer();
  dataDir = freshDataDir('carapace-leak-');
  const vault = new Vault(dataDir, { env: {} });
  const local = { ports: [echo.port], addresses: 'any', methods: ['GET', 'POST', 'DELETE'] };
  vault.put('github', Buffer.from(CANARY), { ...githubPolicy('api.github.test'), ...local });
  vault.put('github-public-only', Buffer.from(`${CANARY}-2`), {
    ...githubPolicy('api.github.test'),
    ...local,
    addresses: 'public',
  });
  const signer = OutputSigner.fromVault(vault);
  gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'trace',
    logStream: new Writable({
      write(c: Buffer, _e, done) {
        logChunks.push(c.toString('utf8'));
        done();
      },
    }),
    broker: {
      vault,
      signer,
      attestation: new GatewayAttestation(signer, '/nonexistent/carapace-test/tsm/report'),
      // The stand-in's name resolves to loopback: a test resolver, named so.
      http: { ca: [pki.ca], resolve: async () => [{ address: '127.0.0.1', family: 4 }] },
    },
  });
  const created = await call('POST', '/v1/admin/principals', gateway.devAdminKey, {
    name: 'ops-agent',
    role: 'agent',
    channel: 'operator-console',
  });
  agentKey = created.body.api_key as string;
  const note = await call('POST', '/v1/ingest', agentKey, {
    content: 'operator: file the nightly report issue',
    session: 'ops',
  });
  chunk = note.body.id as string;
});

after(async () => {
  await echo.close();
});

test('a GET is observe (R8 ALLOW); the server got the token, the agent got its echo stripped and a signed output', async () => {
  const run = await proposeAndRun({ secret_id: 'github', method: 'GET', url: url('/user') });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const result = run.body.result as {
    details: { response: { body: string }; signed_output: unknown; secret: { id: string } };
  };
  assert.equal(echo.received.at(-1)?.headers.authorization, `Bearer ${CANARY}`);
  assert.match(result.details.response.body, /REDACTED:vault:github/);
  assert.equal(result.details.secret.id, 'github');
  const verdict = await verifySignedOutput(result.details.signed_output, { allowNoTee: true });
  assert.equal(verdict.passed, true, JSON.stringify(verdict));
});

test('every echo form through the gateway, a POST allowed by R7 from trusted input, and a DELETE held for review', async () => {
  for (const path of ['/status-line', '/header', '/encoded', '/gzip', '/binary', '/redirect'])
    assert.equal(
      (await proposeAndRun({ secret_id: 'github', method: 'GET', url: url(path) })).status,
      200,
      path,
    );
  const post = await proposeAndRun(
    {
      secret_id: 'github',
      method: 'POST',
      url: url('/repos/acme/app/issues'),
      body: '{"title":"nightly report"}',
    },
    'remediate_reversible',
  );
  assert.equal(post.status, 200);
  const del = await propose(
    { secret_id: 'github', method: 'DELETE', url: url('/repos/acme/app') },
    'remediate_destructive',
  );
  assert.equal(del.body.decision, 'HUMAN_REVIEW');
});

test('refusals are 4xx with {error, code, detail}, the token unspent: a smuggled header, a private address', async () => {
  const smuggle = {
    secret_id: 'github',
    method: 'GET',
    url: url('/'),
    headers: { Cookie: 'session=stolen' },
  };
  const refused = await proposeAndRun(smuggle);
  assert.equal(refused.status, 422, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'E_HTTP_HEADER_REFUSED');
  const r = await proposeAndRun({ secret_id: 'github-public-only', method: 'GET', url: url('/') });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.code, 'E_HTTP_ADDRESS_REFUSED');
  assert.deepEqual(Object.keys(r.body).sort(), ['code', 'detail', 'error']);
});

test('GET /v1/attestation answers tee: none honestly, binding the signing key and the nonce; it needs a key', async () => {
  const nonce = '5a'.repeat(32);
  const answer = await call('GET', `/v1/attestation?nonce=${nonce}`, agentKey);
  assert.equal(answer.status, 200);
  assert.equal(answer.body.tee, 'none');
  assert.equal(answer.body.evidence, null);
  assert.equal((answer.body.report_data as string).slice(64), nonce);
  assert.equal((await call('GET', `/v1/attestation?nonce=${nonce}`, null)).status, 401);
  assert.equal((await call('GET', '/v1/attestation?nonce=short', agentKey)).status, 400);
});

test('after it all: no form of the canary in any answer, log line, audit entry or data-directory file', async () => {
  await gateway.close();
  const forms = encodedForms(CANARY);
  for (const [what, text] of [
    ['HTTP answers', answers.join('\n')],
    ['log lines', logChunks.join('')],
  ] as const)
    for (const form of forms) assert.ok(!text.includes(form), `${what} hold the canary (${form})`);
  const entries = await auditEvents(dataDir);
  const kinds = new Set(entries.map((e) => e.kind));
  for (const kind of ['broker.opened', 'execution', 'execution.result', 'execution.unsupported'])
    assert.ok(kinds.has(kind), kind);
  const audit = JSON.stringify(entries);
  for (const form of forms) assert.ok(!audit.includes(form), `the audit log holds the canary (${form})`);
  assert.ok(audit.includes('"secret_id":"github"'), 'the audit references the secret by id');
  assert.deepEqual(leaksIn(dataDir, CANARY), []);
  assert.ok(logChunks.length > 0 && answers.length > 10, 'the scans had something to scan');
});
