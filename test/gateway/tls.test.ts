// TLS on both listeners from certificate and key files, and mutual TLS on the control plane: a client
// without a certificate from the configured CA is refused in the handshake; one with it gets through.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { httpsJson, makeTestPki, opensslMissing, type TestPki } from './tls_certs.js';

const skip = opensslMissing() ?? false;
let pki: TestPki;
let gateway: RunningGateway;

before(async () => {
  if (skip) return;
  pki = makeTestPki();
  gateway = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-tls-')),
    port: 0,
    controlPort: 0,
    planes: 'split',
    dev: true,
    logLevel: 'silent',
    tls: { certFile: pki.certFile, keyFile: pki.keyFile },
    controlTls: { certFile: pki.certFile, keyFile: pki.keyFile, clientCaFile: pki.caFile },
  });
});

after(async () => {
  if (!skip) await gateway.close();
});

test('both listeners serve HTTPS', { skip }, async () => {
  assert.match(gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(gateway.controlUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const health = await httpsJson(`${gateway.url}/healthz`, { ca: pki.ca });
  assert.equal(health.status, 200);
});

test('with mutual TLS, a control-plane client without a certificate is refused', { skip }, async () => {
  await assert.rejects(
    httpsJson(`${gateway.controlUrl}/v1/admin/principals`, { ca: pki.ca, key: gateway.devAdminKey }),
    (e: NodeJS.ErrnoException) =>
      /certificate|ECONNRESET|alert|socket hang up/i.test(`${e.code} ${e.message}`),
  );
});

test('with mutual TLS, a client certificate from the CA and an admin key get through', { skip }, async () => {
  const listed = await httpsJson(`${gateway.controlUrl}/v1/admin/principals`, {
    ca: pki.ca,
    key: gateway.devAdminKey,
    clientCert: pki.clientCert,
    clientKey: pki.clientKey,
  });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
});

test(
  'the data plane over HTTPS needs no client certificate; its DPoP-free agent calls work',
  { skip },
  async () => {
    const created = await httpsJson(`${gateway.controlUrl}/v1/admin/principals`, {
      method: 'POST',
      ca: pki.ca,
      key: gateway.devAdminKey,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
      body: { name: 'tls-agent', role: 'agent', channel: 'operator-console' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const me = await httpsJson(`${gateway.url}/v1/me`, { ca: pki.ca, key: created.body.api_key as string });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, 'agent:tls-agent');
  },
);

test('a missing certificate file stops the start with E_TLS_CONFIG', { skip }, async () => {
  await assert.rejects(
    startGateway({
      dataDir: mkdtempSync(join(tmpdir(), 'carapace-tls-missing-')),
      port: 0,
      logLevel: 'silent',
      tls: { certFile: join(pki.dir, 'absent.pem'), keyFile: pki.keyFile },
    }),
    (e: Error & { code?: string }) => e.code === 'E_TLS_CONFIG' && e.message.includes('absent.pem'),
  );
});
