// Ed25519 signing keys for the audit log: generate, store (private key never readable by others,
// not even for a moment) and load them, and publish the matching C2SP verifier key. A private key file
// is PKCS#8 PEM, or sealed by a KeySealer the caller injects (src/vault/sealed_key_file.ts): this module
// knows only that a sealed file is not PEM and must go through the sealer.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ED25519_SIGNATURE_TYPE,
  formatVerifierKey,
  isValidKeyName,
  NoteError,
  noteKeyId,
  parseVerifierKey,
  type VerifierKey,
} from './signed_note.js';

export type KeyErrorCode =
  | 'E_KEY_EXISTS'
  | 'E_KEY_PERMISSIONS'
  | 'E_KEY_NAME'
  | 'E_KEY_INVALID'
  | 'E_KEY_IO'
  /** The file is sealed and no sealing root was given to open it. */
  | 'E_KEY_SEALED'
  /** The file was sealed under another sealing root. */
  | 'E_KEY_SEALED_ROOT'
  /** The sealed file does not unseal: it was changed after sealing (or names another key). */
  | 'E_KEY_UNSEAL';

/**
 * Seals and unseals private key files (PKCS#8 DER inside) for the key named `keyName`. Injected: the
 * sealing root lives in src/vault, which this module does not import.
 */
export interface KeySealer {
  /** Which root seals (its source and id, never the key): for the audit entry that says so. */
  readonly root: { source: string; key_id: string };
  /** The file's bytes for `pkcs8` sealed for `keyName`. */
  seal(keyName: string, pkcs8: Buffer): Buffer;
  /** The PKCS#8 DER inside a sealed file (the caller zeroes it); throws KeyError E_KEY_SEALED_ROOT/E_KEY_UNSEAL/E_KEY_INVALID. */
  unseal(keyName: string, file: Buffer, path: string): Buffer;
}

/** A private key file's bytes are PEM unless sealed; a sealed file is anything else (JSON). */
export function isSealedKeyBytes(bytes: Buffer): boolean {
  return !bytes.subarray(0, 64).toString('latin1').trimStart().startsWith('-----BEGIN');
}

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
export function writeKeyFiles(
  dir: string,
  key: SigningKey,
  options: { sealer?: KeySealer | null } = {},
): { privatePath: string; publicPath: string; sealed: boolean } {
  checkName(key.name);
  const stem = fileSafeName(key.name);
  const privatePath = join(dir, `${stem}.key`);
  const publicPath = join(dir, `${stem}.pub`);
  const vkey = `${formatVerifierKey(key)}\n`;
  const pem = privateKeyFileBytes(key, options.sealer ?? null);
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
    writeAll(publicFd, Buffer.from(vkey, 'utf8'), publicPath);
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
  return { privatePath, publicPath, sealed: options.sealer != null };
}

/** What a private key file holds: PKCS#8 PEM, or the sealer's sealed form of the PKCS#8 DER. */
function privateKeyFileBytes(key: SigningKey, sealer: KeySealer | null): Buffer {
  if (!sealer) return Buffer.from(key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'utf8');
  const der = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    return sealer.seal(key.name, der);
  } finally {
    der.fill(0);
  }
}

/**
 * Loads the Ed25519 private key at `path` (PKCS#8 PEM, or sealed: then through `sealer`, and without
 * one E_KEY_SEALED) under the note key name `name`. Refuses a file that group or others may read or
 * write (E_KEY_PERMISSIONS).
 */
export function readSigningKey(
  path: string,
  name: string,
  options: { sealer?: KeySealer | null } = {},
): SigningKey {
  checkName(name);
  const file = readPrivateKeyFile(path);
  let privateKey: KeyObject;
  if (isSealedKeyBytes(file)) {
    if (!options.sealer) {
      file.fill(0);
      throw new KeyError(
        'E_KEY_SEALED',
        `private key ${path} is sealed: give the sealing root it was sealed under ($CARAPACE_MASTER_KEY, <data>/vault/master.key or the TEE)`,
      );
    }
    const der = options.sealer.unseal(name, file, path);
    try {
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      throw new KeyError('E_KEY_INVALID', `sealed private key ${path} does not hold a PKCS#8 private key`);
    } finally {
      der.fill(0);
      file.fill(0);
    }
  } else {
    try {
      privateKey = createPrivateKey({ key: file, format: 'pem' });
    } catch {
      // The underlying error is dropped on purpose: nothing derived from the file's bytes leaves here.
      throw new KeyError('E_KEY_INVALID', `private key ${path} is not a PEM private key`);
    } finally {
      file.fill(0);
    }
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(
      'E_KEY_INVALID',
      `private key ${path} is ${privateKey.asymmetricKeyType ?? 'unknown'}, not Ed25519`,
    );
  }
  return fromPrivateKey(name, privateKey);
}

/** Whether the private key file at `path` is sealed (null when it cannot be read). */
export function isSealedKeyFile(path: string): boolean | null {
  try {
    const bytes = readFileSync(path);
    const sealed = isSealedKeyBytes(bytes);
    bytes.fill(0);
    return sealed;
  } catch {
    return null;
  }
}

/**
 * Seals the plain PEM private key at `path` in place, for the key named `name`: the sealed file is
 * written beside it (O_EXCL, 0600, fsync) and renamed over it, the plain inode kept meanwhile under a
 * second name so that it can be overwritten with zeros before it is unlinked. A crash leaves either the
 * plain key or the sealed one at `path` (and at worst the plain copy under `<path>.plain`, which the
 * next call wipes). Returns false when the file was already sealed.
 */
export function sealKeyFileInPlace(path: string, name: string, sealer: KeySealer): boolean {
  const leftover = `${path}.plain`;
  const file = readPrivateKeyFile(path);
  if (isSealedKeyBytes(file)) {
    file.fill(0);
    wipeAndUnlink(leftover, true);
    return false;
  }
  const key = readSigningKey(path, name);
  file.fill(0);
  const sealed = privateKeyFileBytes(key, sealer);
  const temp = `${path}.sealing`;
  wipeAndUnlink(temp, true);
  wipeAndUnlink(leftover, true);
  const fd = createExclusive(temp, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeAll(fd, sealed, temp);
  } catch (e) {
    closeSync(fd);
    unlinkSync(temp);
    throw e;
  }
  closeSync(fd);
  try {
    linkSync(path, leftover);
    renameSync(temp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot seal ${path} in place: ${ioReason(e)}`);
  }
  wipeAndUnlink(leftover, false);
  return true;
}

/** Overwrites the file with zeros (fsync) and unlinks it; a missing file is fine when `missingOk`. */
function wipeAndUnlink(path: string, missingOk: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY);
  } catch (e) {
    if (missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new KeyError('E_KEY_IO', `cannot wipe ${path}: ${ioReason(e)}`);
  }
  try {
    writeAll(fd, Buffer.alloc(fstatSync(fd).size), path);
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(path);
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot unlink ${path}: ${ioReason(e)}`);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The bytes of a private key file (the caller zeroes them), refused unless a regular owner-only file. */
function readPrivateKeyFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (e) {
    throw new KeyError('E_KEY_IO', `cannot open private key file ${path}: ${ioReason(e)}`);
  }
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
    return readFileSync(fd);
  } catch (e) {
    throw e instanceof KeyError
      ? e
      : new KeyError('E_KEY_IO', `cannot read private key file ${path}: ${ioReason(e)}`);
  } finally {
    closeSync(fd);
  }
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

function writeAll(fd: number, bytes: Buffer, path: string): void {
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
