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
  try {
    const node = new NodeCertificate(bytes);
    const parsed = new x509.X509Certificate(bytes);
    // node:crypto accepts trailing bytes after the certificate; the DER must be exactly one certificate.
    if (parsed.rawData.byteLength !== bytes.length)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        check,
        label,
        `${label} has ${bytes.length - parsed.rawData.byteLength} bytes after the certificate`,
      );
    const basic = parsed.getExtension(x509.BasicConstraintsExtension);
    const usage = parsed.getExtension(x509.KeyUsagesExtension);
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
  } catch (e) {
    if (e instanceof AttestError) throw e;
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      label,
      `${label} is not a readable DER X.509 certificate: ${(e as Error).message}`,
    );
  }
}

/** Whether `cert`'s signature verifies with `key`; a signature OpenSSL cannot even process does not. */
export function signedBy(cert: Certificate, key: KeyObject): boolean {
  try {
    return cert.node.verify(key);
  } catch {
    return false;
  }
}

/** The raw value of a non-critical vendor extension, or undefined when the certificate lacks it. */
export function extensionValue(cert: Certificate, oid: string): Buffer | undefined {
  const ext = cert.parsed.getExtension(oid);
  return ext ? Buffer.from(ext.value) : undefined;
}
