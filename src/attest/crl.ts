// Certificate revocation lists: parsed by @peculiar/x509, their signature checked with node:crypto
// over the exact TBSCertList bytes, their window judged at the verification time, and certificates
// looked up by serial number.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { Certificate } from './certificate.js';
import { derElements } from './der.js';
import { signatureVerifies } from './signature.js';
import { AttestError } from './errors.js';

export interface VerifiedCrl {
  label: string;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Revoked serial numbers, lower-case hex without leading zeros. */
  revoked: ReadonlySet<string>;
}

const HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** Parses a DER CRL and checks that `issuer` signed it. Requires an ECDSA signature (Intel's CRLs). */
export function verifyCrl(der: Uint8Array, issuer: Certificate, label: string, check: string): VerifiedCrl {
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(Buffer.from(der));
  } catch (e) {
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      label,
      `${label} is not a DER CRL: ${(e as Error).message}`,
    );
  }
  if (crl.rawData.byteLength !== der.length)
    throw new AttestError('E_ATTEST_MALFORMED', check, label, `${label} has bytes after the CRL`);
  if (crl.issuer !== issuer.subject)
    throw new AttestError(
      'E_ATTEST_COLLATERAL',
      check,
      label,
      `${label} is issued by "${crl.issuer}", not by ${issuer.label} "${issuer.subject}"`,
    );
  const algorithm = crl.signatureAlgorithm as { name?: string; hash?: { name?: string } };
  const hash = HASHES[algorithm.hash?.name ?? ''];
  const signed = signedParts(der, label, check);
  if (algorithm.name !== 'ECDSA' || !hash || !signed)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      check,
      label,
      `${label}: the signature algorithm is not ECDSA with SHA-2, or differs inside and outside the signed part`,
    );
  const ok = signatureVerifies(hash, signed.tbs, issuer.publicKey, signed.signature, 'der');
  if (!ok)
    throw new AttestError(
      'E_ATTEST_SIGNATURE',
      check,
      label,
      `the signature of ${label} does not verify with the key of ${issuer.label}`,
    );
  const nextUpdate = crl.nextUpdate;
  if (!nextUpdate) throw new AttestError('E_ATTEST_COLLATERAL', check, label, `${label} has no nextUpdate`);
  return {
    label,
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate,
    revoked: new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber))),
  };
}

export function checkCrlTime(crl: VerifiedCrl, at: Date, check: string): void {
  if (at < crl.thisUpdate || at > crl.nextUpdate)
    throw new AttestError(
      'E_ATTEST_TIME',
      check,
      crl.label,
      `${crl.label} covers ${crl.thisUpdate.toISOString()} to ${crl.nextUpdate.toISOString()}, not ${at.toISOString()}`,
    );
}

/** `cert` must be issued by the CRL's issuer and not listed in it. */
export function checkNotRevoked(cert: Certificate, crl: VerifiedCrl, check: string): void {
  if (cert.issuer !== crl.issuer)
    throw new AttestError(
      'E_ATTEST_COLLATERAL',
      check,
      cert.label,
      `${crl.label} is issued by "${crl.issuer}", not by the issuer of ${cert.label}`,
    );
  const serial = normalizeSerial(cert.parsed.serialNumber);
  if (crl.revoked.has(serial))
    throw new AttestError(
      'E_ATTEST_REVOKED',
      check,
      cert.label,
      `${cert.label} (serial ${serial}) is revoked by ${crl.label}`,
    );
}

/**
 * The exact TBSCertList bytes and the signature of a CertificateList, or undefined when the
 * algorithm inside the signed part is not the one outside it (RFC 5280 §5.1.1.2).
 */
function signedParts(
  der: Uint8Array,
  label: string,
  check: string,
): { tbs: Uint8Array; signature: Uint8Array } | undefined {
  const [list] = derElements(der, label, check);
  const [tbs, algorithm, signature] = derElements((list as { value: Uint8Array }).value, label, check);
  if (!tbs || !algorithm || signature?.tag !== 0x03 || signature.value[0] !== 0) return undefined;
  const inner = derElements(tbs.value, label, check);
  const innerAlgorithm = inner[0]?.tag === 0x02 ? inner[1] : inner[0];
  if (!innerAlgorithm || !Buffer.from(innerAlgorithm.raw).equals(algorithm.raw)) return undefined;
  return { tbs: tbs.raw, signature: signature.value.subarray(1) };
}
