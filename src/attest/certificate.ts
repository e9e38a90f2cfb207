// One X.509 certificate as the verifiers use it: parsed by node:crypto (signatures, native and fast)
// and by @peculiar/x509 (validity dates and the vendor extensions node:crypto cannot read).

import 'reflect-metadata';
import { createHash, type KeyObject, X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AttestError } from './errors.js';

export interface Certificate {
  der: Buffer;
  /** SHA-256 of the DER, lower-case hex: how roots are pinned and chains cached. */
  sha256: string;
  /** Where the certificate came from, for messages: `VCEK`, `pck chain[1]`, `cabundle[0]`. */
  label: string;
  node: NodeCertificate;
  parsed: x509.X509Certificate;
  publicKey: KeyObject;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** The basicConstraints path length, when the certificate sets one. */
  pathLength: number | undefined;
  /** Whether keyUsage allows signing certificates; true when the extension is absent. */
  mayIssueCertificates: boolean;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Parses a DER certificate; anything either parser refuses is E_ATTEST_MALFORMED naming `label`. */
export function parseCertificate(der: Uint8Array, label: string, check: string): Certificate {
  const bytes = Buffer.from(der);
  let node: NodeCertificate;
  let parsed: x509.X509Certificate;
  try {
    node = new NodeCertificate(bytes);
    parsed = new x509.X509Certificate(bytes);
  } catch (e) {
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      label,
      `${label} is not a DER X.509 certificate: ${(e as Error).message}`,
    );
  }
  // node:crypto accepts trailing garbage after the certificate; the DER must be exactly one certificate.
  if (parsed.rawData.byteLength !== bytes.length)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      label,
      `${label} has ${bytes.length - parsed.rawData.byteLength} bytes after the certificate`,
    );
  let basic: x509.BasicConstraintsExtension | null;
  let usage: x509.KeyUsagesExtension | null;
  try {
    basic = parsed.getExtension(x509.BasicConstraintsExtension);
    usage = parsed.getExtension(x509.KeyUsagesExtension);
  } catch (e) {
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      label,
      `${label} has an unreadable extension: ${(e as Error).message}`,
    );
  }
  return {
    der: bytes,
    sha256: sha256Hex(bytes),
    label,
    node,
    parsed,
    publicKey: node.publicKey,
    subject: parsed.subject,
    issuer: parsed.issuer,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    isCa: basic?.ca === true,
    pathLength: basic?.ca === true ? basic.pathLength : undefined,
    mayIssueCertificates: usage === null || (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0,
  };
}

/** The raw value of a non-critical vendor extension, or undefined when the certificate lacks it. */
export function extensionValue(cert: Certificate, oid: string): Buffer | undefined {
  const ext = cert.parsed.getExtension(oid);
  return ext ? Buffer.from(ext.value) : undefined;
}
