// Security levels as enforced profiles: each requirement is a check of the configuration the gateway runs
// with; the gateway refuses to start at a level it does not meet, naming each unmet requirement.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../../src/gateway/serve.js';
import {
  assessDeployment,
  checksFor,
  type DeploymentFacts,
  levelMet,
  SecurityLevelError,
} from '../../src/gateway/security_levels.js';
import { GatewayAttestation } from '../../src/vault/attestation.js';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { Vault } from '../../src/vault/vault.js';
import { makeTestPki, opensslMissing } from './tls_certs.js';

const NO_TSM = '/nonexistent/carapace-test/tsm/report';

/** The default embedded setup: one loopback listener, no broker, tier-SLA revocation cache. */
const embedded: DeploymentFacts = {
  planes: 'single',
  listeners: [{ plane: 'both', host: '127.0.0.1', port: 8787, tls: false, clientCerts: false }],
  tokenSigning: { algorithm: 'EdDSA', keyName: 'carapace.local/exec' },
  vault: null,
  privateKeys: {
    keys: [
      { name: 'carapace.local/audit', path: '/d/keys/carapace.local_audit.key', sealed: false },
      { name: 'carapace.local/exec', path: '/d/keys/carapace.local_exec.key', sealed: false },
    ],
    sealingRoot: false,
  },
  revocationCacheMaxMs: Number.POSITIVE_INFINITY,
  agents: [],
  tee: null,
};

/** The same keys sealed under a root. */
const sealedKeys: DeploymentFacts['privateKeys'] = {
  keys: embedded.privateKeys!.keys.map((k) => ({ ...k, sealed: true })),
  sealingRoot: true,
};

const byId = (facts: DeploymentFacts) => new Map(assessDeployment(facts).map((c) => [c.id, c]));

test('the default embedded setup: TLS off on loopback is fine, the unsealed keys are an SH-1 gap', () => {
  const checks = byId(embedded);
  assert.equal(checks.get('tls-non-loopback')?.pass, true);
  assert.match(checks.get('tls-non-loopback')?.evidence ?? '', /loopback-only/);
  assert.equal(checks.get('signed-tokens')?.pass, true);
  assert.equal(checks.get('keys-sealed')?.pass, false);
  assert.match(checks.get('keys-sealed')?.evidence ?? '', /plain PEM: carapace\.local\/audit/);
  assert.match(checks.get('keys-sealed')?.fix ?? '', /CARAPACE_MASTER_KEY/);
  assert.equal(levelMet(assessDeployment(embedded)), null);
});

test('keys-sealed passes only when every private signing key is sealed (and the vault, if on, is)', () => {
  const check = (facts: DeploymentFacts) => byId(facts).get('keys-sealed')!;
  assert.equal(check({ ...embedded, privateKeys: sealedKeys }).pass, true, 'no broker, keys sealed');
  assert.match(
    check({ ...embedded, privateKeys: sealedKeys }).evidence,
    /sealed: carapace\.local\/audit, carapace\.local\/exec/,
  );
  assert.equal(check({ ...embedded, vault: { root: 'env' }, privateKeys: sealedKeys }).pass, true);
  // The vault on does not make plain keys sealed: the old pass is a fail now.
  const vaultPlain = check({ ...embedded, vault: { root: 'file' } });
  assert.equal(vaultPlain.pass, false);
  assert.match(
    vaultPlain.evidence,
    /plain PEM: carapace\.local\/audit \(\/d\/keys\/carapace\.local_audit\.key\)/,
  );
  // One of two sealed: still a fail, naming the plain one only.
  const half = check({
    ...embedded,
    privateKeys: { keys: [sealedKeys!.keys[0]!, embedded.privateKeys!.keys[1]!], sealingRoot: true },
  });
  assert.equal(half.pass, false);
  assert.match(half.evidence, /sealed: carapace\.local\/audit; plain PEM: carapace\.local\/exec/);
  assert.match(half.fix, /restart the gateway/);
  // Unknown keys fail; no key yet passes only when they will be made sealed.
  assert.equal(check({ ...embedded, privateKeys: null }).pass, false);
  assert.equal(check({ ...embedded, privateKeys: { keys: [], sealingRoot: true } }).pass, true);
  assert.equal(check({ ...embedded, privateKeys: { keys: [], sealingRoot: false } }).pass, false);
});

test('plain HTTP on a non-loopback address fails SH-1, TLS there passes', () => {
  const exposed = {
    ...embedded,
    listeners: [{ plane: 'both' as const, host: '0.0.0.0', port: 8787, tls: false, clientCerts: false }],
  };
  assert.equal(byId(exposed).get('tls-non-loopback')?.pass, false);
  assert.match(byId(exposed).get('tls-non-loopback')?.evidence ?? '', /plain HTTP on both 0\.0\.0\.0:8787/);
  const withTls = { ...exposed, listeners: [{ ...exposed.listeners[0]!, tls: true }] };
  assert.equal(byId(withTls).get('tls-non-loopback')?.pass, true);
});

test('SH-2 needs DPoP for every agent, distinct keys, revocation read on every call and a split control plane', () => {
  const base: DeploymentFacts = {
    ...embedded,
    planes: 'split',
    listeners: [
      { plane: 'data', host: '0.0.0.0', port: 8787, tls: true, clientCerts: false },
      { plane: 'control', host: '127.0.0.1', port: 8788, tls: true, clientCerts: false },
    ],
    vault: { root: 'env' },
    privateKeys: sealedKeys,
    revocationCacheMaxMs: 0,
    agents: [
      { id: 'agent:a', dpop_required: true, api_key_hash: 'h1' },
      { id: 'agent:b', dpop_required: true, api_key_hash: 'h2' },
    ],
  };
  assert.equal(levelMet(assessDeployment(base)), 'SH-2');
  const bare = { ...base, agents: [{ id: 'agent:a', dpop_required: false, api_key_hash: 'h1' }] };
  assert.match(byId(bare).get('dpop-agents')?.evidence ?? '', /agent:a/);
  assert.equal(levelMet(assessDeployment(bare)), 'SH-1');
  const cached = { ...base, revocationCacheMaxMs: 15_000 };
  assert.equal(byId(cached).get('revocation-every-action')?.pass, false);
  const shared = { ...base, agents: base.agents!.map((a) => ({ ...a, api_key_hash: 'same' })) };
  assert.equal(byId(shared).get('distinct-agent-keys')?.pass, false);
  const exposedControl = {
    ...base,
    listeners: [base.listeners[0]!, { ...base.listeners[1]!, host: '0.0.0.0' }],
  };
  assert.equal(byId(exposedControl).get('control-plane-split')?.pass, false);
  const mtls = {
    ...base,
    listeners: [base.listeners[0]!, { ...base.listeners[1]!, host: '0.0.0.0', clientCerts: true }],
  };
  assert.equal(byId(mtls).get('control-plane-split')?.pass, true);
  assert.equal(byId({ ...base, planes: 'single' }).get('control-plane-split')?.pass, false);
});

test('SH-3: a TEE without a verified, bound self-appraisal is unmet, naming the missing part; unbuilt requirements say so', () => {
  const checks = byId({ ...embedded, tee: { tee: 'configfs-tsm' }, revocationCacheMaxMs: 0 });
  assert.equal(checks.get('tee-present')?.pass, true);
  assert.equal(checks.get('tee-verified')?.pass, false);
  assert.match(checks.get('tee-verified')?.evidence ?? '', /no report obtained and appraised/);
  const appraised = (signature: 'verified' | 'failed' | 'not_available', binding: 'bound' | 'not_bound') =>
    byId({
      ...embedded,
      tee: {
        tee: 'configfs-tsm',
        appraisal: { obtained: true, signature, binding, reason: '', chain: 'auxblob' },
      },
    }).get('tee-verified');
  assert.equal(appraised('verified', 'bound')?.pass, true);
  assert.match(appraised('verified', 'not_bound')?.evidence ?? '', /binding FAILED/);
  assert.match(appraised('failed', 'bound')?.evidence ?? '', /signature FAILED/);
  assert.match(appraised('not_available', 'bound')?.evidence ?? '', /signature NOT CHECKED/);
  assert.equal(appraised('failed', 'not_bound')?.pass, false);
  assert.equal(checks.get('audit-witness')?.pass, false);
  assert.match(checks.get('audit-witness')?.evidence ?? '', /no witness configured/);
  const witnessed = (reachable: boolean) =>
    byId({ ...embedded, witnesses: [{ name: 'w.example/1', url: 'http://w:8789', reachable }] }).get(
      'audit-witness',
    );
  assert.equal(witnessed(true)?.pass, true);
  assert.equal(witnessed(false)?.pass, false);
  assert.match(witnessed(false)?.evidence ?? '', /w\.example\/1 at http:\/\/w:8789 unreachable at start/);
  assert.equal(checks.get('revocation-1s')?.pass, true);
  assert.equal(checks.get('delegation-verification')?.pass, true);
  assert.deepEqual(
    checksFor(assessDeployment(embedded), 'SH-1').map((c) => c.level),
    ['SH-1', 'SH-1', 'SH-1'],
  );
});

function broker(dataDir: string) {
  const vault = new Vault(dataDir, { env: {} });
  const signer = OutputSigner.fromVault(vault);
  return { vault, signer, attestation: new GatewayAttestation(signer, NO_TSM) };
}

test('SH-3 start is refused without TEE evidence, naming each unmet requirement; the data directory is left unlocked', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-sh3-'));
  await assert.rejects(
    startGateway({ dataDir, port: 0, logLevel: 'silent', securityLevel: 'SH-3', broker: broker(dataDir) }),
    (e: unknown) => {
      assert.ok(e instanceof SecurityLevelError);
      assert.equal(e.code, 'E_SECURITY_LEVEL');
      const unmet = e.unmet.map((c) => c.id);
      for (const id of ['tee-present', 'tee-verified', 'audit-witness', 'control-plane-split'])
        assert.ok(unmet.includes(id), `${id} in ${unmet.join(', ')}`);
      assert.match(e.message, /tee-present \(.*no TEE/);
      assert.match(e.message, /tee-verified \(.*no TEE report obtained/);
      return true;
    },
  );
  // Nothing was left open: the same directory starts again.
  const again = await startGateway({ dataDir, port: 0, logLevel: 'silent' });
  await again.close();
});

test(
  'a configured TLS deployment (split planes, TLS, broker, DPoP agents) passes SH-2 and starts at it',
  { skip: opensslMissing() ?? false },
  async () => {
    const pki = makeTestPki();
    const dataDir = mkdtempSync(join(tmpdir(), 'carapace-sh2-'));
    const tls = { certFile: pki.certFile, keyFile: pki.keyFile };
    const options = {
      dataDir,
      host: '0.0.0.0',
      port: 0,
      controlPort: 0,
      planes: 'split' as const,
      logLevel: 'silent',
      broker: broker(dataDir),
    };
    // The same deployment in plain HTTP on 0.0.0.0 does not start at SH-2, and says why.
    await assert.rejects(
      startGateway({ ...options, securityLevel: 'SH-2' }),
      (e: unknown) =>
        e instanceof SecurityLevelError &&
        e.unmet.map((c) => c.id).join() === 'tls-non-loopback' &&
        /plain HTTP on data 0\.0\.0\.0/.test(e.message),
    );
    const gateway = await startGateway({ ...options, tls, securityLevel: 'SH-2' });
    try {
      assert.ok(checksFor(gateway.security, 'SH-2').every((c) => c.pass));
      assert.equal(levelMet(gateway.security), 'SH-2');
      assert.equal(gateway.ctx.identity.principals.maxTtlMs, 0, 'SH-2 reads revocation on every call');
    } finally {
      await gateway.close();
    }
  },
);

test('at SH-2 the running gateway keeps agents on DPoP: new agents require it, none may stop', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-sh2-dpop-'));
  const gateway = await startGateway({
    dataDir,
    port: 0,
    controlPort: 0,
    planes: 'split',
    dev: true,
    logLevel: 'silent',
    broker: broker(dataDir),
    securityLevel: 'SH-2',
  });
  try {
    const post = (base: string, path: string, key: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const admin = gateway.devAdminKey as string;
    const created = await post(gateway.controlUrl, '/v1/admin/principals', admin, {
      name: 'strict-agent',
      role: 'agent',
      channel: 'operator-console',
    });
    assert.equal(created.status, 201);
    const key = ((await created.json()) as { api_key: string }).api_key;
    const bare = await post(gateway.url, '/v1/ingest', key, { content: 'x', session: 's' });
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { code: string }).code, 'E_DPOP_REQUIRED');
    const relaxed = await post(gateway.controlUrl, '/v1/admin/principals/agent:strict-agent/dpop', admin, {
      required: false,
    });
    assert.equal(relaxed.status, 409);
    assert.equal(((await relaxed.json()) as { code: string }).code, 'E_SECURITY_LEVEL');
  } finally {
    await gateway.close();
  }
});
