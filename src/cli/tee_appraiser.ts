// The gateway's appraiser of its own TEE report (issue 14, SH-3), made from `--tee-certs` and
// `--tee-collateral` for `carapace serve --broker` and `carapace doctor --broker`: the same verifiers as
// agents' evidence (src/attest), with the vendor roots pinned there. SEV-SNP takes its VCEK chain from
// configfs-tsm's auxblob when the host gives it, else from the certificate file; TDX takes its PCK chain
// from the quote and needs the DCAP collateral file. A file that cannot be read stops the start.

import { readFileSync } from 'node:fs';
import { appraiseOwnReport, ChainCache, readCertificateFile } from '../attest/index.js';
import type { OwnReportAppraiser } from '../vault/attestation.js';
import { failure } from './io.js';

export interface TeeAppraisalFlags {
  /** PEM or DER file(s) with the VCEK (first) and optionally the ASK and ARK. */
  teeCerts?: string[];
  /** A DCAP collateral JSON file (dcap-qvl QuoteCollateralV3) for TDX. */
  teeCollateral?: string;
}

export function teeAppraiser(flags: TeeAppraisalFlags, now: () => number = Date.now): OwnReportAppraiser {
  let certs: Buffer[] = [];
  let collateral: unknown;
  try {
    certs = (flags.teeCerts ?? []).flatMap((file) => readCertificateFile(readFileSync(file), file));
    if (flags.teeCollateral !== undefined)
      collateral = JSON.parse(readFileSync(flags.teeCollateral, 'utf8')) as unknown;
  } catch (e) {
    throw failure('E_TEE_OPTION', 'cannot read --tee-certs / --tee-collateral', (e as Error).message);
  }
  const cache = new ChainCache();
  return (provider, outblob, auxblob) => {
    const a = appraiseOwnReport(provider, outblob, {
      at: now(),
      auxblob,
      certs,
      ...(collateral !== undefined ? { collateral } : {}),
      cache,
    });
    return { status: a.status, reason: a.reason, chain: a.chain };
  };
}
