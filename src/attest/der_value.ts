// The two DER primitives that vendor certificate extensions carry as their whole value (AMD's SPLs
// as INTEGERs, its product name as an IA5String), read strictly: one element, short form, no slack.

import type { Certificate } from './certificate.js';
import { AttestError } from './errors.js';

function element(value: Uint8Array, tag: number, what: string, cert: Certificate, check: string): Uint8Array {
  const length = value[1];
  if (value[0] !== tag || length === undefined || length > 0x7f || value.length !== 2 + length)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${cert.label} ${what}`,
      `${cert.label}: ${what} is not a single DER element of tag 0x${tag.toString(16)}`,
    );
  return value.subarray(2);
}

/** A non-negative DER INTEGER of at most 4 bytes of magnitude. */
export function derSmallInteger(value: Uint8Array, what: string, cert: Certificate, check: string): number {
  const body = element(value, 0x02, what, cert, check);
  const magnitude = body[0] === 0 && body.length > 1 ? body.subarray(1) : body;
  if (
    body.length === 0 ||
    ((body[0] as number) & 0x80) !== 0 ||
    magnitude.length > 4 ||
    (body[0] === 0 && body.length > 1 && ((body[1] as number) & 0x80) === 0)
  )
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${cert.label} ${what}`,
      `${cert.label}: ${what} is not a small non-negative DER INTEGER`,
    );
  return magnitude.reduce((n, b) => n * 256 + b, 0);
}

export function derIa5String(value: Uint8Array, what: string, cert: Certificate, check: string): string {
  const body = element(value, 0x16, what, cert, check);
  if (body.some((b) => b > 0x7f))
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${cert.label} ${what}`,
      `${cert.label}: ${what} is not ASCII`,
    );
  return Buffer.from(body).toString('latin1');
}
