// The C2SP tlog-cosignature format (c2sp.org/tlog-cosignature), Ed25519 flavour (type 0x04): a
// witness's timestamped signature over `cosignature/v1\ntime <secs>\n` followed by the checkpoint's
// note text, carried as a signed-note signature line, and the witness's vkey (same shape as a log's
// vkey, with type byte 0x04).

import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../crypto/ed25519_key.js';
import { decodeCanonicalBase64, isValidKeyName, noteKeyId } from '../crypto/signed_note.js';

export const COSIGNATURE_TYPE = 0x04;
const SIGNATURE_PREFIX = '\u2014 '; // EM DASH, space
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export class CosignatureError extends Error {
  constructor(
    readonly code: 'E_COSIGNER_KEY' | 'E_COSIGNATURE_MALFORMED' | 'E_COSIGNATURE_BAD',
    message: string,
  ) {
    super(message);
    this.name = 'CosignatureError';
  }
}

/** A witness's public key as a verifier of its cosignatures. */
export interface CosignerKey {
  name: string;
  /** SHA-256(name ‖ 0x0A ‖ 0x04 ‖ publicKeyRaw)[:4], big-endian. */
  keyId: number;
  publicKey: KeyObject;
  publicKeyRaw: Buffer;
}

export interface Cosignature {
  name: string;
  keyId: number;
  /** POSIX seconds at which the witness cosigned. */
  time: number;
  /** The whole signature line, without its newline. */
  line: string;
}

/** The message a v1 Ed25519 cosignature signs (spec § "Ed25519 signed message"). */
export function cosignedMessage(checkpointText: string, time: number): Buffer {
  if (!Number.isSafeInteger(time) || time < 0)
    throw new CosignatureError('E_COSIGNATURE_MALFORMED', `timestamp ${time} is not a non-negative integer`);
  if (!checkpointText.endsWith('\n'))
    throw new CosignatureError('E_COSIGNATURE_MALFORMED', 'checkpoint text must end with a newline');
  return Buffer.from(`cosignature/v1\ntime ${time}\n${checkpointText}`, 'utf8');
}

export function cosignerKeyOf(key: SigningKey): CosignerKey {
  return {
    name: key.name,
    keyId: noteKeyId(key.name, COSIGNATURE_TYPE, key.publicKeyRaw),
    publicKey: key.publicKey,
    publicKeyRaw: key.publicKeyRaw,
  };
}

/** `<name>+<hex key ID>+<base64(0x04 ‖ public key)>`. */
export function formatCosignerKey(key: Pick<CosignerKey, 'name' | 'publicKeyRaw'>): string {
  const id = noteKeyId(key.name, COSIGNATURE_TYPE, key.publicKeyRaw);
  const encoded = Buffer.concat([Buffer.from([COSIGNATURE_TYPE]), key.publicKeyRaw]).toString('base64');
  return `${key.name}+${id.toString(16).padStart(8, '0')}+${encoded}`;
}

/** Parses a witness vkey (type 0x04), checking its key ID. */
export function parseCosignerKey(text: string): CosignerKey {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const encoded = trimmed.slice(second + 1);
  if (second < 0)
    throw new CosignatureError(
      'E_COSIGNER_KEY',
      'a witness key has the form <name>+<hex key ID>+<base64 key>',
    );
  if (!isValidKeyName(name))
    throw new CosignatureError('E_COSIGNER_KEY', `key name ${JSON.stringify(name)} is not valid`);
  const bytes = decodeCanonicalBase64(encoded);
  if (bytes === null || bytes.length !== 33 || bytes[0] !== COSIGNATURE_TYPE)
    throw new CosignatureError(
      'E_COSIGNER_KEY',
      'the key must be base64 of 0x04 (Ed25519 cosignature) and a 32-byte public key',
    );
  const publicKeyRaw = bytes.subarray(1);
  const keyId = noteKeyId(name, COSIGNATURE_TYPE, publicKeyRaw);
  if (!/^[0-9a-f]{8}$/.test(idHex) || Number.parseInt(idHex, 16) !== keyId)
    throw new CosignatureError('E_COSIGNER_KEY', `key ID ${idHex} does not match the name and key`);
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, publicKeyRaw]),
    format: 'der',
    type: 'spki',
  });
  return { name, keyId, publicKey, publicKeyRaw: Buffer.from(publicKeyRaw) };
}

/** The signature line (no newline) of `key`'s cosignature over `checkpointText` at `time`. */
export function cosign(checkpointText: string, key: SigningKey, time: number): string {
  const signature = sign(null, cosignedMessage(checkpointText, time), key.privateKey);
  const header = Buffer.alloc(12);
  header.writeUInt32BE(noteKeyId(key.name, COSIGNATURE_TYPE, key.publicKeyRaw), 0);
  header.writeBigUInt64BE(BigInt(time), 4);
  return `${SIGNATURE_PREFIX}${key.name} ${Buffer.concat([header, signature]).toString('base64')}`;
}

/** Parses a signature line; null when it is not by `key` (another name or key ID: ignored, per the spec). */
export function parseCosignatureLine(
  line: string,
  key: Pick<CosignerKey, 'name' | 'keyId'>,
): { time: number; signature: Buffer } | null {
  if (!line.startsWith(SIGNATURE_PREFIX))
    throw new CosignatureError(
      'E_COSIGNATURE_MALFORMED',
      'a signature line starts with an em dash and a space',
    );
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.lastIndexOf(' ');
  const name = rest.slice(0, space);
  const bytes = space < 0 ? null : decodeCanonicalBase64(rest.slice(space + 1));
  if (bytes === null || bytes.length < 4)
    throw new CosignatureError(
      'E_COSIGNATURE_MALFORMED',
      'the signature is not base64 of a key ID and a signature',
    );
  if (name !== key.name || bytes.readUInt32BE(0) !== key.keyId) return null;
  if (bytes.length !== 4 + 8 + 64)
    throw new CosignatureError('E_COSIGNATURE_MALFORMED', `a cosignature is 76 bytes, not ${bytes.length}`);
  const time = bytes.readBigUInt64BE(4);
  if (time > BigInt(Number.MAX_SAFE_INTEGER))
    throw new CosignatureError('E_COSIGNATURE_MALFORMED', 'timestamp beyond 2^53-1');
  return { time: Number(time), signature: bytes.subarray(12) };
}

/**
 * Checks that `line` is `key`'s valid cosignature of `checkpointText`; returns its timestamp.
 * Throws CosignatureError when the line is by another key, malformed or does not verify.
 */
export function verifyCosignature(checkpointText: string, line: string, key: CosignerKey): Cosignature {
  const parsed = parseCosignatureLine(line, key);
  if (parsed === null)
    throw new CosignatureError('E_COSIGNATURE_BAD', `the cosignature is not by witness key ${key.name}`);
  if (!verify(null, cosignedMessage(checkpointText, parsed.time), key.publicKey, parsed.signature))
    throw new CosignatureError('E_COSIGNATURE_BAD', `the cosignature by ${key.name} does not verify`);
  return { name: key.name, keyId: key.keyId, time: parsed.time, line };
}
