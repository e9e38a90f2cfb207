// The brokered HTTP executor against a local HTTPS echo server (a test CA trusted by the broker only):
// the secret reaches the server and never the agent, in any form; everything that can be refused
// before the token gate is (the token stays unspent and nothing is sent); redirects are not followed;
// private addresses, smuggled headers, other hosts, ports, schemes and methods are refused; sizes,
// time and rate are capped; and no error carries the secret.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ActionCall } from '../../../src/executors/executor.js';
import {
  BrokeredHttpExecutor,
  type BrokeredHttpExecutorOptions,
  type BrokeredResponse,
  HttpBrokerError,
  type HttpBrokerErrorCode,
  HTTP_REQUEST_TOOL,
  type ResolvedAddress,
} from '../../../src/executors/http/index.js';
import { secretsDir } from '../../../src/vault/record_files.js';
import { Vault } from '../../../src/vault/vault.js';
import { FakeRedemptionLedger } from '../../tokens/fake_ledger.js';
import { CANARY, encodedForms, freshDataDir, githubPolicy } from '../../vault/helpers.js';
import { AGENT, mintFor, realTokenGate } from '../token_gate.js';
import { type EchoServer, pki, startEchoServer } from './echo_server.js';

let server: EchoServer;
before(async () => {
  server = await startEchoServer();
});
after(() => server.close());

const HOST = 'api.github.test';

/** Resolves the stand-in's name to loopback, counting how often it is asked (a test resolver, named so). */
function testResolver(answers: Record<string, string[]> = { [HOST]: ['127.0.0.1'] }) {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    asked.push(host);
    const found = answers[host];
    if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

function setup(policy: Record<string, unknown> = {}, options: Partial<BrokeredHttpExecutorOptions> = {}) {
  const dataDir = freshDataDir('carapace-http-');
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', Buffer.from(CANARY), {
    ...githubPolicy(HOST),
    ports: [server.port],
    addresses: 'any',
    methods: ['GET', 'POST', 'DELETE'],
    ...policy,
  });
  const ledger = new FakeRedemptionLedger();
  let gateCalls = 0;
  const resolver = testResolver();
  const executor = new BrokeredHttpExecutor({
    vault,
    gate: realTokenGate({ ledger, onCall: () => gateCalls++ }),
    resolve: resolver.resolve,
    ca: [pki.ca],
    ...options,
  });
  const sentBefore = server.received.length;
  return {
    dataDir,
    vault,
    executor,
    resolver,
    gateCalls: () => gateCalls,
    sent: () => server.received.slice(sentBefore),
  };
}

function call(args: Record<string, unknown>): ActionCall {
  return { agentId: AGENT, tool: HTTP_REQUEST_TOOL, args: { secret_id: 'github', method: 'GET', ...args } };
}

async function run(executor: BrokeredHttpExecutor, args: Record<string, unknown>) {
  const c = call(args);
  const { token } = await mintFor(c);
  return executor.execute(token, c);
}

function url(path: string, host = HOST): string {
  return `https://${host}:${server.port}${path}`;
}

function assertNoSecret(value: unknown, where: string) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const form of encodedForms(CANARY))
    assert.ok(!text.includes(form), `${where} holds the secret (${form})`);
  assert.ok(!text.toLowerCase().includes(CANARY.toLowerCase()), `${where} holds the secret in another case`);
}

async function refused(p: Promise<unknown>, code: HttpBrokerErrorCode | string) {
  await assert.rejects(p, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, (e as Error).message);
    assertNoSecret((e as Error).message, 'the error');
    return true;
  });
}

function responseOf(outcome: { details?: Record<string, unknown> }): BrokeredResponse {
  return outcome.details?.response as BrokeredResponse;
}

test('the server receives the injected secret; the agent sees its echo stripped and the executor says so', async () => {
  const { executor, sent, resolver } = setup();
  const outcome = await run(executor, {
    url: url('/repos/acme/app/issues?state=open'),
    headers: { accept: 'application/vnd.github+json' },
  });
  const received = sent();
  assert.equal(received.length, 1);
  assert.equal(received[0]?.headers.authorization, `Bearer ${CANARY}`);
  assert.equal(received[0]?.headers.host, `${HOST}:${server.port}`);
  assert.equal(received[0]?.headers.accept, 'application/vnd.github+json');
  assert.deepEqual(resolver.asked, [HOST]);
  const response = responseOf(outcome);
  assert.equal(response.status, 200);
  assert.match(response.body, /\[REDACTED:vault:github\]/);
  assert.ok((outcome.details?.stripped as number) >= 1);
  assert.equal(outcome.simulated, false);
  assert.deepEqual(outcome.details?.secret, {
    id: 'github',
    version: 1,
    policy_hash: (outcome.details?.secret as { policy_hash: string }).policy_hash,
    injected_as: 'authorization',
  });
  assertNoSecret(outcome, 'the outcome');
});

test('echoes in the status line, header names and values, base64, base64url, Basic, URL, hex, \\u-escaped, gzip and binary bodies are all stripped', async () => {
  const { executor } = setup();
  for (const path of ['/status-line', '/header', '/encoded', '/gzip', '/binary']) {
    const outcome = await run(executor, { url: url(path) });
    assertNoSecret(outcome, path);
    if (path === '/encoded') {
      const body = JSON.parse(responseOf(outcome).body) as Record<string, string>;
      // A one-way hash of the secret is not the secret: it passes, the rest are markers.
      for (const key of ['base64', 'base64url', 'url', 'url_every_byte', 'hex', 'unicode'])
        assert.match(body[key] as string, /REDACTED:vault:github/, key);
      assert.ok(
        !Buffer.from(body.basic as string, 'base64')
          .toString('latin1')
          .includes(CANARY),
      );
    }
    if (path === '/binary') {
      assert.equal(responseOf(outcome).body_encoding, 'base64');
      assert.ok(!Buffer.from(responseOf(outcome).body, 'base64').toString('latin1').includes(CANARY));
    }
  }
});

test('a redirect is not followed: the agent gets the 302 (its Location stripped) and the target is never asked', async () => {
  const { executor, sent } = setup();
  const outcome = await run(executor, { url: url('/redirect') });
  assert.equal(responseOf(outcome).status, 302);
  assert.match(String(outcome.details?.redirect_not_followed), /\/landed\?token=\[REDACTED:vault:github\]/);
  assert.deepEqual(
    sent().map((r) => r.url.split('?')[0]),
    ['/redirect'],
  );
  assertNoSecret(outcome, 'the redirect');
});

test('private, loopback and link-local answers are refused under a public-only policy, before the gate and before any connection', async () => {
  for (const address of ['127.0.0.1', '10.0.0.7', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1']) {
    const { executor, gateCalls, sent } = setup(
      { addresses: 'public' },
      { resolve: testResolver({ [HOST]: [address] }).resolve },
    );
    await refused(run(executor, { url: url('/') }), 'E_HTTP_ADDRESS_REFUSED');
    assert.equal(gateCalls(), 0, address);
    assert.equal(sent().length, 0, address);
  }
  // One private address among public ones refuses the whole answer.
  const mixed = setup(
    { addresses: 'public' },
    { resolve: testResolver({ [HOST]: ['8.8.8.8', '192.168.1.1'] }).resolve },
  );
  await refused(run(mixed.executor, { url: url('/') }), 'E_HTTP_ADDRESS_REFUSED');
  // And an IP literal in the URL is held to the same rule (the policy names it as a host).
  const literal = setup({ addresses: 'public', hosts: [{ match: 'exact', value: '127.0.0.1' }] });
  await refused(run(literal.executor, { url: url('/', '127.0.0.1') }), 'E_HTTP_ADDRESS_REFUSED');
});

test('DNS is asked once: a resolver that would rebind on a second question is never asked again', async () => {
  let asked = 0;
  const { executor, sent } = setup(
    {},
    {
      resolve: async () => {
        asked++;
        return [{ address: asked === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
      },
    },
  );
  const outcome = await run(executor, { url: url('/') });
  assert.equal(asked, 1);
  assert.deepEqual(outcome.details?.connected_to, { address: '127.0.0.1', port: server.port });
  assert.equal(sent().length, 1);
});

test('headers an agent may not set are refused before the gate: Host, auth, proxy, cookies, forwarding, framing, duplicates, line breaks', async () => {
  const { executor, gateCalls, sent } = setup();
  const smuggled: Record<string, string>[] = [
    { Host: 'attacker.example' },
    { Authorization: 'Bearer mine' },
    { 'proxy-authorization': 'Basic eA==' },
    { 'Proxy-Connection': 'keep-alive' },
    { Cookie: 'session=1' },
    { 'X-Forwarded-For': '10.0.0.1' },
    { Forwarded: 'for=10.0.0.1' },
    { 'Transfer-Encoding': 'chunked' },
    { 'Content-Length': '0' },
    { Connection: 'close' },
    { 'X-Note': 'a\r\nAuthorization: Bearer x' },
    { 'X-Note': 'a\nb' },
    { 'Bad Name': 'x' },
    { 'x-dup': 'a', 'X-Dup': 'b' },
  ];
  for (const headers of smuggled)
    await refused(run(executor, { url: url('/'), headers }), 'E_HTTP_HEADER_REFUSED');
  // The header the policy injects into is refused too, whatever it is named.
  const apiKey = setup({ inject: { kind: 'header', name: 'X-Api-Key', template: '{secret}' } });
  await refused(
    run(apiKey.executor, { url: url('/'), headers: { 'x-api-key': 'mine' } }),
    'E_HTTP_HEADER_REFUSED',
  );
  assert.equal(gateCalls() + apiKey.gateCalls(), 0);
  assert.equal(sent().length + apiKey.sent().length, 0);
});

test("requests outside the secret's policy are refused before the gate: host, subdomain, port, scheme, method, credentials in the URL, body size", async () => {
  const { executor, gateCalls, sent } = setup({ limits: { req_bytes: 8 } });
  await refused(run(executor, { url: url('/', 'evil.test') }), 'E_HTTP_HOST_REFUSED');
  await refused(run(executor, { url: url('/', `x.${HOST}`) }), 'E_HTTP_HOST_REFUSED');
  await refused(run(executor, { url: `https://${HOST}:1/` }), 'E_HTTP_PORT_REFUSED');
  await refused(run(executor, { url: `http://${HOST}:${server.port}/` }), 'E_HTTP_SCHEME_REFUSED');
  await refused(run(executor, { url: url('/'), method: 'PUT', body: 'x' }), 'E_HTTP_METHOD_REFUSED');
  await refused(run(executor, { url: `https://user:pw@${HOST}:${server.port}/` }), 'E_HTTP_ARGS_INVALID');
  await refused(
    run(executor, { url: url('/'), method: 'POST', body: '123456789' }),
    'E_HTTP_REQUEST_TOO_LARGE',
  );
  await refused(run(executor, { url: 'ftp://api.github.test/' }), 'E_HTTP_SCHEME_REFUSED');
  await refused(run(executor, { url: url('/'), extra: 1 }), 'E_HTTP_ARGS_INVALID');
  await refused(run(executor, { url: url('/'), secret_id: 'no-such-secret' }), 'E_VAULT_SECRET_UNKNOWN');
  assert.equal(gateCalls(), 0);
  assert.equal(sent().length, 0);
});

test('a refused token sends nothing; a spent token cannot be used twice', async () => {
  const { executor, sent } = setup();
  await refused(executor.execute('not-a-token', call({ url: url('/') })), 'E_TOKEN_MALFORMED');
  const c = call({ url: url('/') });
  const { token } = await mintFor(c);
  await executor.execute(token, c);
  await refused(executor.execute(token, c), 'E_TOKEN_REPLAYED');
  // A token for other arguments does not run these.
  const other = await mintFor(call({ url: url('/other') }));
  await refused(executor.execute(other.token, c), 'E_TOKEN_WRONG_ACTION');
  assert.equal(sent().length, 1);
});

test('a response over the policy cap, a server that stalls, or a certificate not trusted: typed failures, no secret in them', async () => {
  const { executor } = setup({ limits: { resp_bytes: 1024, timeout_ms: 300 } });
  await refused(run(executor, { url: url('/big') }), 'E_HTTP_RESPONSE_TOO_LARGE');
  await refused(run(executor, { url: url('/stall') }), 'E_HTTP_TIMEOUT');
  const untrusted = setup({}, { ca: [] });
  await refused(run(untrusted.executor, { url: url('/') }), 'E_HTTP_CONNECTION_FAILED');
  // Pinning keeps the name check: another name pinned to the same address fails TLS verification.
  const wrongName = setup(
    { hosts: [{ match: 'exact', value: 'other.test' }] },
    { resolve: testResolver({ 'other.test': ['127.0.0.1'] }).resolve },
  );
  await refused(run(wrongName.executor, { url: url('/', 'other.test') }), 'E_HTTP_CONNECTION_FAILED');
});

test("the secret's rate is capped: over its rpm, refused before the gate", async () => {
  const { executor, gateCalls } = setup({ limits: { rpm: 2 } });
  await run(executor, { url: url('/') });
  await run(executor, { url: url('/') });
  await refused(run(executor, { url: url('/') }), 'E_HTTP_RATE_LIMITED');
  assert.equal(gateCalls(), 2);
});

test('a tampered or widened record is refused before the gate and nothing is sent', async () => {
  const { executor, dataDir, gateCalls, sent } = setup();
  const path = join(secretsDir(dataDir), 'github.json');
  const record = JSON.parse(readFileSync(path, 'utf8')) as { policy: { hosts: unknown[] } };
  record.policy.hosts.push({ match: 'exact', value: 'evil.test' });
  writeFileSync(path, JSON.stringify(record));
  await refused(run(executor, { url: url('/', 'evil.test') }), 'E_VAULT_UNSEAL');
  await refused(run(executor, { url: url('/') }), 'E_VAULT_UNSEAL');
  assert.equal(gateCalls(), 0);
  assert.equal(sent().length, 0);
});

test('another tool is refused before the gate', async () => {
  const { executor, gateCalls } = setup();
  await assert.rejects(
    executor.execute('x', { agentId: AGENT, tool: 'get_telemetry', args: {} }),
    (e: unknown) => e instanceof HttpBrokerError && e.code === 'E_HTTP_TOOL_UNSUPPORTED',
  );
  assert.equal(gateCalls(), 0);
});
