// The gateway's attestation of its output-signing key (DESIGN.md §9): report_data = SHA-256 of the
// key's SubjectPublicKeyInfo DER ‖ a 32-byte nonce. Inside a TEE with configfs-tsm, a report is asked
// for at start (with a random nonce, attached to signed outputs) and for each verifier's nonce on
// GET /v1/attestation; elsewhere the answer is `tee: none` with the reason, and no report is invented.
// Given a report reader (the attestation module's readOwnReport, injected by the composition root: the
// vault does not import it), each report is read back: it must bind exactly the report_data asked for
// (else it is refused), and the measurement it holds goes into every signed output from then on.

import { randomBytes } from 'node:crypto';
import { requestTsmReport, TsmReportError } from './configfs_tsm.js';
import { type OutputEvidence, type OutputSigner, publicKeyDigest } from './signed_output.js';
import { detectTee, type TeeStatus } from './tee.js';

export interface AttestationAnswer {
  tee: string;
  /** Why there is no report, when there is none. */
  reason?: string;
  public_key_pem: string;
  /** hex of the 64 bytes a report binds (also given when no TEE could bind them). */
  report_data: string;
  nonce: string;
  evidence: OutputEvidence | null;
  /** The measurement read from the report (lower-case hex), when a reader for its provider was given. */
  measurement?: string;
}

/** Reads a configfs-tsm outblob: null for a provider it does not know; throws on a malformed report. */
export type OwnReportReader = (
  provider: string,
  outblob: Uint8Array,
) => { measurement: string; reportData: string } | null;

export interface GatewayAttestationOptions {
  /** How the report's measurement and report_data are read (src/attest readOwnReport). */
  readReport?: OwnReportReader;
  /**
   * The configfs-tsm report item to use, created when absent and kept (reused) when present; default a
   * fresh item per report, removed afterwards.
   */
  tsmItem?: string;
  /** The nonce of the report asked for at start; default 32 random bytes (tests fix it). */
  startupNonce?: Buffer;
}

/** What answers GET /v1/attestation: the gateway's own attestation, or the sealed process's. */
export interface AttestationSource {
  attest(nonce: Buffer): AttestationAnswer | Promise<AttestationAnswer>;
}

export function reportDataFor(signer: OutputSigner, nonce: Buffer): Buffer {
  if (nonce.length !== 32) throw new Error('the nonce is 32 bytes');
  return Buffer.concat([publicKeyDigest(signer.publicKey), nonce]);
}

export class GatewayAttestation implements AttestationSource {
  readonly status: TeeStatus;

  constructor(
    readonly signer: OutputSigner,
    reportDir?: string,
    private readonly options: GatewayAttestationOptions = {},
  ) {
    this.status = detectTee(reportDir);
  }

  /** A report for `nonce` (32 bytes), or the honest `tee: none`. A TEE that fails to report is an error. */
  attest(nonce: Buffer): AttestationAnswer {
    const reportData = reportDataFor(this.signer, nonce);
    const base = {
      public_key_pem: this.signer.publicKeyPem,
      report_data: reportData.toString('hex'),
      nonce: nonce.toString('hex'),
    };
    if (this.status.tee === 'none')
      return { tee: 'none', reason: this.status.reason, ...base, evidence: null };
    const report = requestTsmReport(
      this.status.reportDir,
      reportData,
      this.options.tsmItem !== undefined ? { item: this.options.tsmItem } : {},
    );
    const measurement = this.readBack(report.provider, report.outblob, reportData);
    return {
      tee: `configfs-tsm:${report.provider}`,
      ...base,
      ...(measurement !== null ? { measurement } : {}),
      evidence: {
        kind: `configfs-tsm:${report.provider}`,
        report: report.outblob.toString('base64'),
        nonce: base.nonce,
        report_data: base.report_data,
      },
    };
  }

  /**
   * At start: attach a report (random nonce) to every signed output when a TEE is present, and sign
   * with the measurement read from it. Without a reader for the report (or for its provider), signed
   * outputs say tee <kind> with measurement none, which verify-output refuses: fail closed.
   */
  attachStartupEvidence(): AttestationAnswer {
    const answer = this.attest(this.options.startupNonce ?? randomBytes(32));
    this.signer.evidence = answer.evidence;
    if (answer.evidence) {
      this.signer.tee = answer.tee;
      if (answer.measurement !== undefined) this.signer.measurement = answer.measurement;
    }
    return answer;
  }

  /** The report's measurement, after checking it binds `reportData`; null when it cannot be read. */
  private readBack(provider: string, outblob: Buffer, reportData: Buffer): string | null {
    const read = this.options.readReport;
    if (!read) return null;
    let facts: ReturnType<OwnReportReader>;
    try {
      facts = read(provider, outblob);
    } catch (e) {
      throw new TsmReportError(`the ${provider} report cannot be read: ${(e as Error).message}`);
    }
    if (facts === null) return null;
    if (facts.reportData !== reportData.toString('hex'))
      throw new TsmReportError(
        `the ${provider} report binds other report_data than was asked for: it is not this request's report`,
      );
    if (!/^[0-9a-f]+$/.test(facts.measurement) || /^0+$/.test(facts.measurement))
      throw new TsmReportError(`the ${provider} report holds no measurement`);
    return facts.measurement;
  }
}

export { TsmReportError };
