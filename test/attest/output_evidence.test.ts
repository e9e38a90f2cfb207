// The cryptographic step of verify-output: a configfs-tsm report appraised by this module, with its
// vendor chain, giving the measurement and report_data the signature check compares; without a chain,
// with a tampered report, or of a kind no verifier reads, it fails saying why.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appraiseOutputEvidence } from '../../src/attest/index.js';
import { sevVirtee } from './vectors.js';

const AT = new Date('2026-06-01T00:00:00Z');
const evidence = (report: Buffer, certs?: Buffer[]) => ({
  kind: 'configfs-tsm:sev_guest',
  report: report.toString('base64'),
  nonce: '00'.repeat(32),
  report_data: '00'.repeat(64),
  ...(certs ? { certs: certs.map((c) => c.toString('base64')) } : {}),
});

test('a genuine SEV-SNP report with its VCEK gives its measurement and report_data', async () => {
  const a = await appraiseOutputEvidence(evidence(sevVirtee.report, [sevVirtee.vcek]), AT);
  assert.deepEqual(a.failures, []);
  assert.equal(a.ok, true);
  assert.equal(a.measurement, sevVirtee.report.subarray(0x90, 0xc0).toString('hex'));
  assert.equal(a.report_data, sevVirtee.report.subarray(0x50, 0x90).toString('hex'));
});

test('no chain, a tampered report, or an unknown provider is not ok, and says why', async () => {
  const noChain = await appraiseOutputEvidence(evidence(sevVirtee.report), AT);
  assert.equal(noChain.ok, false);
  assert.ok(noChain.failures.length > 0);
  const tampered = Buffer.from(sevVirtee.report);
  tampered[0x95] = (tampered[0x95] as number) ^ 1;
  const bad = await appraiseOutputEvidence(evidence(tampered, [sevVirtee.vcek]), AT);
  assert.equal(bad.ok, false);
  assert.match(bad.failures.join(' '), /signature/);
  const unknown = await appraiseOutputEvidence(
    { ...evidence(sevVirtee.report), kind: 'configfs-tsm:arm_cca' },
    AT,
  );
  assert.equal(unknown.ok, false);
  assert.match(unknown.failures[0] ?? '', /not one this verifier reads/);
});
