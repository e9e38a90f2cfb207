// The gateway's attestation of its output-signing key (DESIGN.md §9): report_data = SHA-256 of the
// key's SubjectPublicKeyInfo DER ‖ a 32-byte nonce. Inside a TEE with configfs-tsm, a report is asked
// for at start (with a random nonce, attached to signed outputs) and for each verifier's nonce on
// GET /v1/attestation; elsewhere the answer is `tee: none` with the reason, and no report is invented.
// Given a report reader (the attestation module's readOwnReport, injected by the composition root: the
// vault does not import it), each report is read back: it must bind exactly the report_data asked for
// (else it is refused), and the measurement it holds goes into every signed output from then on.
// Given a report appraiser too (src/attest appraiseOwnReport, injected the same way), the gateway
// appraises its own report against the vendor's chain at start and for each answer, and keeps the
// result (selfAppraisal): verified only when a report was obtained, its signature verified up to the
// pinned root, and its report_data binds the output-signing key. SH-3 requires exactly that.

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
  /** This report's appraisal by the gateway itself (binding and vendor signature). */
  appraisal?: SelfAppraisal;
  /** The appraisal of the report obtained at start, kept by the gateway. */
  startup_appraisal?: SelfAppraisal;
}

/** Appraises a report's vendor signature (src/attest appraiseOwnReport); never throws. */
export type OwnReportAppraiser = (
  provider: string,
  outblob: Uint8Array,
  auxblob: Uint8Array | null,
) => { status: 'verified' | 'failed' | 'not_available'; reason: string; chain: string };

/** The gateway's appraisal of its own TEE report: each part said apart, so a gap names itself. */
export interface SelfAppraisal {
  /** `verified` only when obtained, signature verified and binding bound. */
  status: 'verified' | 'failed' | 'not_available';
  /** Whether a TEE report was obtained at all. */
  obtained: boolean;
  /** The report's signature up to the vendor's pinned root. */
  signature: 'verified' | 'failed' | 'not_available';
  /** Whether report_data binds the output-signing key (and the nonce asked for). */
  binding: 'bound' | 'not_bound' | 'not_checked';
  /** Every part that is not met, in words; empty when verified. */
  reason: string;
  /** Where the vendor chain came from (auxblob, configured, quote, none). */
  chain?: string;
  tee?: string;
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
  /** How the report's vendor signature is appraised (src/attest appraiseOwnReport); none: not available. */
  appraiseReport?: OwnReportAppraiser;
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
  /** The appraisal of the report obtained at start (not available until attachStartupEvidence). */
  selfAppraisal: SelfAppraisal;

  constructor(
    readonly signer: OutputSigner,
    reportDir?: string,
    private readonly options: GatewayAttestationOptions = {},
  ) {
    this.status = detectTee(reportDir);
    this.selfAppraisal = notAvailable(
      this.status.tee === 'none' ? `no TEE: ${this.status.reason}` : 'no report obtained yet',
    );
  }

  /** A report for `nonce` (32 bytes), or the honest `tee: none`. A TEE that fails to report is an error. */
  attest(nonce: Buffer): AttestationAnswer {
    const obtained = this.obtain(nonce);
    if (obtained.answer.evidence === null)
      return { ...obtained.answer, startup_appraisal: this.selfAppraisal };
    if (obtained.appraisal.binding === 'not_bound')
      throw new TsmReportError(
        `the ${obtained.provider} report binds other report_data than was asked for: it is not this request's report`,
      );
    return { ...obtained.answer, appraisal: obtained.appraisal, startup_appraisal: this.selfAppraisal };
  }

  /**
   * At start: ask for a report (random nonce), appraise it and keep the appraisal. A report that binds
   * the key is attached to every signed output, which is signed with the measurement read from it; one
   * that does not bind it is not attached (recorded as `binding: not_bound`, so SH-3 is unmet and says
   * why). Without a reader for the report (or for its provider), signed outputs say tee <kind> with
   * measurement none, which verify-output refuses: fail closed.
   */
  attachStartupEvidence(): AttestationAnswer {
    const obtained = this.obtain(this.options.startupNonce ?? randomBytes(32));
    this.selfAppraisal = obtained.appraisal;
    const answer = { ...obtained.answer, appraisal: obtained.appraisal };
    if (answer.evidence && obtained.appraisal.binding !== 'not_bound') {
      this.signer.evidence = answer.evidence;
      this.signer.tee = answer.tee;
      if (answer.measurement !== undefined) this.signer.measurement = answer.measurement;
    } else {
      this.signer.evidence = null;
    }
    return answer;
  }

  /** Asks the TEE for a report binding the key and `nonce`, reads it back and appraises it. */
  private obtain(nonce: Buffer): { answer: AttestationAnswer; appraisal: SelfAppraisal; provider: string } {
    const reportData = reportDataFor(this.signer, nonce);
    const base = {
      public_key_pem: this.signer.publicKeyPem,
      report_data: reportData.toString('hex'),
      nonce: nonce.toString('hex'),
    };
    if (this.status.tee === 'none')
      return {
        answer: { tee: 'none', reason: this.status.reason, ...base, evidence: null },
        appraisal: notAvailable(`no TEE: ${this.status.reason}`),
        provider: 'none',
      };
    const report = requestTsmReport(
      this.status.reportDir,
      reportData,
      this.options.tsmItem !== undefined ? { item: this.options.tsmItem } : {},
    );
    const tee = `configfs-tsm:${report.provider}`;
    const facts = this.readBack(report.provider, report.outblob);
    const binding: SelfAppraisal['binding'] =
      facts === null ? 'not_checked' : facts.reportData === base.report_data ? 'bound' : 'not_bound';
    const signature = this.options.appraiseReport
      ? this.options.appraiseReport(report.provider, report.outblob, report.auxblob)
      : { status: 'not_available' as const, reason: 'no report appraiser is configured', chain: 'none' };
    const gaps = [
      ...(signature.status === 'verified' ? [] : [`signature ${signature.status}: ${signature.reason}`]),
      ...(binding === 'bound'
        ? []
        : binding === 'not_bound'
          ? [
              "binding failed: the report's report_data is not SHA-256(output-signing key) ‖ the nonce asked for",
            ]
          : [`binding not checked: no reader for ${report.provider} reports`]),
    ];
    const measurement = facts?.measurement;
    const appraisal: SelfAppraisal = {
      status:
        gaps.length === 0
          ? 'verified'
          : signature.status === 'not_available' && binding === 'bound'
            ? 'not_available'
            : 'failed',
      obtained: true,
      signature: signature.status,
      binding,
      reason: gaps.join('; '),
      chain: signature.chain,
      tee,
      ...(measurement !== undefined ? { measurement } : {}),
    };
    return {
      answer: {
        tee,
        ...base,
        ...(measurement !== undefined ? { measurement } : {}),
        evidence: {
          kind: tee,
          report: report.outblob.toString('base64'),
          nonce: base.nonce,
          report_data: base.report_data,
        },
      },
      appraisal,
      provider: report.provider,
    };
  }

  /** The report's measurement and report_data; null when it cannot be read (no reader for it). */
  private readBack(provider: string, outblob: Buffer): { measurement: string; reportData: string } | null {
    const read = this.options.readReport;
    if (!read) return null;
    let facts: ReturnType<OwnReportReader>;
    try {
      facts = read(provider, outblob);
    } catch (e) {
      throw new TsmReportError(`the ${provider} report cannot be read: ${(e as Error).message}`);
    }
    if (facts === null) return null;
    if (!/^[0-9a-f]+$/.test(facts.measurement) || /^0+$/.test(facts.measurement))
      throw new TsmReportError(`the ${provider} report holds no measurement`);
    return facts;
  }
}

function notAvailable(reason: string): SelfAppraisal {
  return {
    status: 'not_available',
    obtained: false,
    signature: 'not_available',
    binding: 'not_checked',
    reason,
  };
}

export { TsmReportError };
