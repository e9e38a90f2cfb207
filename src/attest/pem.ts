// PEM certificate chains. Inside evidence (a DCAP quote's certification data, Intel collateral) the
// chain must be in canonical form, byte for byte, so that no change to the evidence goes unnoticed;
// certificate files given by a person are read leniently (PEM or DER, any line breaks).

import { AttestError, hexOffset } from './errors.js';

const BEGIN = '-----BEGIN CERTIFICATE-----\n';
const END = '-----END CERTIFICATE-----\n';
const BASE64_LINE = /^[A-Za-z0-9+/]{1,64}={0,2}$/;

export interface PemBlock {
  der: Buffer;
  /** Offset of the block's first byte in the whole evidence. */
  offset: number;
}

/**
 * Parses concatenated canonical PEM certificates (64-character lines, `\n` line ends, nothing
 * between blocks), optionally followed by one NUL byte as Intel's quoting enclave writes it.
 * Every deviation is an error naming its offset, `base` being the offset of `bytes[0]` in the evidence.
 */
export function parseCanonicalPemChain(
  bytes: Uint8Array,
  base: number,
  check: string,
  field: string,
): PemBlock[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const end = text.endsWith('\0') ? text.length - 1 : text.length;
  const malformed = (at: number, detail: string) =>
    new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${field} at ${hexOffset(base + at)}`,
      `${field}: ${detail}`,
    );
  const blocks: PemBlock[] = [];
  let at = 0;
  while (at < end) {
    if (!text.startsWith(BEGIN, at))
      throw malformed(at, `expected "-----BEGIN CERTIFICATE-----" at ${hexOffset(base + at)}`);
    const bodyStart = at + BEGIN.length;
    const endAt = text.indexOf(END, bodyStart);
    if (endAt < 0 || endAt + END.length > end) throw malformed(at, 'certificate without a complete END line');
    const body = text.slice(bodyStart, endAt);
    const lines = body.split('\n');
    // The body ends with '\n', so the last split element is empty.
    if (lines.pop() !== '' || lines.length === 0)
      throw malformed(bodyStart, 'base64 body must end with a line break');
    let lineAt = bodyStart;
    for (const [i, line] of lines.entries()) {
      const last = i === lines.length - 1;
      if (!BASE64_LINE.test(line) || (!last && line.length !== 64) || (!last && line.includes('=')))
        throw malformed(lineAt, `line ${i + 1} of the base64 body is not canonical PEM`);
      lineAt += line.length + 1;
    }
    const b64 = lines.join('');
    const der = Buffer.from(b64, 'base64');
    // Canonical encoding round-trips: no stray padding bits, no characters the decoder skipped.
    if (der.toString('base64') !== b64) throw malformed(bodyStart, 'base64 body is not canonical');
    blocks.push({ der, offset: base + at });
    at = endAt + END.length;
  }
  if (blocks.length === 0) throw malformed(0, 'no certificate');
  return blocks;
}

/**
 * Reads the certificates of a file a person supplied: one DER certificate, or any number of PEM
 * blocks (CRLF or LF, surrounding text ignored, as `openssl` writes them).
 */
export function readCertificateFile(bytes: Uint8Array, name: string): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf[0] === 0x30) return [Buffer.from(buf)];
  const text = buf.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0)
    throw new AttestError(
      'E_ATTEST_INPUT',
      'certs.read',
      name,
      `${name}: neither a DER certificate nor PEM certificates`,
    );
  return blocks.map((m, i) => {
    const b64 = (m[1] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64))
      throw new AttestError(
        'E_ATTEST_INPUT',
        'certs.read',
        `${name} certificate ${i + 1}`,
        `${name}: certificate ${i + 1} is not base64`,
      );
    return Buffer.from(b64, 'base64');
  });
}
