// The gateway's attestation of its output-signing key (DESIGN.md §9): report_data = SHA-256 of the
// key's SubjectPublicKeyInfo DER ‖ a 32-byte nonce. Inside a TEE with configfs-tsm, a report is asked
// for at start (with a random nonce, attached to signed outputs) and for each verifier's nonce on
// GET /v1/attestation; elsewhere the answer is `tee: none` with the reason, and no report is invented.

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
    const report = requestTsmReport(this.status.reportDir, reportData);
    return {
      tee: `configfs-tsm:${report.provider}`,
      ...base,
      evidence: {
        kind: `configfs-tsm:${report.provider}`,
        report: report.outblob.toString('base64'),
        nonce: base.nonce,
        report_data: base.report_data,
      },
    };
  }

  /** At start: attach a report (random nonce) to every signed output when a TEE is present. */
  attachStartupEvidence(): AttestationAnswer {
    const answer = this.attest(randomBytes(32));
    this.signer.evidence = answer.evidence;
    // The measurement inside the report is read by the attestation module (src/attest); until it is,
    // signed outputs say tee <kind> with measurement none, which verify-output refuses: fail closed.
    if (answer.evidence) this.signer.tee = answer.tee;
    return answer;
  }
}

export { TsmReportError };
