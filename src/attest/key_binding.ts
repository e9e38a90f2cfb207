// Binding a key to an attestation: report_data[0:32] = SHA-256 of the key's DER SubjectPublicKeyInfo,
// report_data[32:64] = the verifier's nonce (1 to 32 bytes, zero-padded). One function builds the
// 64 bytes an attester puts in its report; the others compare in constant time.

import { createHash, createPublicKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { AttestError } from './errors.js';

export const REPORT_DATA_SIZE = 64;
export const MAX_NONCE_SIZE = 32;

/** The DER SPKI of a key given as a KeyObject, PEM text, or DER bytes; E_ATTEST_INPUT otherwise. */
export function publicKeyDer(key: KeyObject | string | Uint8Array): Buffer {
  try {
    const object =
      typeof key === 'string'
        ? createPublicKey(key)
        : key instanceof Uint8Array
          ? createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' })
          : key;
    return object.export({ format: 'der', type: 'spki' });
  } catch (e) {
    throw new AttestError(
      'E_ATTEST_INPUT',
      'policy.public_key',
      'public_key',
      `not a public key (PEM or DER SPKI): ${(e as Error).message}`,
    );
  }
}

export function publicKeyDigest(spkiDer: Uint8Array): Buffer {
  return createHash('sha256').update(spkiDer).digest();
}

/** The report_data an attester must produce to bind `publicKey` (and `nonce`, if any). */
export function keyBindingReportData(publicKey: KeyObject | string | Uint8Array, nonce?: Uint8Array): Buffer {
  const out = Buffer.alloc(REPORT_DATA_SIZE);
  publicKeyDigest(publicKeyDer(publicKey)).copy(out, 0);
  if (nonce) paddedNonce(nonce).copy(out, 32);
  return out;
}

export function paddedNonce(nonce: Uint8Array): Buffer {
  if (nonce.length === 0 || nonce.length > MAX_NONCE_SIZE)
    throw new AttestError(
      'E_ATTEST_INPUT',
      'policy.nonce',
      'nonce',
      `a nonce is 1 to ${MAX_NONCE_SIZE} bytes; got ${nonce.length}`,
    );
  const out = Buffer.alloc(32);
  Buffer.from(nonce).copy(out);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
