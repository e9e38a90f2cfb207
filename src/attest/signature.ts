// One signature check for every verifier: node:crypto, with a signature it cannot even process (a
// wrong length, a key of another type) counted as not verifying rather than thrown.

import { type KeyObject, verify } from 'node:crypto';

export function signatureVerifies(
  hash: 'sha256' | 'sha384' | 'sha512',
  data: Uint8Array,
  key: KeyObject,
  signature: Uint8Array,
  encoding: 'ieee-p1363' | 'der',
): boolean {
  try {
    return verify(hash, data, { key, dsaEncoding: encoding }, signature);
  } catch {
    return false;
  }
}
