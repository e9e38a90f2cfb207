// The vault's root key, from which every record key is derived with HKDF (DESIGN.md §9): a TEE sealing
// key when one is given; else CARAPACE_MASTER_KEY (32 bytes, base64 or hex); else the embedded
// default, <data>/vault/master.key, created 0600 on first use. The key bytes stay inside a closure:
// callers get derived keys and a key id, never the root itself.

import { hkdfSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ioReason, VaultError } from './errors.js';
import type { TeeSealingKeyProvider } from './tee.js';

export const MASTER_KEY_ENV = 'CARAPACE_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';

export interface SealingRoot {
  /** Where the root came from; recorded in each sealed record (never the key). */
  readonly source: 'env' | 'file' | 'tee';
  /** `none` unless the root is a TEE sealing key. */
  readonly tee: 'none' | TeeSealingKeyProvider['tee'];
  /** The TEE measurement the root is bound to, or null. */
  readonly measurement: string | null;
  /** `sha256:`-style id of the root (an HKDF output, not a hash of the key): tells keys apart. */
  readonly keyId: string;
  /** 32 bytes derived from the root for `info`, with `salt`. */
  derive(salt: Uint8Array, info: string): Buffer;
}

/** The vault directory of a data directory. */
export function vaultDir(dataDir: string): string {
  return join(dataDir, 'vault');
}

export function rootFromKey(key: Uint8Array, source: 'env' | 'file'): SealingRoot {
  if (key.length !== 32) throw new VaultError('E_VAULT_MASTER_KEY', 'the master key must be 32 bytes');
  const material = Buffer.from(key);
  const derive = (salt: Uint8Array, info: string) =>
    Buffer.from(hkdfSync('sha256', material, salt, Buffer.from(info, 'utf8'), 32));
  return {
    source,
    tee: 'none',
    measurement: null,
    keyId: `hkdf:${derive(Buffer.alloc(0), 'carapace/vault/v1 key-id').toString('hex').slice(0, 32)}`,
    derive,
  };
}

export function rootFromTee(provider: TeeSealingKeyProvider): SealingRoot {
  const key = provider.sealingKey('carapace/vault/v1');
  const root = rootFromKey(key, 'env');
  key.fill(0);
  return { ...root, source: 'tee', tee: provider.tee, measurement: provider.measurement };
}

/**
 * The root for `dataDir`: the TEE's when given, else the environment's, else the key file. With
 * `create`, a missing key file is made (O_EXCL, 0600); without it, a missing key is E_VAULT_MASTER_KEY,
 * so reading a vault never leaves a new key behind.
 */
export function resolveSealingRoot(
  dataDir: string,
  options: { create: boolean; env?: NodeJS.ProcessEnv; tee?: TeeSealingKeyProvider },
): SealingRoot {
  if (options.tee) return rootFromTee(options.tee);
  const fromEnv = (options.env ?? process.env)[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '')
    return rootFromKey(parseKeyText(fromEnv, `$${MASTER_KEY_ENV}`), 'env');
  const dir = vaultDir(dataDir);
  const path = join(dir, MASTER_KEY_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (e) {
    if (ioReason(e) !== 'ENOENT')
      throw new VaultError('E_VAULT_MASTER_KEY', `cannot open ${path}: ${ioReason(e)}`);
    if (!options.create)
      throw new VaultError(
        'E_VAULT_MASTER_KEY',
        `no master key: set $${MASTER_KEY_ENV} or store a secret first (carapace secrets put) to create ${path}`,
      );
    return rootFromKey(createKeyFile(dir, path), 'file');
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new VaultError('E_VAULT_MASTER_KEY', `${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0)
      throw new VaultError(
        'E_VAULT_MASTER_KEY',
        `${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; it must not be accessible by group or others (chmod 600)`,
      );
    const text = readFileSync(fd, 'utf8');
    return rootFromKey(parseKeyText(text, path), 'file');
  } finally {
    closeSync(fd);
  }
}

/** 32 bytes as 64 hex digits or base64 (44 characters); nothing of the text is ever echoed. */
function parseKeyText(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new VaultError(
    'E_VAULT_MASTER_KEY',
    `${where}: a master key is 32 bytes, as 64 hex digits or base64`,
  );
}

function createKeyFile(dir: string, path: string): Buffer {
  const key = randomBytes(32);
  let fd: number;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Born owner-only and never replacing an existing key (two first uses at once: one wins).
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if (ioReason(e) === 'EEXIST') return parseKeyText(readFileSync(path, 'utf8'), path);
    throw new VaultError('E_VAULT_MASTER_KEY', `cannot create ${path}: ${ioReason(e)}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } catch (e) {
    throw new VaultError('E_VAULT_MASTER_KEY', `cannot write ${path}: ${ioReason(e)}`);
  } finally {
    closeSync(fd);
  }
  return key;
}
