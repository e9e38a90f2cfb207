// Bounds-checked little-endian reads over evidence bytes. Every length is checked before it is used,
// and every failure names the field and its absolute offset in the evidence.

import { AttestError, byteRange, hexOffset } from './errors.js';

export class ByteReader {
  private position: number;

  /**
   * Reads `bytes`, whose first byte sits at `base` in the whole evidence (so nested structures report
   * offsets a person can find with a hex dump). `check` names the parse step in errors.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly check: string,
    readonly base = 0,
  ) {
    this.position = 0;
  }

  /** Offset in the whole evidence of the next byte to read. */
  get offset(): number {
    return this.base + this.position;
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  /** Requires `length` more bytes for `field`; the error names the field, its range and what is left. */
  private need(length: number, field: string): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        this.check,
        `${field} at ${hexOffset(this.offset)}`,
        `${field} needs ${length} bytes at ${hexOffset(this.offset)}, only ${this.remaining} remain`,
      );
  }

  take(length: number, field: string): Uint8Array {
    this.need(length, field);
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.position++] as number;
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0] as number) | ((b[1] as number) << 8);
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return (
      ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16)) + (b[3] as number) * 2 ** 24
    );
  }

  u64(field: string): bigint {
    const b = this.take(8, field);
    return Buffer.from(b.buffer, b.byteOffset, 8).readBigUInt64LE(0);
  }

  /** A reader over the next `length` bytes, reporting offsets in the same evidence. */
  sub(length: number, field: string, check = this.check): ByteReader {
    const start = this.offset;
    return new ByteReader(this.take(length, field), check, start);
  }

  /** The structure must end here: trailing bytes are an error, not ignored. */
  end(structure: string): void {
    if (this.remaining !== 0)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        this.check,
        `${structure} ${byteRange(this.offset, this.offset + this.remaining)}`,
        `${this.remaining} unexpected bytes after ${structure} at ${hexOffset(this.offset)}`,
      );
  }
}

/** Throws naming the first non-zero byte of a reserved (must-be-zero) range. */
export function requireZero(bytes: Uint8Array, base: number, field: string, check: string): void {
  const i = bytes.findIndex((b) => b !== 0);
  if (i >= 0)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${field} at ${hexOffset(base + i)}`,
      `${field} ${byteRange(base, base + bytes.length)} must be zero; byte ${hexOffset(base + i)} is 0x${(bytes[i] as number).toString(16).padStart(2, '0')}`,
    );
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
