// `carapace attest verify` as a user runs it on the public vectors: the appraisal as JSON, exit 0
// when verified, 1 when rejected (naming the failed check), 2 for input it cannot take.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { vectorPath } from '../attest/vectors.js';
import { carapace, json } from './run_carapace.js';

const dir = mkdtempSync(join(tmpdir(), 'carapace-attest-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const allowDebug = file('allow-debug.yaml', 'allow_debug: true\n');

test('SEV-SNP: the virtee report verifies (exit 0); the go-sev-guest report is rejected for debug (exit 1) unless allowed', async () => {
  const ok = await carapace([
    'attest',
    'verify',
    '--kind',
    'sev-snp',
    '--evidence',
    vectorPath('sev-snp/virtee.report_milan.hex'),
    '--certs',
    vectorPath('sev-snp/virtee.vcek_milan.der'),
    vectorPath('sev-snp/virtee.ask_milan.pem'),
    vectorPath('sev-snp/virtee.ark_milan.pem'),
    '--at',
    '2026-06-01T00:00:00Z',
  ]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(json(ok).verified, true);
  const args = [
    'attest',
    'verify',
    '--kind',
    'sev-snp',
    '--evidence',
    vectorPath('sev-snp/go-sev-guest.attestation.bin'),
    '--certs',
    vectorPath('sev-snp/go-sev-guest.vcek.der'),
    '--at',
    '2026-06-01T00:00:00Z',
  ];
  const debug = await carapace(args);
  assert.equal(debug.code, 1);
  assert.deepEqual(
    (json(debug).policy_failures as { check: string }[]).map((f) => f.check),
    ['policy.debug'],
  );
  const allowed = await carapace([...args, '--policy', allowDebug]);
  assert.equal(allowed.code, 0, allowed.stdout);
});

test('TDX: UpToDate inside the collateral window (exit 0), a time failure outside it (exit 1)', async () => {
  const args = [
    'attest',
    'verify',
    '--kind',
    'tdx',
    '--evidence',
    vectorPath('dcap/tdx_quote'),
    '--collateral',
    vectorPath('dcap/tdx_quote_collateral.json'),
  ];
  const inside = await carapace([...args, '--at', '2025-06-20T12:00:00Z']);
  assert.equal(inside.code, 0, inside.stdout);
  assert.equal((json(inside).claims as { tcb: { status: string } }).tcb.status, 'UpToDate');
  const outside = await carapace([...args, '--at', '2025-08-01T00:00:00Z']);
  assert.equal(outside.code, 1);
  assert.equal((json(outside).failure as { code: string }).code, 'E_ATTEST_TIME');
});

test('SGX: the status and advisories are printed; a policy accepting that status verifies it', async () => {
  const args = [
    'attest',
    'verify',
    '--kind',
    'sgx',
    '--evidence',
    vectorPath('dcap/sgx_quote'),
    '--collateral',
    vectorPath('dcap/sgx_quote_collateral.json'),
    '--at',
    '2025-06-20T12:00:00Z',
  ];
  const strict = await carapace(args);
  assert.equal(strict.code, 1);
  assert.deepEqual((json(strict).claims as { tcb: { advisory_ids: string[] } }).tcb.advisory_ids, [
    'INTEL-SA-00289',
    'INTEL-SA-00615',
  ]);
  const policy = file(
    'sgx.json',
    JSON.stringify({ tcb_statuses: ['UpToDate', 'ConfigurationAndSWHardeningNeeded'] }),
  );
  assert.equal((await carapace([...args, '--policy', policy])).code, 0);
});

test('Nitro: verifies at its timestamp with debug allowed (exit 0), not three hours later (exit 1)', async () => {
  const args = [
    'attest',
    'verify',
    '--kind',
    'nitro',
    '--evidence',
    vectorPath('nitro/sui-fixed-valid-attestation.hex'),
    '--policy',
    allowDebug,
  ];
  assert.equal((await carapace([...args, '--at', '1731627987382'])).code, 0);
  const late = await carapace([...args, '--at', String(1731627987382 + 3 * 3600_000)]);
  assert.equal(late.code, 1);
  assert.equal((json(late).failure as { check: string }).check, 'document.time');
});

test('input it cannot take exits 2 with {error, code, detail}', async () => {
  const nitro = vectorPath('nitro/sui-fixed-valid-attestation.hex');
  const cases: [string[], string][] = [
    [['--kind', 'tpm', '--evidence', nitro], 'E_USAGE'],
    [['--kind', 'nitro', '--evidence', nitro, '--at', 'tomorrow'], 'E_USAGE'],
    [['--kind', 'tdx', '--evidence', vectorPath('dcap/tdx_quote')], 'E_ATTEST_INPUT'],
    [['--kind', 'nitro', '--evidence', join(dir, 'missing')], 'E_FILE_UNREADABLE'],
    [
      ['--kind', 'nitro', '--evidence', nitro, '--policy', file('bad.yaml', 'allow_debug: maybe\n')],
      'E_ATTEST_INPUT',
    ],
    [['--kind', 'sev-snp', '--evidence', nitro, '--certs', file('junk.pem', 'junk')], 'E_ATTEST_INPUT'],
  ];
  for (const [args, code] of cases) {
    const run = await carapace(['attest', 'verify', ...args]);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}`);
    const body = json(run);
    assert.equal(body.code, code, run.stdout);
    assert.equal(typeof body.error, 'string');
    assert.equal(typeof body.detail, 'string');
  }
});
