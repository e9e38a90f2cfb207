// The little DER that vendor certificate extensions need beyond what @peculiar/x509 parses: AMD's
// SPLs (an INTEGER each) and product name (IA5String), Intel's SGX extension (nested SEQUENCEs of
// OID and value). Read strictly: definite lengths, minimal length octets, nothing left over.

import { AttestError } from './errors.js';

function element(value: Uint8Array, tag: number, what: string, check: string): Uint8Array {
  const length = value[1];
  if (value[0] !== tag || length === undefined || length > 0x7f || value.length !== 2 + length)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      what,
      `${what} is not a single DER element of tag 0x${tag.toString(16)}`,
    );
  return value.subarray(2);
}

/** A non-negative DER INTEGER of at most 4 bytes of magnitude. */
export function derSmallInteger(value: Uint8Array, what: string, check: string): number {
  const body = element(value, 0x02, what, check);
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
      what,
      `${what} is not a small non-negative DER INTEGER`,
    );
  return magnitude.reduce((n, b) => n * 256 + b, 0);
}

export function derIa5String(value: Uint8Array, what: string, check: string): string {
  const body = element(value, 0x16, what, check);
  if (body.some((b) => b > 0x7f))
    throw new AttestError('E_ATTEST_MALFORMED', check, what, `${what} is not ASCII`);
  return Buffer.from(body).toString('latin1');
}

export interface DerElement {
  tag: number;
  value: Uint8Array;
  /** The whole element: tag, length and value. */
  raw: Uint8Array;
}

/** Splits `bytes` into consecutive DER elements (single-byte tags, definite lengths up to 4 octets). */
export function derElements(bytes: Uint8Array, what: string, check: string): DerElement[] {
  const fail = (detail: string) => new AttestError('E_ATTEST_MALFORMED', check, what, `${what}: ${detail}`);
  const out: DerElement[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const tag = bytes[at] as number;
    if ((tag & 0x1f) === 0x1f) throw fail('multi-byte tags are not expected here');
    let length = bytes[at + 1];
    if (length === undefined) throw fail('truncated element');
    at += 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 4 || at + n > bytes.length) throw fail('bad length octets');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + (bytes[at + i] as number);
      if (length < 0x80 || (n > 1 && bytes[at] === 0)) throw fail('length is not minimally encoded');
      at += n;
    }
    if (at + length > bytes.length) throw fail('element runs past the end');
    out.push({ tag, value: bytes.subarray(at, at + length), raw: bytes.subarray(start, at + length) });
    at += length;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content octets. */
export function derOid(value: Uint8Array): string {
  const arcs: number[] = [];
  let n = 0;
  for (const b of value) {
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  return arcs.join('.');
}
