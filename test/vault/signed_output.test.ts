// Signed outputs and verify-output: the length-prefixed payload decodes to one tuple only (the "||"
// join it replaces did not), a changed field breaks the signature, and the verifier's three checks
// hold: a missing or unavailable attestation is never a pass, and evidence must bind the signing key
// and the verifier's nonce. The appraiser used here is SCRIPTED (it stands in for src/attest, which is
// built elsewhere); it answers what each test tells it to.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatewayAttestation, reportDataFor } from '../../src/vault/attestation.js';
import { OutputSigner, type SignedOutput, signedOutputPayload } from '../../src/vault/signed_output.js';
import { type AttestationAppraiser, verifySignedOutput } from '../../src/vault/verify_output.js';
import { Vault } from '../../src/vault/vault.js';
import { freshDataDir } from './helpers.js';

const request = {
  tool: 'http.request',
  args: { secret_id: 'github', method: 'GET', url: 'https://api.github.com/' },
};
const result = { status: 200, body: '{"ok":true}' };

test('the "||" join was ambiguous; the length-prefixed payload is not', () => {
  const join = (p: string, r: string, t: string, m: string) => `${p}||${r}||${t}||${m}`;
  // Two different (prompt, result) pairs, one byte string under "||".
  assert.equal(join('a||b', 'c', 't', 'm'), join('a', 'b||c', 't', 'm'));
  assert.notDeepEqual(signedOutputPayload('a||b', 'c', 't', 'm'), signedOutputPayload('a', 'b||c', 't', 'm'));
});

test('property: distinct (request, result, timestamp, measurement) tuples never share a payload', () => {
  const part = fc.string({ maxLength: 12, unit: fc.constantFrom('a', '|', '"', '\u0000', '\u0004', 'é') });
  fc.assert(
    fc.property(fc.tuple(part, part, part, part), fc.tuple(part, part, part, part), (x, y) => {
      fc.pre(JSON.stringify(x) !== JSON.stringify(y));
      assert.notDeepEqual(signedOutputPayload(...x), signedOutputPayload(...y));
    }),
    { numRuns: 500 },
  );
});

test('a signed output verifies; with no TEE it passes only when the verifier accepts signature-only assurance', async () => {
  const signed = OutputSigner.generate().sign(request, result, Date.parse('2026-11-22T03:14:00Z'));
  assert.equal(signed.tee, 'none');
  assert.equal(signed.measurement, 'none');
  const strict = await verifySignedOutput(signed);
  assert.equal(strict.passed, false);
  assert.equal(strict.cryptographic.status, 'skipped');
  assert.equal(strict.signature.passed, true);
  const lenient = await verifySignedOutput(signed, { allowNoTee: true });
  assert.equal(lenient.passed, true);
  assert.equal(lenient.assurance, 'signature-only');
});

test('changing any signed field, the hash or the key breaks verification', async () => {
  const signer = OutputSigner.generate();
  const signed = signer.sign(request, result);
  const changes: [string, (d: SignedOutput) => SignedOutput][] = [
    [
      'request',
      (d) => ({ ...d, request: { ...request, args: { ...request.args, url: 'https://evil.test/' } } }),
    ],
    ['result', (d) => ({ ...d, result: { ...result, status: 500 } })],
    ['timestamp', (d) => ({ ...d, timestamp: '2030-01-01T00:00:00.000Z' })],
    ['payload hash', (d) => ({ ...d, payload_sha256: '0'.repeat(64) })],
    ['another key', (d) => ({ ...d, public_key_pem: OutputSigner.generate().publicKeyPem })],
  ];
  for (const [what, change] of changes) {
    const verdict = await verifySignedOutput(change(signed), { allowNoTee: true });
    assert.equal(verdict.passed, false, what);
    assert.equal(verdict.signature.passed, false, what);
  }
  // A measurement claimed where there is no TEE is refused structurally.
  const claimed = await verifySignedOutput({ ...signed, measurement: 'ab'.repeat(32) }, { allowNoTee: true });
  assert.equal(claimed.passed, false);
  assert.equal(claimed.structural.passed, false);
});

test('a malformed document fails structurally, never throws', async () => {
  for (const bad of [null, 'x', {}, { format: 'carapace.signed-output/v1' }]) {
    const verdict = await verifySignedOutput(bad, { allowNoTee: true });
    assert.equal(verdict.passed, false);
    assert.equal(verdict.structural.passed, false);
  }
});

/** Evidence as a TEE would attach it, signed by a SCRIPTED appraiser's say-so. */
function withEvidence(signer: OutputSigner, nonce: Buffer, measurement: string, boundTo = signer) {
  signer.tee = 'configfs-tsm:sev_guest';
  signer.measurement = measurement;
  const reportData = reportDataFor(boundTo, nonce).toString('hex');
  signer.evidence = {
    kind: 'configfs-tsm:sev_guest',
    report: 'AAAA',
    nonce: nonce.toString('hex'),
    report_data: reportData,
  };
  return signer.sign(request, result);
}

const scriptedAppraiser =
  (answer: { ok: boolean; measurement: string; report_data: string | null }): AttestationAppraiser =>
  async () => ({ ...answer, failures: answer.ok ? [] : ['SCRIPTED: the chain does not verify'] });

test('with evidence: attested only when the appraisal passes and the report binds this key, this measurement and the nonce', async () => {
  const nonce = randomBytes(32);
  const measurement = 'cd'.repeat(48);
  const signer = OutputSigner.generate();
  const signed = withEvidence(signer, nonce, measurement);
  const good = scriptedAppraiser({
    ok: true,
    measurement,
    report_data: signed.evidence?.report_data ?? null,
  });

  const ok = await verifySignedOutput(signed, {
    appraiser: good,
    expectedNonce: nonce.toString('hex'),
    expectedMeasurement: measurement,
  });
  assert.equal(ok.passed, true, JSON.stringify(ok));
  assert.equal(ok.assurance, 'attested');

  // No attestation module: unavailable, not a pass.
  const unavailable = await verifySignedOutput(signed, { allowNoTee: true });
  assert.equal(unavailable.cryptographic.status, 'unavailable');
  assert.equal(unavailable.passed, false);
  // The appraisal fails, or attests another measurement, or another report_data.
  for (const appraiser of [
    scriptedAppraiser({ ok: false, measurement, report_data: null }),
    scriptedAppraiser({
      ok: true,
      measurement: 'ef'.repeat(48),
      report_data: signed.evidence?.report_data ?? null,
    }),
    scriptedAppraiser({ ok: true, measurement, report_data: '00'.repeat(64) }),
  ]) {
    const verdict = await verifySignedOutput(signed, { appraiser });
    assert.equal(verdict.passed, false);
    assert.equal(verdict.cryptographic.status, 'failed');
  }
  // A stale nonce, or another expected measurement.
  assert.equal(
    (await verifySignedOutput(signed, { appraiser: good, expectedNonce: '11'.repeat(32) })).passed,
    false,
  );
  assert.equal(
    (await verifySignedOutput(signed, { appraiser: good, expectedMeasurement: 'ab'.repeat(48) })).passed,
    false,
  );
});

test('the attested key must be the signing key: evidence binding another key fails even when the appraisal passes', async () => {
  const nonce = randomBytes(32);
  const measurement = 'cd'.repeat(48);
  const attested = OutputSigner.generate();
  const impostor = OutputSigner.generate();
  // The impostor signs with its own key but carries evidence that binds the attested key.
  const signed = withEvidence(impostor, nonce, measurement, attested);
  const appraiser = scriptedAppraiser({
    ok: true,
    measurement,
    report_data: signed.evidence?.report_data ?? null,
  });
  const verdict = await verifySignedOutput(signed, { appraiser });
  assert.equal(verdict.passed, false);
  assert.equal(verdict.structural.checks.find((c) => c.check === 'key_binding')?.ok, false);
  assert.equal(verdict.signature.passed, true, 'the signature itself is valid: only the binding catches it');
});

test('the output-signing key is sealed in the vault on first use and the same key is unsealed later', () => {
  const dataDir = freshDataDir();
  const first = OutputSigner.fromVault(new Vault(dataDir, { env: {} }));
  const again = OutputSigner.fromVault(new Vault(dataDir, { env: {} }));
  assert.equal(first.publicKeyPem, again.publicKeyPem);
  // It is no secret an action can name.
  assert.deepEqual(new Vault(dataDir, { env: {} }).ids(), []);
});

test('without configfs-tsm the gateway says tee: none, gives the report_data it would bind, and invents no report', () => {
  const signer = OutputSigner.generate();
  const attestation = new GatewayAttestation(signer, '/nonexistent/carapace-test/tsm/report');
  const nonce = randomBytes(32);
  const answer = attestation.attest(nonce);
  assert.equal(answer.tee, 'none');
  assert.match(answer.reason ?? '', /absent/);
  assert.equal(answer.evidence, null);
  assert.equal(answer.report_data, reportDataFor(signer, nonce).toString('hex'));
  assert.equal(attestation.attachStartupEvidence().evidence, null);
  assert.equal(signer.sign(request, result).evidence, undefined);
});
