// An agent's TEE evidence through the gateway: bound to the DPoP key it calls with and a nonce this
// gateway issued, appraised offline against a TEST PKI pinned for the test, audited, and the only way
// to act at T5 or above.

import assert from 'node:assert/strict';
import { type KeyObject, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { keyBindingReportData } from '../../src/attest/index.js';
import { makeSevPki, makeSevReport, type TestSevPki } from '../attest/test_pki.js';
import { ath, type DpopKey, dpopKey, proofFor } from './dpop_client.js';
import { type Harness, principal, startHarness } from './harness.js';

let sev: TestSevPki;
let h: Harness;
before(async () => {
  sev = await makeSevPki();
  h = await startHarness(undefined, undefined, { identity: { attestation: { roots: sev.roots } } });
});
after(() => h.close());

async function call(
  key: DpopKey,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const [scheme, token] = auth.split(' ') as [string, string];
  const proof = await proofFor(h, key, method, path, scheme === 'DPoP' ? { ath: ath(token) } : {});
  const response = await fetch(`${h.gateway.url}${path}`, {
    method,
    headers: { authorization: auth, dpop: proof, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function session(apiKey: string) {
  const key = dpopKey();
  const issued = await call(key, `Bearer ${apiKey}`, 'POST', '/v1/token', {});
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const auth = `DPoP ${issued.body.access_token as string}`;
  return { key, go: (method: string, path: string, body?: unknown) => call(key, auth, method, path, body) };
}

function evidence(key: KeyObject, nonce: string, tamper = false): string {
  const report = makeSevReport(sev, { reportData: keyBindingReportData(key, Buffer.from(nonce, 'hex')) });
  if (tamper) report[0x90] = (report[0x90] as number) ^ 1;
  return report.toString('base64');
}

const certs = () => sev.certs.map((c) => c.toString('base64'));

test('a T5 agent acts at T4 until its key is attested, then at T5 while it calls with that key', async () => {
  const apiKey = await principal(h, 'enclave-bot', 'agent', undefined, 'T5');
  const s = await session(apiKey);
  const me = async () => (await s.go('GET', '/v1/agents/me')).body.tier as { tier: string; limits: string[] };
  assert.equal((await me()).tier, 'T4');
  assert.match((await me()).limits.join(' '), /attestation/);

  const { nonce } = (await s.go('GET', '/v1/agents/me/attestation/nonce')).body as { nonce: string };
  const accepted = await s.go('POST', '/v1/agents/me/attestation', {
    kind: 'sev-snp',
    evidence: evidence(s.key.publicKey, nonce),
    certs: certs(),
    nonce,
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal((accepted.body.appraisal as { verified: boolean }).verified, true);
  assert.equal((await me()).tier, 'T5');

  // The same agent with another key, or with its API key alone, is back at T4.
  const other = await session(apiKey);
  assert.equal(((await other.go('GET', '/v1/agents/me')).body.tier as { tier: string }).tier, 'T4');
  const byKey = await fetch(`${h.gateway.url}/v1/agents/me`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  assert.equal(((await byKey.json()) as { tier: { tier: string } }).tier.tier, 'T4');

  // The nonce is spent.
  const again = await s.go('POST', '/v1/agents/me/attestation', {
    kind: 'sev-snp',
    evidence: evidence(s.key.publicKey, nonce),
    certs: certs(),
    nonce,
  });
  assert.deepEqual([again.status, again.body.code], [409, 'E_ATTESTATION_NONCE']);
});

test('evidence bound to another key, with a nonce not issued to this agent, or tampered, is refused and audited', async () => {
  const s = await session(await principal(h, 'shady-bot', 'agent', undefined, 'T6'));
  const nonce = () => s.go('GET', '/v1/agents/me/attestation/nonce').then((r) => r.body.nonce as string);
  const n1 = await nonce();
  const wrongKey = await s.go('POST', '/v1/agents/me/attestation', {
    kind: 'sev-snp',
    evidence: evidence(dpopKey().publicKey, n1),
    certs: certs(),
    nonce: n1,
  });
  assert.deepEqual([wrongKey.status, wrongKey.body.code], [422, 'E_ATTEST_POLICY']);
  assert.match(String(wrongKey.body.detail), /key_binding/);
  const made = randomBytes(32).toString('hex');
  const madeUp = await s.go('POST', '/v1/agents/me/attestation', {
    kind: 'sev-snp',
    evidence: evidence(s.key.publicKey, made),
    certs: certs(),
    nonce: made,
  });
  assert.deepEqual([madeUp.status, madeUp.body.code], [409, 'E_ATTESTATION_NONCE']);
  const n2 = await nonce();
  const tampered = await s.go('POST', '/v1/agents/me/attestation', {
    kind: 'sev-snp',
    evidence: evidence(s.key.publicKey, n2, true),
    certs: certs(),
    nonce: n2,
  });
  assert.equal(tampered.status, 422);
  assert.match(String(tampered.body.code), /^E_ATTEST_/);
  assert.equal(((await s.go('GET', '/v1/agents/me')).body.tier as { tier: string }).tier, 'T4');
  const dir = join(h.dataDir, 'audit', 'segments');
  const audit = readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
  assert.ok((audit.match(/"kind":"attestation\.appraisal"/g) ?? []).length >= 3);
});

test('an attestation needs a DPoP key: with an API key alone it is refused', async () => {
  const apiKey = await principal(h, 'plain-bot', 'agent', undefined, 'T5');
  const reply = await fetch(`${h.gateway.url}/v1/agents/me/attestation/nonce`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  assert.equal(reply.status, 400);
  assert.equal(((await reply.json()) as { code: string }).code, 'E_ATTESTATION_NEEDS_DPOP');
});
