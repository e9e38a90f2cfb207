// Every public vector verifies, or fails, exactly as ../shared/vectors/README.md says: both SEV-SNP
// reports (the go-sev-guest one rejected by a policy that forbids debug), the DCAP quotes with their
// TCB statuses inside their collateral windows and not outside, the Nitro document at its timestamp
// and not three hours later.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AMD_ARK_SHA256, type Appraisal, appraise, ChainCache } from '../../src/attest/index.js';
import {
  DCAP_INSIDE_2025,
  DCAP_INSIDE_2026,
  dcapVector,
  NITRO_AT,
  nitroDocument,
  sevGoSevGuest,
  sevVirtee,
} from './vectors.js';

const AT_2026 = new Date('2026-06-01T00:00:00Z');

function assertVerified(a: Appraisal): void {
  assert.equal(a.failure, null, JSON.stringify(a.failure));
  assert.deepEqual(a.policy_failures, []);
  assert.equal(a.verified, true);
}

function assertFailure(a: Appraisal, code: string, check: string | RegExp): void {
  assert.equal(a.verified, false);
  assert.ok(a.failure, `expected a failure, got ${JSON.stringify(a.policy_failures)}`);
  assert.equal(a.failure.code, code, JSON.stringify(a.failure));
  if (typeof check === 'string') assert.equal(a.failure.check, check);
  else assert.match(a.failure.check, check);
  assert.ok(a.failure.where.length > 0);
}

test('SEV-SNP go-sev-guest: verifies to ARK-Milan when debug is allowed, with the fields of the reference', () => {
  const a = appraise(sevGoSevGuest.report, {
    kind: 'sev-snp',
    certs: [sevGoSevGuest.vcek],
    at: AT_2026,
    policy: { allow_debug: true },
  });
  assertVerified(a);
  const claims = a.claims as {
    report: Record<string, unknown>;
    product: string;
    chain: { root: string };
    tcb: Record<string, number>;
  };
  assert.equal(claims.product, 'Milan');
  assert.equal(claims.chain.root, 'ARK-Milan');
  assert.equal(
    claims.report.measurement,
    'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01',
  );
  assert.equal(claims.report.reported_tcb, '4405000000000002');
  assert.match(String(claims.report.report_data), /^0102030405(00)+$/);
  assert.deepEqual(claims.tcb, { bootloader: 2, tee: 0, snp: 5, microcode: 0x44 });
  assert.deepEqual(a.checks.slice(0, 6), [
    'report.parse',
    'vcek.chain',
    'vcek.time',
    'vcek.tcb',
    'vcek.chip_id',
    'report.signature',
  ]);
});

test('SEV-SNP go-sev-guest: the default policy forbids debug and rejects it, naming policy bit 19', () => {
  const a = appraise(sevGoSevGuest.report, { kind: 'sev-snp', certs: [sevGoSevGuest.vcek], at: AT_2026 });
  assert.equal(a.failure, null);
  assert.equal(a.verified, false);
  assert.equal(a.policy_failures.length, 1);
  assert.equal(a.policy_failures[0]?.code, 'E_ATTEST_POLICY');
  assert.equal(a.policy_failures[0]?.check, 'policy.debug');
  assert.match(a.policy_failures[0]?.where ?? '', /bit 19/);
});

test('SEV-SNP virtee: verifies under the default policy with the given ASK and ARK, and with the built-in ones', () => {
  assertVerified(
    appraise(sevVirtee.report, {
      kind: 'sev-snp',
      certs: [sevVirtee.vcek, ...sevVirtee.ask, ...sevVirtee.ark],
      at: AT_2026,
    }),
  );
  const a = appraise(sevVirtee.report, { kind: 'sev-snp', certs: [sevVirtee.vcek], at: AT_2026 });
  assertVerified(a);
  const claims = a.claims as { report: { policy: { debug: boolean }; chip_id: string } };
  assert.equal(claims.report.policy.debug, false);
  assert.match(claims.report.chip_id, /^d49554ec717f4e5b/);
});

test("SEV-SNP: virtee's negative case (report[21] ^= 0x80) fails the report signature", () => {
  const report = Buffer.from(sevVirtee.report);
  report[21] = (report[21] as number) ^ 0x80;
  assertFailure(
    appraise(report, { kind: 'sev-snp', certs: [sevVirtee.vcek], at: AT_2026 }),
    'E_ATTEST_SIGNATURE',
    'report.signature',
  );
});

test('SEV-SNP: the VCEK is valid until 2029-09-24 (go-sev-guest); after, the chain is out of time', () => {
  const a = appraise(sevGoSevGuest.report, {
    kind: 'sev-snp',
    certs: [sevGoSevGuest.vcek],
    at: new Date('2029-09-25T00:00:00Z'),
    policy: { allow_debug: true },
  });
  assertFailure(a, 'E_ATTEST_TIME', 'vcek.time');
  assert.match(a.failure?.where ?? '', /VCEK/);
});

test("SEV-SNP: a Milan VCEK is refused where only the Genoa ARK is pinned; another report's VCEK is refused by chip id", () => {
  const genoaOnly = new Map([...AMD_ARK_SHA256].filter(([, name]) => name === 'ARK-Genoa'));
  const a = appraise(sevGoSevGuest.report, {
    kind: 'sev-snp',
    certs: [sevGoSevGuest.vcek, ...sevGoSevGuest.genoaChain],
    at: AT_2026,
    policy: { allow_debug: true },
    roots: genoaOnly,
  });
  assertFailure(a, 'E_ATTEST_ROOT', 'vcek.chain');
  assert.match(a.failure?.detail ?? '', /not a pinned root/);
  const swapped = appraise(sevGoSevGuest.report, {
    kind: 'sev-snp',
    certs: [sevVirtee.vcek],
    at: AT_2026,
    policy: { allow_debug: true },
  });
  assert.equal(swapped.failure?.code, 'E_ATTEST_BINDING');
  assert.match(swapped.failure?.check ?? '', /^vcek\.(tcb|chip_id)$/);
});

test('DCAP SGX v3: ConfigurationAndSWHardeningNeeded with INTEL-SA-00289 and INTEL-SA-00615 inside its window', () => {
  const { quote, collateral } = dcapVector('sgx_quote');
  const a = appraise(quote, {
    kind: 'sgx',
    collateral,
    at: DCAP_INSIDE_2025,
    policy: { tcb_statuses: ['UpToDate', 'ConfigurationAndSWHardeningNeeded'] },
  });
  assertVerified(a);
  const claims = a.claims as {
    tcb: { status: string; advisory_ids: string[] };
    report: Record<string, unknown>;
    pck: { fmspc: string };
  };
  assert.equal(claims.tcb.status, 'ConfigurationAndSWHardeningNeeded');
  assert.deepEqual(claims.tcb.advisory_ids, ['INTEL-SA-00289', 'INTEL-SA-00615']);
  assert.equal(claims.pck.fmspc, '00A067110000');
  assert.match(String(claims.report.mr_enclave), /^33d8736d/);
  assert.match(String(claims.report.mr_signer), /^815f42f1/);
  assert.equal(
    Buffer.from(String(claims.report.report_data), 'hex').subarray(0, 13).toString(),
    'Hello, world!',
  );
  for (const check of [
    'collateral.root_ca_crl',
    'collateral.tcb_info',
    'collateral.qe_identity',
    'pck.chain',
    'pck.crl',
    'qe.report.signature',
    'qe.report_data',
    'qe.identity',
    'quote.signature',
    'tcb.level',
  ])
    assert.ok(a.checks.includes(check), check);
});

test('DCAP SGX v3: the default policy accepts only UpToDate and says why it rejects', () => {
  const { quote, collateral } = dcapVector('sgx_quote');
  const a = appraise(quote, { kind: 'sgx', collateral, at: DCAP_INSIDE_2025 });
  assert.equal(a.failure, null);
  assert.deepEqual(
    a.policy_failures.map((f) => f.check),
    ['policy.tcb_status'],
  );
  assert.match(
    a.policy_failures[0]?.detail ?? '',
    /ConfigurationAndSWHardeningNeeded \(INTEL-SA-00289, INTEL-SA-00615\)/,
  );
});

test('DCAP TDX v4: UpToDate, no advisories, verified by the default policy', () => {
  const { quote, collateral } = dcapVector('tdx_quote');
  const a = appraise(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2025 });
  assertVerified(a);
  const claims = a.claims as {
    tcb: { status: string; advisory_ids: string[]; tdx_module?: unknown };
    report: Record<string, unknown>;
    header: { version: number };
  };
  assert.equal(claims.tcb.status, 'UpToDate');
  assert.deepEqual(claims.tcb.advisory_ids, []);
  assert.ok(claims.tcb.tdx_module);
  assert.equal(claims.header.version, 4);
  assert.match(String(claims.report.mr_td), /^91eb2b44/);
  assert.match(String(claims.report.report_data), /^9a9d48e7/);
});

test('DCAP: outside the collateral window (before the TCB info was issued, after it expired) the quote fails on time', () => {
  const { quote, collateral } = dcapVector('tdx_quote');
  const before = appraise(quote, { kind: 'tdx', collateral, at: new Date('2025-06-19T10:00:00Z') });
  assertFailure(before, 'E_ATTEST_TIME', /time$/);
  const after = appraise(quote, { kind: 'tdx', collateral, at: new Date('2025-07-20T00:00:00Z') });
  assertFailure(after, 'E_ATTEST_TIME', /time$/);
  const sgx = dcapVector('sgx_quote');
  assertFailure(
    appraise(sgx.quote, { kind: 'sgx', collateral: sgx.collateral, at: new Date('2025-08-01T00:00:00Z') }),
    'E_ATTEST_TIME',
    /time$/,
  );
});

test('DCAP TDX v5 (TDX 1.5 body): every signature verifies in its 2026 window; its SEAMLDR SVN is below every TCB level', () => {
  const { quote, collateral } = dcapVector('tdx_quote_outdated');
  const a = appraise(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2026 });
  // Component-wise (Intel's rule) its CPU SVN component 8 (3) is below every level's (5): TCB not supported.
  assertFailure(a, 'E_ATTEST_COLLATERAL', 'tcb.level');
  for (const check of [
    'pck.chain',
    'pck.crl',
    'qe.report.signature',
    'qe.report_data',
    'qe.identity',
    'quote.signature',
  ])
    assert.ok(a.checks.length === 0 || a.checks.includes(check), check);
  assertFailure(appraise(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2025 }), 'E_ATTEST_TIME', /time$/);
});

test('DCAP: a TDX quote appraised as SGX, and an SGX quote with the TDX collateral, are refused', () => {
  const tdx = dcapVector('tdx_quote');
  const sgx = dcapVector('sgx_quote');
  assertFailure(
    appraise(tdx.quote, { kind: 'sgx', collateral: tdx.collateral, at: DCAP_INSIDE_2025 }),
    'E_ATTEST_UNSUPPORTED',
    'quote.parse',
  );
  const mixed = appraise(sgx.quote, { kind: 'sgx', collateral: tdx.collateral, at: DCAP_INSIDE_2025 });
  assert.equal(mixed.verified, false);
  assert.ok(mixed.failure);
});

test('Nitro: verifies at its timestamp to AWS root G1 when debug is allowed; exposes PCRs, module id, user data, nonce, key', () => {
  const a = appraise(nitroDocument, { kind: 'nitro', at: NITRO_AT, policy: { allow_debug: true } });
  assertVerified(a);
  const doc = (a.claims as { document: Record<string, unknown>; chain: { root: string } }).document;
  assert.equal((a.claims as { chain: { root: string } }).chain.root, 'AWS Nitro Enclaves Root-G1');
  assert.equal(doc.module_id, 'i-0f73a4b4cb74cc9f2-enc0192e4188fef781d');
  assert.equal(doc.timestamp, 1731627989450);
  assert.equal(doc.user_data, '5a264748a62368075d34b9494634a3e096e0e48f6647f965b81d2a653de684f2');
  assert.equal(doc.public_key, null);
  assert.equal(doc.nonce, null);
  assert.equal(doc.debug, true);
  const pcrs = doc.pcrs as Record<string, string>;
  assert.equal(Object.keys(pcrs).length, 16);
  assert.equal(pcrs['0'], '0'.repeat(96));
  assert.match(pcrs['3'] ?? '', /^639a8b65/);
  assert.deepEqual(a.checks.slice(0, 4), [
    'document.parse',
    'document.chain',
    'document.time',
    'document.signature',
  ]);
});

test('Nitro: at its timestamp and ten minutes either side it verifies; three hours later the leaf certificate has expired', () => {
  // At the document's own timestamp, and ten minutes either side.
  for (const shift of [1731627989450 - NITRO_AT, -600_000, 600_000])
    assertVerified(
      appraise(nitroDocument, { kind: 'nitro', at: NITRO_AT + shift, policy: { allow_debug: true } }),
    );
  const late = appraise(nitroDocument, {
    kind: 'nitro',
    at: NITRO_AT + 3 * 3600_000,
    policy: { allow_debug: true },
  });
  assertFailure(late, 'E_ATTEST_TIME', 'document.time');
  assert.equal(late.failure?.where, 'payload.certificate');
  const early = appraise(nitroDocument, {
    kind: 'nitro',
    at: NITRO_AT - 3 * 3600_000,
    policy: { allow_debug: true },
  });
  assertFailure(early, 'E_ATTEST_TIME', 'document.time');
});

test('Nitro: the default policy rejects the all-zero PCR0-2 of a debug enclave; max age and nonce are policy rules', () => {
  const a = appraise(nitroDocument, { kind: 'nitro', at: NITRO_AT });
  assert.deepEqual(
    a.policy_failures.map((f) => f.check),
    ['policy.debug'],
  );
  const aged = appraise(nitroDocument, {
    kind: 'nitro',
    at: NITRO_AT + 1_800_000,
    policy: { allow_debug: true, max_age_seconds: 600, nonce: '00' },
  });
  assert.deepEqual(aged.policy_failures.map((f) => f.check).sort(), ['policy.max_age', 'policy.nonce']);
});

test('a cache gives the same appraisal as no cache, and cached chains are judged again at each time', () => {
  const cache = new ChainCache();
  const first = appraise(nitroDocument, {
    kind: 'nitro',
    at: NITRO_AT,
    policy: { allow_debug: true },
    cache,
  });
  const second = appraise(nitroDocument, {
    kind: 'nitro',
    at: NITRO_AT,
    policy: { allow_debug: true },
    cache,
  });
  assert.deepEqual(second, first);
  assert.ok(cache.stats().hits >= 1);
  assertFailure(
    appraise(nitroDocument, {
      kind: 'nitro',
      at: NITRO_AT + 3 * 3600_000,
      policy: { allow_debug: true },
      cache,
    }),
    'E_ATTEST_TIME',
    'document.time',
  );
  const { quote, collateral } = dcapVector('tdx_quote');
  assertVerified(appraise(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2025, cache }));
  assertVerified(appraise(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2025, cache }));
  assertFailure(
    appraise(quote, { kind: 'tdx', collateral, at: new Date('2025-08-01T00:00:00Z'), cache }),
    'E_ATTEST_TIME',
    /time$/,
  );
});
