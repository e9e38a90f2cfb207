// "A tampered byte anywhere in the evidence fails with a precise reason": every byte of an SEV-SNP
// report, and random bytes of a DCAP quote, its TCB info and a Nitro document, flipped one at a time,
// give a rejected appraisal naming a check and where, never an accepted one, never a crash, never an
// internal error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Appraisal, appraise, type AppraiseOptions, ChainCache } from '../../src/attest/index.js';
import { DCAP_INSIDE_2025, dcapVector, NITRO_AT, nitroDocument, sevVirtee } from './vectors.js';

const cache = new ChainCache();

function flipped(bytes: Uint8Array, index: number, mask: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] as number) ^ mask;
  return copy;
}

function assertPreciseRejection(a: Appraisal, what: string): void {
  assert.equal(a.verified, false, `${what} was accepted`);
  assert.ok(
    a.failure,
    `${what}: no verification failure (policy failures: ${JSON.stringify(a.policy_failures)})`,
  );
  assert.notEqual(a.failure.code, 'E_ATTEST_INTERNAL', `${what}: ${a.failure.detail}`);
  assert.match(a.failure.code, /^E_ATTEST_[A-Z]+$/);
  assert.ok(a.failure.check.length > 0 && a.failure.where.length > 0 && a.failure.detail.length > 0, what);
}

test('SEV-SNP: flipping any single bit of any of the 1184 report bytes is rejected, naming the check', () => {
  const options = {
    kind: 'sev-snp' as const,
    certs: [sevVirtee.vcek],
    at: new Date('2026-06-01T00:00:00Z'),
    cache,
  };
  assert.equal(appraise(sevVirtee.report, options).verified, true);
  const seen = new Set<string>();
  for (let i = 0; i < sevVirtee.report.length; i++) {
    const a = appraise(flipped(sevVirtee.report, i, 1 << (i % 8)), options);
    assertPreciseRejection(a, `report byte 0x${i.toString(16)}`);
    seen.add(a.failure?.check ?? '');
  }
  // Reserved ranges fail as malformed before any signature work; signed fields fail the signature or the VCEK binding.
  for (const check of ['report.parse', 'report.signature', 'vcek.tcb', 'vcek.chip_id'])
    assert.ok(seen.has(check), check);
});

/** The evidence verifies as given; any byte of it XORed with any non-zero mask is rejected (property). */
function everyFlipRejected(evidence: Buffer, options: AppraiseOptions, numRuns: number): void {
  assert.equal(appraise(evidence, options).verified, true);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: evidence.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (i, mask) => {
        assertPreciseRejection(appraise(flipped(evidence, i, mask), options), `byte ${i} ^ ${mask}`);
      },
    ),
    { numRuns },
  );
}

test('SEV-SNP: any byte XORed with any non-zero mask is rejected (property)', () => {
  everyFlipRejected(
    sevVirtee.report,
    { kind: 'sev-snp', certs: [sevVirtee.vcek], at: new Date('2026-06-01T00:00:00Z'), cache },
    500,
  );
});

test('DCAP: any byte of the TDX v4 quote (header, body, signatures, QE report, PCK chain, padding) flipped is rejected (property)', () => {
  const { quote, collateral } = dcapVector('tdx_quote');
  everyFlipRejected(quote, { kind: 'tdx', collateral, at: DCAP_INSIDE_2025, cache }, 400);
});

test('DCAP: any byte of the SGX v3 quote flipped is rejected (property)', () => {
  const { quote, collateral } = dcapVector('sgx_quote');
  everyFlipRejected(
    quote,
    {
      kind: 'sgx',
      collateral,
      at: DCAP_INSIDE_2025,
      cache,
      policy: { tcb_statuses: ['ConfigurationAndSWHardeningNeeded'] },
    },
    300,
  );
});

test('DCAP: any character of the signed TCB info or QE identity JSON changed is rejected by its signature (property)', () => {
  const { quote, collateral } = dcapVector('tdx_quote');
  fc.assert(
    fc.property(
      fc.constantFrom('tcb_info', 'qe_identity'),
      fc.nat(),
      fc.integer({ min: 1, max: 127 }),
      (field, at, mask) => {
        const text = collateral[field] as string;
        const i = at % text.length;
        const changed = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ mask) + text.slice(i + 1);
        const a = appraise(quote, {
          kind: 'tdx',
          collateral: { ...collateral, [field]: changed },
          at: DCAP_INSIDE_2025,
          cache,
        });
        assertPreciseRejection(a, `${field}[${i}]`);
        assert.equal(a.failure?.check, `collateral.${field}.signature`);
      },
    ),
    { numRuns: 200 },
  );
});

test('Nitro: any byte of the COSE_Sign1 document flipped is rejected (property)', () => {
  everyFlipRejected(
    nitroDocument,
    { kind: 'nitro', at: NITRO_AT, cache, policy: { allow_debug: true } },
    400,
  );
});
