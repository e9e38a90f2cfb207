// Confidential mode against a SIMULATED configfs-tsm (this machine has no TEE): a directory tree with
// the kernel's layout (report/<item>/inblob, outblob, provider, generation) whose outblob is the public
// SEV-SNP report vector of ../shared/vectors/sev-snp (go-sev-guest), with its report_data bytes
// rewritten to what the gateway asks for (the PSP would write them; the vector's AMD signature no longer
// covers them, so no verifier accepts this report, which the test also shows). The gateway reads the
// measurement out of its own report and signs it with every output; GET /v1/attestation answers with
// the report binding the signing key and the verifier's nonce. A report that binds anything else
// (the vector as it is) is not attached to outputs and is recorded as not binding (`carapace serve`
// does not start on it), and the route answers 503.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appraiseOutputEvidence, readOwnReport } from '../../src/attest/index.js';
import { parseQuote } from '../../src/attest/dcap/quote.js';
import { parseSevSnpReport } from '../../src/attest/sev_snp/report.js';
import { startGateway } from '../../src/gateway/serve.js';
import { GatewayAttestation, reportDataFor, TsmReportError } from '../../src/vault/attestation.js';
import { OutputSigner } from '../../src/vault/signed_output.js';
import { Vault } from '../../src/vault/vault.js';
import { verifySignedOutput } from '../../src/vault/verify_output.js';
import { freshDataDir } from './helpers.js';

const VECTOR = readFileSync('../shared/vectors/sev-snp/go-sev-guest.attestation.bin');
const VECTOR_MEASUREMENT = parseSevSnpReport(VECTOR).report.measurement.toLowerCase();
/** SEV-SNP report layout: REPORT_DATA at 0x50, 64 bytes. */
const REPORT_DATA_OFFSET = 0x50;
const NONCE = Buffer.alloc(32, 0x5a);

/** SIMULATED configfs-tsm: report/<item>/{inblob,outblob,provider,generation}; returns the report dir. */
function simulatedConfigfsTsm(outblob: Buffer, provider = 'sev_guest'): { reportDir: string; item: string } {
  const reportDir = join(mkdtempSync(join(tmpdir(), 'carapace-SIMULATED-configfs-tsm-')), 'report');
  const item = 'carapace';
  mkdirSync(join(reportDir, item), { recursive: true });
  writeFileSync(join(reportDir, item, 'inblob'), '');
  writeFileSync(join(reportDir, item, 'outblob'), outblob);
  writeFileSync(join(reportDir, item, 'provider'), `${provider}\n`);
  writeFileSync(join(reportDir, item, 'generation'), '1\n');
  return { reportDir, item };
}

/** The vector with report_data rewritten to bind `signer` and `nonce`, as the platform would have. */
function bindingReport(signer: OutputSigner, nonce: Buffer): Buffer {
  const report = Buffer.from(VECTOR);
  reportDataFor(signer, nonce).copy(report, REPORT_DATA_OFFSET);
  return report;
}

test('the measurement comes from the report obtained at start and goes into signed outputs', async () => {
  const signer = OutputSigner.generate();
  const tsm = simulatedConfigfsTsm(bindingReport(signer, NONCE));
  const attestation = new GatewayAttestation(signer, tsm.reportDir, {
    readReport: readOwnReport,
    tsmItem: tsm.item,
    startupNonce: NONCE,
  });
  assert.equal(attestation.status.tee, 'configfs-tsm');
  const startup = attestation.attachStartupEvidence();
  // What the gateway wrote to inblob is the 64 bytes it asked the TEE to bind.
  assert.deepEqual(readFileSync(join(tsm.reportDir, tsm.item, 'inblob')), reportDataFor(signer, NONCE));
  assert.equal(startup.measurement, VECTOR_MEASUREMENT);
  assert.equal(signer.tee, 'configfs-tsm:sev_guest');
  assert.equal(signer.measurement, VECTOR_MEASUREMENT);

  const output = signer.sign({ tool: 'http.request', args: {} }, { status: 200 }, Date.UTC(2026, 11, 7));
  assert.equal(output.measurement, VECTOR_MEASUREMENT);
  assert.equal(output.tee, 'configfs-tsm:sev_guest');
  assert.equal(output.evidence?.report_data, reportDataFor(signer, NONCE).toString('hex'));
  // The structural and signature checks pass; the cryptographic one fails, as it must: the simulated
  // report's report_data was rewritten after AMD signed it, and no VCEK chain comes with it.
  const verdict = await verifySignedOutput(output, {
    appraiser: appraiseOutputEvidence,
    expectedMeasurement: VECTOR_MEASUREMENT,
  });
  assert.equal(verdict.structural.passed, true, JSON.stringify(verdict.structural));
  assert.equal(verdict.signature.passed, true);
  assert.equal(verdict.passed, false);
  assert.equal(verdict.cryptographic.status, 'failed', JSON.stringify(verdict.cryptographic));
});

test('GET /v1/attestation answers with the report binding the signing key and the nonce (simulated configfs-tsm)', async () => {
  const dataDir = freshDataDir('carapace-confidential-');
  const vault = new Vault(dataDir);
  const signer = OutputSigner.fromVault(vault);
  const tsm = simulatedConfigfsTsm(bindingReport(signer, NONCE));
  const attestation = new GatewayAttestation(signer, tsm.reportDir, {
    readReport: readOwnReport,
    tsmItem: tsm.item,
    startupNonce: NONCE,
  });
  attestation.attachStartupEvidence();
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    broker: { vault, signer, attestation },
  });
  try {
    const key = gateway.devAdminKey as string;
    const ask = (nonce: Buffer) =>
      fetch(`${gateway.url}/v1/attestation?nonce=${nonce.toString('hex')}`, {
        headers: { authorization: `Bearer ${key}` },
      });
    const answer = await ask(NONCE);
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as {
      tee: string;
      measurement: string;
      report_data: string;
      evidence: { kind: string; report: string; report_data: string };
    };
    assert.equal(body.tee, 'configfs-tsm:sev_guest');
    assert.equal(body.measurement, VECTOR_MEASUREMENT);
    assert.equal(body.report_data, reportDataFor(signer, NONCE).toString('hex'));
    const report = parseSevSnpReport(Buffer.from(body.evidence.report, 'base64')).report;
    assert.equal(report.report_data.toLowerCase(), body.report_data);
    // The simulated outblob binds NONCE only: for another nonce the report binds the wrong data, and
    // the gateway refuses to hand it out.
    const other = await ask(Buffer.alloc(32, 0x11));
    assert.equal(other.status, 503);
    assert.equal(((await other.json()) as { code: string }).code, 'E_ATTESTATION_UNAVAILABLE');
  } finally {
    await gateway.close();
  }
});

test('a report that does not bind what was asked (the vector as it is) is not attached at start, recorded as binding failed, and refused for a verifier', () => {
  const signer = OutputSigner.generate();
  const tsm = simulatedConfigfsTsm(VECTOR);
  const attestation = new GatewayAttestation(signer, tsm.reportDir, {
    readReport: readOwnReport,
    tsmItem: tsm.item,
  });
  attestation.attachStartupEvidence();
  assert.equal(attestation.selfAppraisal.binding, 'not_bound');
  assert.equal(attestation.selfAppraisal.status, 'failed');
  assert.throws(
    () => attestation.attest(NONCE),
    (e: unknown) => e instanceof TsmReportError && /other report_data/.test(e.message),
  );
  assert.equal(signer.measurement, 'none');
  assert.equal(signer.evidence, null);
  // A truncated report is refused too.
  const short = simulatedConfigfsTsm(VECTOR.subarray(0, 100));
  assert.throws(
    () =>
      new GatewayAttestation(signer, short.reportDir, {
        readReport: readOwnReport,
        tsmItem: short.item,
      }).attest(NONCE),
    (e: unknown) => e instanceof TsmReportError && /cannot be read/.test(e.message),
  );
});

test('without a reader, or for a provider it does not read, outputs say measurement none (verify-output refuses them)', async () => {
  for (const [options, provider] of [
    [{}, 'sev_guest'],
    [{ readReport: readOwnReport }, 'arm_cca_guest'],
  ] as const) {
    const signer = OutputSigner.generate();
    const tsm = simulatedConfigfsTsm(bindingReport(signer, NONCE), provider);
    new GatewayAttestation(signer, tsm.reportDir, {
      ...options,
      tsmItem: tsm.item,
      startupNonce: NONCE,
    }).attachStartupEvidence();
    assert.equal(signer.tee, `configfs-tsm:${provider}`);
    assert.equal(signer.measurement, 'none');
    const verdict = await verifySignedOutput(signer.sign({}, {}), { allowNoTee: true });
    assert.equal(verdict.passed, false);
  }
});

test('readOwnReport reads a TDX quote (tdx_guest) and the SEV-SNP vector', () => {
  const quote = readFileSync('../shared/vectors/dcap/tdx_quote');
  const facts = readOwnReport('tdx_guest', quote);
  const parsed = parseQuote(quote);
  assert.ok(parsed.body.type === 'tdx');
  assert.equal(facts?.measurement, parsed.body.report.mr_td.toLowerCase());
  assert.equal(facts?.reportData, parsed.body.report.report_data.toLowerCase());
  assert.equal(readOwnReport('sev_guest', VECTOR)?.measurement, VECTOR_MEASUREMENT);
  assert.equal(readOwnReport('unknown', VECTOR), null);
});
