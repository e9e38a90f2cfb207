// appraise() fails closed on anything it cannot take: no verification time, empty or oversized
// evidence, an unknown kind, options that do not fit the kind, a malformed or misapplied policy,
// malformed collateral. Each is a rejected appraisal with E_ATTEST_INPUT naming the option, never a throw.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appraise, type AppraiseOptions, MAX_EVIDENCE_BYTES } from '../../src/attest/index.js';
import { DCAP_INSIDE_2025, dcapVector, NITRO_AT, nitroDocument, sevVirtee } from './vectors.js';

function rejectedInput(evidence: unknown, options: unknown, where: RegExp): void {
  const a = appraise(evidence as Uint8Array, options as AppraiseOptions);
  assert.equal(a.verified, false);
  assert.equal(a.failure?.code, 'E_ATTEST_INPUT', JSON.stringify(a.failure));
  assert.match(a.failure?.where ?? '', where);
  assert.equal(a.claims, null);
}

test('missing or invalid verification time, kind, evidence: E_ATTEST_INPUT naming the option', () => {
  rejectedInput(nitroDocument, { kind: 'nitro' }, /^at$/);
  rejectedInput(nitroDocument, { kind: 'nitro', at: 'yesterday' }, /^at$/);
  rejectedInput(nitroDocument, { kind: 'tpm', at: NITRO_AT }, /^kind$/);
  rejectedInput(new Uint8Array(0), { kind: 'nitro', at: NITRO_AT }, /^evidence$/);
  rejectedInput(new Uint8Array(MAX_EVIDENCE_BYTES + 1), { kind: 'nitro', at: NITRO_AT }, /^evidence$/);
  rejectedInput('not bytes', { kind: 'nitro', at: NITRO_AT }, /^evidence$/);
  rejectedInput(nitroDocument, null, /^options$/);
});

test('collateral and certificates must fit the kind', () => {
  const { quote, collateral } = dcapVector('sgx_quote');
  rejectedInput(quote, { kind: 'sgx', at: DCAP_INSIDE_2025 }, /^collateral$/);
  rejectedInput(nitroDocument, { kind: 'nitro', at: NITRO_AT, collateral }, /^collateral$/);
  rejectedInput(nitroDocument, { kind: 'nitro', at: NITRO_AT, certs: [sevVirtee.vcek] }, /^certs$/);
  rejectedInput(sevVirtee.report, { kind: 'sev-snp', at: NITRO_AT }, /^certs$/);
});

test('a malformed policy, or a rule for another kind, is refused before any verification', () => {
  rejectedInput(
    nitroDocument,
    { kind: 'nitro', at: NITRO_AT, policy: { allow_debug: 'yes' } },
    /^policy\.allow_debug$/,
  );
  rejectedInput(nitroDocument, { kind: 'nitro', at: NITRO_AT, policy: { unknown_rule: true } }, /^policy/);
  rejectedInput(
    nitroDocument,
    { kind: 'nitro', at: NITRO_AT, policy: { tcb_statuses: ['UpToDate'] } },
    /^policy\.tcb_statuses$/,
  );
  rejectedInput(
    sevVirtee.report,
    { kind: 'sev-snp', certs: [sevVirtee.vcek], at: NITRO_AT, policy: { pcrs: { '0': ['00'] } } },
    /^policy\.pcrs$/,
  );
  rejectedInput(
    sevVirtee.report,
    { kind: 'sev-snp', certs: [sevVirtee.vcek], at: NITRO_AT, policy: { nonce: '00'.repeat(33) } },
    /^nonce$/,
  );
  rejectedInput(
    sevVirtee.report,
    { kind: 'sev-snp', certs: [sevVirtee.vcek], at: NITRO_AT, policy: { public_key: 'not a key' } },
    /^public_key$/,
  );
});

test('collateral with a missing or unknown field, or a bad hex signature, is refused naming the field', () => {
  const { quote, collateral } = dcapVector('tdx_quote');
  const { tcb_info: _dropped, ...missing } = collateral;
  rejectedInput(quote, { kind: 'tdx', at: DCAP_INSIDE_2025, collateral: missing }, /^collateral$/);
  const a = appraise(quote, { kind: 'tdx', at: DCAP_INSIDE_2025, collateral: { ...collateral, extra: 'x' } });
  assert.equal(a.failure?.code, 'E_ATTEST_INPUT');
  const b = appraise(quote, {
    kind: 'tdx',
    at: DCAP_INSIDE_2025,
    collateral: { ...collateral, tcb_info_signature: 'zz' },
  });
  assert.match(b.failure?.detail ?? '', /tcb_info_signature/);
});

test('a rejected appraisal still records the evidence hash, kind and time, for the audit', () => {
  const a = appraise(Buffer.from('garbage'), { kind: 'nitro', at: NITRO_AT });
  assert.equal(a.kind, 'nitro');
  assert.equal(a.evidence_bytes, 7);
  assert.match(a.evidence_sha256, /^[0-9a-f]{64}$/);
  assert.equal(a.verified_at, new Date(NITRO_AT).toISOString());
  assert.equal(a.failure?.code, 'E_ATTEST_MALFORMED');
  assert.equal(a.failure?.check, 'document.parse');
});
