// Self-attestation (issue 11): the gateway reads the measurement and report_data out of the report its
// own TEE gave it through configfs-tsm, so its signed outputs carry the measurement the report holds.
// Only the layout is read here (the report came from the platform a moment ago, through the kernel);
// a verifier appraises the same report with its signature and vendor chain (appraiseOutputEvidence).

import { parseQuote } from './dcap/quote.js';
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
