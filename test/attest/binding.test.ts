// Key binding and policy on synthetic evidence from a fresh TEST PKI: report_data[0:32] must be the
// SHA-256 of the bound key's SPKI and report_data[32:64] the nonce; a Nitro document binds by
// public_key or user_data; measurements, PCRs, SVN, TCB and age are policy rules; test roots are
// never trusted unless pinned, and production roots never trust the test PKI.

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { before, test } from 'node:test';
import { appraise, keyBindingReportData, publicKeyDer } from '../../src/attest/index.js';
import {
  makeNitroDocument,
  makeNitroPki,
  makeSevPki,
  makeSevReport,
  TEST_NOW,
  type TestNitroPki,
  type TestSevPki,
} from './test_pki.js';

let sev: TestSevPki;
let nitro: TestNitroPki;
before(async () => {
  [sev, nitro] = await Promise.all([makeSevPki(), makeNitroPki()]);
});

const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const agentPem = agentKey.export({ format: 'pem', type: 'spki' }).toString();
const nonce = Buffer.from('f00dfeedcafe0001f00dfeedcafe0001', 'hex');

const sevOptions = (policy: unknown) => ({
  kind: 'sev-snp' as const,
  certs: sev.certs,
  at: TEST_NOW,
  roots: sev.roots,
  policy,
});

test('keyBindingReportData is SHA-256 of the DER SPKI followed by the zero-padded nonce', () => {
  const rd = keyBindingReportData(agentKey, nonce);
  assert.equal(rd.length, 64);
  assert.deepEqual(
    rd.subarray(0, 32),
    createHash('sha256')
      .update(agentKey.export({ format: 'der', type: 'spki' }))
      .digest(),
  );
  assert.deepEqual(rd.subarray(32, 48), nonce);
  assert.ok(rd.subarray(48).every((b) => b === 0));
  assert.deepEqual(keyBindingReportData(agentPem, nonce), rd);
});

test('SEV-SNP: a report binding the agent key and the nonce verifies under a policy requiring both', () => {
  const report = makeSevReport(sev, { reportData: keyBindingReportData(agentKey, nonce) });
  const a = appraise(report, sevOptions({ public_key: agentPem, nonce: nonce.toString('hex') }));
  assert.equal(a.failure, null, JSON.stringify(a.failure));
  assert.deepEqual(a.policy_failures, []);
  assert.equal(a.verified, true);
  assert.ok(a.checks.includes('policy.key_binding') && a.checks.includes('policy.nonce'));
  // The key may also be given as base64 DER.
  assert.equal(
    appraise(report, sevOptions({ public_key: publicKeyDer(agentKey).toString('base64') })).verified,
    true,
  );
});

test('SEV-SNP: another key, another nonce, or a replayed report with no nonce each fail the rule they break', () => {
  const report = makeSevReport(sev, { reportData: keyBindingReportData(agentKey, nonce) });
  const wrongKey = appraise(
    report,
    sevOptions({ public_key: otherKey.export({ format: 'pem', type: 'spki' }).toString() }),
  );
  assert.deepEqual(
    wrongKey.policy_failures.map((f) => [f.check, f.where]),
    [['policy.key_binding', 'report_data[0:32]']],
  );
  const wrongNonce = appraise(report, sevOptions({ public_key: agentPem, nonce: '00112233' }));
  assert.deepEqual(
    wrongNonce.policy_failures.map((f) => [f.check, f.where]),
    [['policy.nonce', 'report_data[32:64]']],
  );
  const noNonce = appraise(
    makeSevReport(sev, { reportData: keyBindingReportData(agentKey) }),
    sevOptions({ nonce: nonce.toString('hex') }),
  );
  assert.deepEqual(
    noNonce.policy_failures.map((f) => f.check),
    ['policy.nonce'],
  );
});

test('SEV-SNP: measurement, VMPL, guest SVN, minimum TCB and debug are policy rules, each reported', () => {
  const report = makeSevReport(sev, { policy: 0xb0000n, vmpl: 1, guestSvn: 2 });
  const a = appraise(
    report,
    sevOptions({
      measurements: ['cd'.repeat(48)],
      vmpl: 0,
      min_svn: 3,
      min_tcb: { snp: 9, bootloader: 3 },
      host_data: ['00'.repeat(32)],
    }),
  );
  assert.equal(a.failure, null);
  assert.deepEqual(a.policy_failures.map((f) => f.check).sort(), [
    'policy.debug',
    'policy.measurement',
    'policy.min_svn',
    'policy.min_tcb',
    'policy.vmpl',
  ]);
  assert.ok(a.checks.includes('policy.host_data'));
  const ok = appraise(
    makeSevReport(sev),
    sevOptions({ measurements: ['ab'.repeat(48)], vmpl: 0, min_svn: 1, min_tcb: { snp: 8, microcode: 115 } }),
  );
  assert.equal(ok.verified, true, JSON.stringify(ok.policy_failures));
});

test('SEV-SNP: a report signed by any key but the VCEK fails the signature; the test PKI is not trusted by default', () => {
  const forger = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const forged = appraise(makeSevReport(sev, {}, forger), sevOptions({}));
  assert.equal(forged.failure?.code, 'E_ATTEST_SIGNATURE');
  assert.equal(forged.failure?.check, 'report.signature');
  const unpinned = appraise(makeSevReport(sev), { kind: 'sev-snp', certs: sev.certs, at: TEST_NOW });
  assert.equal(unpinned.failure?.code, 'E_ATTEST_ROOT');
  assert.match(unpinned.failure?.detail ?? '', /not a pinned root/);
});

test('Nitro: an indefinite-length payload binding the key in public_key and carrying the nonce verifies', () => {
  const doc = makeNitroDocument(nitro, { publicKey: publicKeyDer(agentKey), nonce });
  const a = appraise(doc, {
    kind: 'nitro',
    at: TEST_NOW,
    roots: nitro.roots,
    policy: { public_key: agentPem, nonce: nonce.toString('hex'), max_age_seconds: 300 },
  });
  assert.equal(a.failure, null, JSON.stringify(a.failure));
  assert.deepEqual(a.policy_failures, []);
  assert.equal(
    (a.claims as { document: { public_key: string } }).document.public_key,
    publicKeyDer(agentKey).toString('hex'),
  );
});

test('Nitro: user_data = SHA-256 of the key also binds it; another key, nonce or an old document fail their rules', () => {
  const digest = createHash('sha256').update(publicKeyDer(agentKey)).digest();
  const doc = makeNitroDocument(nitro, { userData: digest, nonce });
  assert.equal(
    appraise(doc, { kind: 'nitro', at: TEST_NOW, roots: nitro.roots, policy: { public_key: agentPem } })
      .verified,
    true,
  );
  const a = appraise(doc, {
    kind: 'nitro',
    at: TEST_NOW.getTime() + 3600_000,
    roots: nitro.roots,
    policy: {
      public_key: otherKey.export({ format: 'pem', type: 'spki' }).toString(),
      nonce: 'ff',
      max_age_seconds: 600,
    },
  });
  assert.equal(a.failure, null);
  assert.deepEqual(a.policy_failures.map((f) => f.check).sort(), [
    'policy.key_binding',
    'policy.max_age',
    'policy.nonce',
  ]);
});

test('Nitro: PCR values are policy rules; PCR0 is the measurement', () => {
  const doc = makeNitroDocument(nitro);
  const pcr = (i: number) => Buffer.alloc(48, i + 1).toString('hex');
  assert.equal(
    appraise(doc, {
      kind: 'nitro',
      at: TEST_NOW,
      roots: nitro.roots,
      policy: { measurements: [pcr(0)], pcrs: { '1': [pcr(1)], '2': [pcr(2)] } },
    }).verified,
    true,
  );
  const a = appraise(doc, {
    kind: 'nitro',
    at: TEST_NOW,
    roots: nitro.roots,
    policy: { pcrs: { '3': ['00'.repeat(48)], '8': [pcr(8)] } },
  });
  assert.deepEqual(
    a.policy_failures.map((f) => f.where),
    ['pcrs[3]', 'pcrs[8]'],
  );
});

test('a document from the future beyond the clock skew fails max_age', () => {
  const doc = makeNitroDocument(nitro, { timestamp: TEST_NOW.getTime() + 3_600_000 });
  const a = appraise(doc, {
    kind: 'nitro',
    at: TEST_NOW,
    roots: nitro.roots,
    policy: { max_age_seconds: 600 },
  });
  assert.deepEqual(
    a.policy_failures.map((f) => f.check),
    ['policy.max_age'],
  );
  assert.match(a.policy_failures[0]?.detail ?? '', /after the verification time/);
});
