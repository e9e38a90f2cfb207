// Self-attestation (issue 11): the gateway reads the measurement and report_data out of the report its
// own TEE gave it through configfs-tsm, so its signed outputs carry the measurement the report holds.
// Only the layout is read here (the report came from the platform a moment ago, through the kernel);
// a verifier appraises the same report with its signature and vendor chain (appraiseOutputEvidence), and
// so does the gateway itself at start (appraiseOwnReport, issue 14: SH-3's "attestation verified").

import { type Appraisal, appraise } from './appraise.js';
import type { PinnedRoots } from './chain.js';
import type { ChainCache } from './chain_cache.js';
import { parseQuote } from './dcap/quote.js';
import { parseSevCertTable } from './sev_snp/cert_table.js';
import { parseSevSnpReport } from './sev_snp/report.js';

export interface OwnReportFacts {
  /** Lower-case hex: SEV-SNP MEASUREMENT (48 bytes), TDX MRTD (48 bytes). */
  measurement: string;
  /** Lower-case hex of the 64 report_data bytes. */
  reportData: string;
}

/**
 * The facts of a configfs-tsm `outblob` from `provider` (sev_guest: an SEV-SNP report; tdx_guest: a TDX
 * quote), or null for a provider this module does not read. A malformed report throws AttestError.
 */
export function readOwnReport(provider: string, outblob: Uint8Array): OwnReportFacts | null {
  if (provider === 'sev_guest') {
    const { report } = parseSevSnpReport(outblob);
    return { measurement: report.measurement.toLowerCase(), reportData: report.report_data.toLowerCase() };
  }
  if (provider === 'tdx_guest') {
    const quote = parseQuote(outblob);
    if (quote.body.type !== 'tdx') return null;
    return {
      measurement: quote.body.report.mr_td.toLowerCase(),
      reportData: quote.body.report.report_data.toLowerCase(),
    };
  }
  return null;
}

/** What the gateway needs besides its own report to appraise it (configured at start). */
export interface OwnReportAppraisalOptions {
  /** The verification time (the gateway's clock). */
  at: Date | number;
  /** SEV-SNP: configfs-tsm's `auxblob` (the host's certificate table), when the provider gave one. */
  auxblob?: Uint8Array | null;
  /** SEV-SNP: certificates (DER) from a configured file, used when the auxblob has no VCEK. */
  certs?: readonly Uint8Array[];
  /** TDX: the DCAP collateral (dcap-qvl QuoteCollateralV3 JSON); the quote carries its own PCK chain. */
  collateral?: unknown;
  policy?: unknown;
  cache?: ChainCache;
  /** Pinned roots replacing the vendor's; for test PKIs only. */
  roots?: PinnedRoots;
}

/** The signature half of the gateway's self-appraisal: was its own report verified against the vendor? */
export interface OwnReportAppraisal {
  status: 'verified' | 'failed' | 'not_available';
  /** Why it is not verified (empty when it is). */
  reason: string;
  /** Where the vendor chain came from: auxblob, configured certs, the quote itself, or none. */
  chain: 'auxblob' | 'configured' | 'quote' | 'none';
  /** The full appraisal, when one was made. */
  appraisal: Appraisal | null;
}

/**
 * Appraises the gateway's own configfs-tsm report with the same verifiers agents' evidence goes
 * through: SEV-SNP against the VCEK (from the auxblob, else the configured certificates) up to the
 * pinned AMD root; TDX against its own PCK chain to the pinned Intel root with the given collateral.
 * Never throws. The key binding (report_data) is the caller's check: it knows what it asked for.
 */
export function appraiseOwnReport(
  provider: string,
  outblob: Uint8Array,
  options: OwnReportAppraisalOptions,
): OwnReportAppraisal {
  const common = {
    at: options.at,
    ...(options.policy !== undefined ? { policy: options.policy } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.roots ? { roots: options.roots } : {}),
  };
  const done = (appraisal: Appraisal, chain: OwnReportAppraisal['chain']): OwnReportAppraisal => ({
    status: appraisal.verified ? 'verified' : 'failed',
    reason: appraisal.verified ? '' : appraisalReason(appraisal),
    chain,
    appraisal,
  });
  if (provider === 'sev_guest') {
    let fromAux: Buffer[] = [];
    let auxProblem = '';
    if (options.auxblob && options.auxblob.length > 0) {
      try {
        const { certs } = parseSevCertTable(options.auxblob);
        if (certs.vcek)
          fromAux = [certs.vcek, ...(certs.ask ? [certs.ask] : []), ...(certs.ark ? [certs.ark] : [])];
        else if (certs.vlek)
          auxProblem = 'the auxblob holds a VLEK; VLEK-signed reports are not verified yet';
        else auxProblem = 'the auxblob holds no VCEK';
      } catch (e) {
        auxProblem = `the auxblob is not a certificate table: ${(e as Error).message}`;
      }
    }
    if (fromAux.length > 0)
      return done(appraise(outblob, { kind: 'sev-snp', certs: fromAux, ...common }), 'auxblob');
    if (options.certs && options.certs.length > 0)
      return done(appraise(outblob, { kind: 'sev-snp', certs: options.certs, ...common }), 'configured');
    return {
      status: 'not_available',
      reason: `no VCEK to verify the SEV-SNP report with: ${auxProblem || 'configfs-tsm gave no auxblob'}, and no certificate file is configured (--tee-certs)`,
      chain: 'none',
      appraisal: null,
    };
  }
  if (provider === 'tdx_guest') {
    if (options.collateral === undefined)
      return {
        status: 'not_available',
        reason:
          'a TDX quote is verified with its DCAP collateral (TCB info, QE identity, CRLs), and none is configured (--tee-collateral)',
        chain: 'none',
        appraisal: null,
      };
    return done(appraise(outblob, { kind: 'tdx', collateral: options.collateral, ...common }), 'quote');
  }
  return {
    status: 'not_available',
    reason: `no verifier for configfs-tsm provider ${provider}`,
    chain: 'none',
    appraisal: null,
  };
}

function appraisalReason(a: Appraisal): string {
  const f = a.failure ?? a.policy_failures[0];
  if (!f) return 'not verified';
  return `${f.check} failed at ${f.where}: ${f.detail}`;
}
