// The public vectors of ../shared/vectors (read in place, never copied), as appraise() takes them.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));
export const vectorPath = (name: string) => `${VECTORS}${name}`;
const read = (name: string) => readFileSync(vectorPath(name));

/** DER of every certificate in a PEM file. */
function pemDers(name: string): Buffer[] {
  return [
    ...read(name)
      .toString('latin1')
      .matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g),
  ].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

export const sevGoSevGuest = {
  report: read('sev-snp/go-sev-guest.attestation.bin'),
  vcek: read('sev-snp/go-sev-guest.vcek.der'),
  milanChain: pemDers('sev-snp/ask_ark_milan.pem'),
  genoaChain: pemDers('sev-snp/ask_ark_genoa.pem'),
};

export const sevVirtee = {
  report: Buffer.from(read('sev-snp/virtee.report_milan.hex').toString('latin1').trim(), 'hex'),
  vcek: read('sev-snp/virtee.vcek_milan.der'),
  ask: pemDers('sev-snp/virtee.ask_milan.pem'),
  ark: pemDers('sev-snp/virtee.ark_milan.pem'),
};

export function dcapVector(name: 'sgx_quote' | 'tdx_quote' | 'tdx_quote_outdated') {
  return {
    quote: read(`dcap/${name}`),
    collateral: JSON.parse(read(`dcap/${name}_collateral.json`).toString('utf8')) as Record<string, string>,
  };
}

/** Inside the collateral windows the vectors README gives, and well outside them. */
export const DCAP_INSIDE_2025 = new Date('2025-06-20T12:00:00Z');
export const DCAP_INSIDE_2026 = new Date('2026-03-01T12:00:00Z');

export const nitroDocument = Buffer.from(
  read('nitro/sui-fixed-valid-attestation.hex').toString('latin1').trim(),
  'hex',
);
/** The verification time the vectors README gives (ms). */
export const NITRO_AT = 1731627987382;
