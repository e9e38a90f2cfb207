// The C2SP signed-note format (c2sp.org/signed-note): the envelope that carries audit checkpoints,
// so that anyone holding the log's verifier key can check them offline. Ed25519 (type 0x01) only.

import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './ed25519_key.js';

export type NoteErrorCode =
  | 'E_NOTE_MALFORMED'
  | 'E_NOTE_TOO_MANY_SIGNATURES'
  | 'E_NOTE_DUPLICATE_SIGNATURE'
  | 'E_NOTE_BAD_SIGNATURE'
  | 'E_NOTE_UNVERIFIED'
  | 'E_NOTE_KEY_NAME'
  | 'E_NOTE_VERIFIER_KEY'
  | 'E_NOTE_AMBIGUOUS_VERIFIER'
  | 'E_NOTE_SIGNER';

export class NoteError extends Error {
  /** 1-based line of the note (or of the vkey text) where the problem is, when there is one. */
  readonly line: number | undefined;

  constructor(
    readonly code: NoteErrorCode,
    message: string,
    line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'NoteError';
    this.line = line;
  }
}

/** A public key a note may be checked against: the parsed form of a C2SP vkey. */
export interface VerifierKey {
  name: string;
  /** SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKeyRaw)[:4], big-endian. */
  keyId: number;
  publicKey: KeyObject;
  /** The 32-byte RFC 8032 encoding of the public key. */
  publicKeyRaw: Buffer;
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** True for a signature by one of the given verifiers (and it verified); false for an unknown key, which is ignored. */
  verified: boolean;
}

export interface OpenedNote {
  /** The signed text, including its final newline. */
  text: string;
  /** Every signature line, in order. */
  signatures: NoteSignature[];
}

export const ED25519_SIGNATURE_TYPE = 0x01;

/** The spec asks verifiers to accept at least 16; Go's sumdb/note stops at 100, and so do we. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 '; // EM DASH, space
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_PUBLIC_KEY_BYTES = 32;
const BASE64_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL_OTHER_THAN_NEWLINE = /[\x00-\x09\x0b-\x1f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Decodes standard RFC 4648 §4 base64, refusing every other spelling of the same bytes (missing
 * padding, stray characters, non-zero padding bits), so one byte string has exactly one text form.
 * Returns null when `text` is not canonical base64.
 */
export function decodeCanonicalBase64(text: string): Buffer | null {
  if (!BASE64_SHAPE.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/** Key names must be non-empty with no Unicode white space and no '+' (and, since a note may not hold them, no control characters). */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    name.isWellFormed() &&
    !/[\p{White_Space}+]/u.test(name) &&
    !CONTROL_OTHER_THAN_NEWLINE.test(name)
  );
}

/** Key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian uint32. */
export function noteKeyId(name: string, type: number, publicKeyRaw: Buffer): number {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new NoteError('E_NOTE_VERIFIER_KEY', `signature type ${type} is not a byte`);
  }
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, type]))
    .update(publicKeyRaw)
    .digest()
    .readUInt32BE(0);
}

/**
 * Says why `text` cannot be the text of a signed note (valid UTF-8, ends with a newline, no control
 * characters other than newline), naming the line; undefined when it can.
 */
export function describeInvalidNoteText(text: string): string | undefined {
  if (!text.endsWith('\n')) return 'note text must end with a newline';
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) return `line ${lineOf(text, surrogate.index)}: not valid UTF-8 (lone surrogate)`;
  const control = CONTROL_OTHER_THAN_NEWLINE.exec(text);
  if (control) return `line ${lineOf(text, control.index)}: control character ${codePoint(control[0])}`;
  return undefined;
}

/** The C2SP verifier key text: `<name>+<8 hex key ID>+<base64(0x01 ‖ 32-byte public key)>`. */
export function formatVerifierKey(key: Pick<VerifierKey, 'name' | 'publicKeyRaw'>): string {
  if (!isValidKeyName(key.name)) {
    throw new NoteError(
      'E_NOTE_KEY_NAME',
      `key name ${JSON.stringify(key.name)} is not a valid note key name`,
    );
  }
  if (key.publicKeyRaw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new NoteError(
      'E_NOTE_VERIFIER_KEY',
      `an Ed25519 public key is 32 bytes, not ${key.publicKeyRaw.length}`,
    );
  }
  const id = noteKeyId(key.name, ED25519_SIGNATURE_TYPE, key.publicKeyRaw);
  const encoded = Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), key.publicKeyRaw]).toString('base64');
  return `${key.name}+${hex8(id)}+${encoded}`;
}

/** Parses a vkey (no surrounding white space), checking that its key ID matches its name and key. */
export function parseVerifierKey(text: string): VerifierKey {
  const firstPlus = text.indexOf('+');
  const secondPlus = firstPlus < 0 ? -1 : text.indexOf('+', firstPlus + 1);
  if (secondPlus < 0) {
    throw new NoteError(
      'E_NOTE_VERIFIER_KEY',
      'a verifier key has the form <name>+<hex key ID>+<base64 key>',
    );
  }
  const name = text.slice(0, firstPlus);
  const idHex = text.slice(firstPlus + 1, secondPlus);
  const encoded = text.slice(secondPlus + 1);
  if (!isValidKeyName(name)) {
    throw new NoteError(
      'E_NOTE_KEY_NAME',
      `verifier key name ${JSON.stringify(name)} is not a valid note key name`,
    );
  }
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) {
    throw new NoteError('E_NOTE_VERIFIER_KEY', `verifier key ${name}: key ID must be 8 hex digits`);
  }
  const bytes = decodeCanonicalBase64(encoded);
  if (bytes === null || bytes.length === 0) {
    throw new NoteError('E_NOTE_VERIFIER_KEY', `verifier key ${name}: key is not canonical base64`);
  }
  const type = bytes[0];
  if (type !== ED25519_SIGNATURE_TYPE) {
    throw new NoteError(
      'E_NOTE_VERIFIER_KEY',
      `verifier key ${name}: unsupported signature type 0x${(type ?? 0).toString(16).padStart(2, '0')} (only 0x01 Ed25519)`,
    );
  }
  const publicKeyRaw = Buffer.from(bytes.subarray(1));
  if (publicKeyRaw.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new NoteError(
      'E_NOTE_VERIFIER_KEY',
      `verifier key ${name}: an Ed25519 public key is 32 bytes, not ${publicKeyRaw.length}`,
    );
  }
  const keyId = noteKeyId(name, ED25519_SIGNATURE_TYPE, publicKeyRaw);
  const statedId = Number.parseInt(idHex, 16);
  if (keyId !== statedId) {
    throw new NoteError(
      'E_NOTE_VERIFIER_KEY',
      `verifier key ${name}: stated key ID ${idHex} does not match the name and key (computed ${hex8(keyId)})`,
    );
  }
  return { name, keyId, publicKey: ed25519PublicKey(publicKeyRaw, name), publicKeyRaw };
}

/** Signs `text` (valid note text, see describeInvalidNoteText) with each signer, in order. */
export function signNote(text: string, signers: readonly SigningKey[]): string {
  const problem = describeInvalidNoteText(text);
  if (problem !== undefined) throw new NoteError('E_NOTE_MALFORMED', problem);
  if (signers.length === 0) throw new NoteError('E_NOTE_SIGNER', 'a note needs at least one signer');
  if (signers.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('E_NOTE_TOO_MANY_SIGNATURES', `more than ${MAX_NOTE_SIGNATURES} signers`);
  }
  const message = Buffer.from(text, 'utf8');
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) {
      throw new NoteError(
        'E_NOTE_KEY_NAME',
        `signer name ${JSON.stringify(signer.name)} is not a valid note key name`,
      );
    }
    if (signer.privateKey.type !== 'private' || signer.privateKey.asymmetricKeyType !== 'ed25519') {
      throw new NoteError('E_NOTE_SIGNER', `signer ${signer.name}: not an Ed25519 private key`);
    }
    const keyId = noteKeyId(signer.name, ED25519_SIGNATURE_TYPE, signer.publicKeyRaw);
    const identity = `${signer.name}+${hex8(keyId)}`;
    if (seen.has(identity)) {
      throw new NoteError('E_NOTE_DUPLICATE_SIGNATURE', `signer ${identity} is listed twice`);
    }
    seen.add(identity);
    const id = Buffer.alloc(4);
    id.writeUInt32BE(keyId, 0);
    const signature = sign(null, message, signer.privateKey);
    lines.push(`${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([id, signature]).toString('base64')}\n`);
  }
  return `${text}\n${lines.join('')}`;
}

/**
 * Opens a signed note: checks its syntax, verifies every signature by a known key (a key matching
 * both name and key ID of one of `verifiers`), ignores signatures by unknown keys, and requires at
 * least one verified signature. `note` may be raw bytes, which must be valid UTF-8.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly VerifierKey[]): OpenedNote {
  const known = indexVerifiers(verifiers);
  const msg = typeof note === 'string' ? checkWellFormed(note) : decodeUtf8(note);
  const control = CONTROL_OTHER_THAN_NEWLINE.exec(msg);
  if (control) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      `control character ${codePoint(control[0])}`,
      lineOf(msg, control.index),
    );
  }
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) {
    throw new NoteError('E_NOTE_MALFORMED', 'no empty line separating the text from the signatures');
  }
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  const firstSignatureLine = lineOf(msg, split + 2);
  if (block.length === 0) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      'no signature lines after the last empty line',
      firstSignatureLine,
    );
  }
  if (!block.endsWith('\n')) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      'the last signature line does not end with a newline',
      lineOf(msg, msg.length),
    );
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      'E_NOTE_TOO_MANY_SIGNATURES',
      `${lines.length} signature lines (at most ${MAX_NOTE_SIGNATURES} are accepted)`,
      firstSignatureLine + MAX_NOTE_SIGNATURES,
    );
  }
  const message = Buffer.from(text, 'utf8');
  const verifiedBy = new Set<string>();
  const signatures: NoteSignature[] = [];
  lines.forEach((line, i) => {
    const lineNumber = firstSignatureLine + i;
    const { name, keyId, signature } = parseSignatureLine(line, lineNumber);
    const identity = `${name}+${hex8(keyId)}`;
    const verifier = known.get(identity);
    if (verifier === undefined) {
      signatures.push({ name, keyId, verified: false });
      return;
    }
    if (verifiedBy.has(identity)) {
      throw new NoteError(
        'E_NOTE_DUPLICATE_SIGNATURE',
        `a second signature by known key ${identity}`,
        lineNumber,
      );
    }
    if (
      signature.length !== ED25519_SIGNATURE_BYTES ||
      !verify(null, message, verifier.publicKey, signature)
    ) {
      throw new NoteError(
        'E_NOTE_BAD_SIGNATURE',
        `signature by known key ${identity} does not verify`,
        lineNumber,
      );
    }
    verifiedBy.add(identity);
    signatures.push({ name, keyId, verified: true });
  });
  if (verifiedBy.size === 0) {
    const names = signatures.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ');
    throw new NoteError('E_NOTE_UNVERIFIED', `no signature by a known key (signed by: ${names})`);
  }
  return { text, signatures };
}

function parseSignatureLine(
  line: string,
  lineNumber: number,
): { name: string; keyId: number; signature: Buffer } {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      'a signature line must start with an em dash (U+2014) and a space',
      lineNumber,
    );
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0)
    throw new NoteError('E_NOTE_MALFORMED', 'a signature line needs a key name and a signature', lineNumber);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      `key name ${JSON.stringify(name)} is not a valid note key name`,
      lineNumber,
    );
  }
  const bytes = decodeCanonicalBase64(rest.slice(space + 1));
  if (bytes === null)
    throw new NoteError('E_NOTE_MALFORMED', `signature by ${name} is not canonical base64`, lineNumber);
  if (bytes.length < 5) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      `signature by ${name} is shorter than a key ID and one byte`,
      lineNumber,
    );
  }
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
}

/** Verifiers by `name+keyid`; two different keys with the same name and ID make the set unusable. */
function indexVerifiers(verifiers: readonly VerifierKey[]): Map<string, VerifierKey> {
  const known = new Map<string, VerifierKey>();
  for (const v of verifiers) {
    const identity = `${v.name}+${hex8(v.keyId)}`;
    const other = known.get(identity);
    if (other !== undefined && !other.publicKeyRaw.equals(v.publicKeyRaw)) {
      throw new NoteError('E_NOTE_AMBIGUOUS_VERIFIER', `two different verifier keys are named ${identity}`);
    }
    known.set(identity, v);
  }
  return known;
}

function ed25519PublicKey(raw: Buffer, name: string): KeyObject {
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    throw new NoteError('E_NOTE_VERIFIER_KEY', `verifier key ${name}: not a usable Ed25519 public key`);
  }
}

function checkWellFormed(note: string): string {
  const surrogate = LONE_SURROGATE.exec(note);
  if (surrogate) {
    throw new NoteError(
      'E_NOTE_MALFORMED',
      'not valid UTF-8 (lone surrogate)',
      lineOf(note, surrogate.index),
    );
  }
  return note;
}

function decodeUtf8(bytes: Uint8Array): string {
  const decoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const reencoded = Buffer.from(decoded, 'utf8');
  if (reencoded.length === bytes.byteLength && reencoded.equals(bytes)) return decoded;
  // Valid UTF-8 re-encodes to itself, so the first difference is the first invalid byte.
  let offset = 0;
  while (offset < bytes.byteLength && bytes[offset] === reencoded[offset]) offset++;
  const line = Buffer.from(bytes.buffer, bytes.byteOffset, offset).toString('latin1').split('\n').length;
  throw new NoteError('E_NOTE_MALFORMED', `not valid UTF-8 at byte offset ${offset}`, line);
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
