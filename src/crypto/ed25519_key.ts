// Ed25519 signing keys for the audit log: generate, store (private key never readable by others,
// not even for a moment) and load them, and publish the matching C2SP verifier key.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  ED25519_SIGNATURE_TYPE,
  formatVerifierKey,
  isValidKeyName,
  NoteError,
  noteKeyId,
  parseVerifierKey,
  type VerifierKey,
} from './signed_note.js';

export type KeyErrorCode = 'E_KEY_EXISTS' | 'E_KEY_PERMISSIONS' | 'E_KEY_NAME' | 'E_KEY_INVALID' | 'E_KEY_IO';

/** Never carries key material: messages name files and key names only. */
export class KeyError extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface SigningKey {
  /** The signed-note key name (for a log: its checkpoint origin). */
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The 32-byte RFC 8032 encoding of the public key. */
  publicKeyRaw: Buffer;
}

/** RFC 8410 PKCS#8 prefix for an Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const VKEY_TEXT = /^[^\s+]+\+[0-9a-fA-F]{8}\+[A-Za-z0-9+/=]+\s*$/u;

/** A fresh Ed25519 key named `name` (a valid note key name: non-empty, no white space, no '+'). */
export function generateSigningKey(name: string): SigningKey {
  checkName(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, privateKey, publicKey, publicKeyRaw: rawPublicKey(publicKey) };
}

/** The key whose RFC 8032 seed is `seed` (32 bytes): for known-answer tests and imported keys. */
export function signingKeyFromSeed(name: string, seed: Uint8Array): SigningKey {
  checkName(name);
  if (seed.length !== 32) throw new KeyError('E_KEY_INVALID', `key ${name}: an Ed25519 seed is 32 bytes`);
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    return fromPrivateKey(name, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  } finally {
    der.fill(0);
  }
}

/** The verifier for a signing key, as parseVerifierKey would return it from the key's .pub file. */
export function verifierKeyOf(key: SigningKey): VerifierKey {
  return {
    name: key.name,
    keyId: noteKeyId(key.name, ED25519_SIGNATURE_TYPE, key.publicKeyRaw),
    publicKey: key.publicKey,
    publicKeyRaw: key.publicKeyRaw,
  };
}

/**
 * Writes `<dir>/<name>.key` (PKCS#8 PEM, created 0600) and `<dir>/<name>.pub` (the vkey and a
 * newline), `<name>` made file-safe. Creates `dir` 0700 if missing. Overwrites nothing: if either
 * file exists, neither is written (E_KEY_EXISTS).
 */
export function writeKeyFiles(dir: string, key: SigningKey): { privatePath: string; publicPath: string } {
  checkName(key.name);
  const stem = fileSafeName(key.name);
  const privatePath = join(dir, `${stem}.key`);
  const publicPath = join(dir, `${stem}.pub`);
  const vkey = `${formatVerifierKey(key)}\n`;
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot create key directory ${dir}: ${ioReason(e)}`);
  }
  // O_EXCL with mode 0600: the file is born owner-only, and an existing file is never replaced.
  const privateFd = createExclusive(privatePath, 0o600);
  let publicFd: number;
  try {
    publicFd = createExclusive(publicPath, 0o644);
  } catch (e) {
    closeSync(privateFd);
    unlinkSync(privatePath);
    throw e;
  }
  try {
    fchmodSync(privateFd, 0o600); // a umask may have removed the owner's read bit
    writeAll(privateFd, pem, privatePath);
    writeAll(publicFd, vkey, publicPath);
  } catch (e) {
    unlinkSync(privatePath);
    unlinkSync(publicPath);
    throw e instanceof KeyError
      ? e
      : new KeyError('E_KEY_IO', `cannot write key files in ${dir}: ${ioReason(e)}`);
  } finally {
    closeSync(privateFd);
    closeSync(publicFd);
  }
  return { privatePath, publicPath };
}

/**
 * Loads the PKCS#8 PEM Ed25519 private key at `path` under the note key name `name`. Refuses a file
 * that group or others may read or write (E_KEY_PERMISSIONS).
 */
export function readSigningKey(path: string, name: string): SigningKey {
  checkName(name);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot open private key file ${path}: ${ioReason(e)}`);
  }
  let pem: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KeyError('E_KEY_INVALID', `private key ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new KeyError(
        'E_KEY_PERMISSIONS',
        `private key ${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; ` +
          'it must not be accessible by group or others (chmod 600)',
      );
    }
    pem = readFileSync(fd);
  } catch (e) {
    throw e instanceof KeyError
      ? e
      : new KeyError('E_KEY_IO', `cannot read private key file ${path}: ${ioReason(e)}`);
  } finally {
    closeSync(fd);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The underlying error is dropped on purpose: nothing derived from the file's bytes leaves here.
    throw new KeyError('E_KEY_INVALID', `private key ${path} is not a PEM private key`);
  } finally {
    pem.fill(0);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(
      'E_KEY_INVALID',
      `private key ${path} is ${privateKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`,
    );
  }
  return fromPrivateKey(name, privateKey);
}

/**
 * Loads a C2SP verifier key, given either the vkey text itself or the path of a file holding it
 * (a `.pub` file written by writeKeyFiles).
 */
export function readVerifierKey(pathOrText: string): VerifierKey {
  if (VKEY_TEXT.test(pathOrText)) return parseVkey(pathOrText.trimEnd(), 'verifier key');
  let text: string;
  try {
    text = readFileSync(pathOrText, 'utf8');
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot read verifier key file ${pathOrText}: ${ioReason(e)}`);
  }
  return parseVkey(text.trimEnd(), `verifier key file ${pathOrText}`);
}

function parseVkey(text: string, where: string): VerifierKey {
  try {
    return parseVerifierKey(text);
  } catch (e) {
    if (e instanceof NoteError) throw new KeyError('E_KEY_INVALID', `${where}: ${e.message}`);
    throw e;
  }
}

function fromPrivateKey(name: string, privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return { name, privateKey, publicKey, publicKeyRaw: rawPublicKey(publicKey) };
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new KeyError('E_KEY_INVALID', 'not an Ed25519 public key');
  return Buffer.from(x, 'base64url');
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new KeyError(
      'E_KEY_NAME',
      `key name ${JSON.stringify(name)} is not a valid note key name (non-empty, no white space, no '+')`,
    );
  }
}

/** `example.com/log` → `example.com_log`: only [A-Za-z0-9._-] survive, and no leading dot. */
function fileSafeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
}

function createExclusive(path: string, mode: number): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyError('E_KEY_EXISTS', `${path} already exists; refusing to overwrite a key file`);
    }
    throw new KeyError('E_KEY_IO', `cannot create ${path}: ${ioReason(e)}`);
  }
}

function writeAll(fd: number, text: string, path: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot write ${path}: ${ioReason(e)}`);
  } finally {
    bytes.fill(0);
  }
}

function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return typeof err.code === 'string' ? err.code : 'I/O error';
}
