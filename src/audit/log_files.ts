// Where an embedded log lives in a data directory: entries in <data>/audit/segments/, the log's signing
// key in <data>/keys/ (private key owner-only, sealed when the caller gives a KeySealer; the .pub file
// holds the C2SP verifier key line).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSigningKey,
  isSealedKeyFile,
  type KeySealer,
  readSigningKey,
  sealKeyFileInPlace,
  type SigningKey,
  writeKeyFiles,
} from '../crypto/ed25519_key.js';
import { parseVerifierKey, type VerifierKey } from '../crypto/signed_note.js';
import { AuditLog, type AuditLogOptions } from './log.js';
import { listSegments, SegmentStore } from './segment_store.js';
import { readSegments, type LogSource } from './verify.js';

/** The log's origin, which is also its key name (C2SP tlog-checkpoint). */
export const DEFAULT_ORIGIN = 'carapace.local/audit';

export function segmentsDir(dataDir: string): string {
  return join(dataDir, 'audit', 'segments');
}
export function keysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** The key files in <data>/keys/ whose verifier key is named `origin`, or null. */
export function findKeyFiles(
  dataDir: string,
  origin: string,
): { privatePath: string; publicPath: string; vkey: VerifierKey } | null {
  let names: string[];
  try {
    names = readdirSync(keysDir(dataDir));
  } catch {
    return null;
  }
  for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
    const publicPath = join(keysDir(dataDir), name);
    let vkey: VerifierKey;
    try {
      vkey = parseVerifierKey(readFileSync(publicPath, 'utf8').trim());
    } catch {
      continue;
    }
    if (vkey.name === origin) return { privatePath: publicPath.replace(/\.pub$/, '.key'), publicPath, vkey };
  }
  return null;
}

/**
 * Generates the log key (refusing to replace one) and returns where it was written: sealed with
 * `sealer` when given, else plain PEM.
 */
export function generateLogKey(
  dataDir: string,
  origin = DEFAULT_ORIGIN,
  sealer: KeySealer | null = null,
): { key: SigningKey; privatePath: string; publicPath: string; sealed: boolean } {
  const key = generateSigningKey(origin);
  return { key, ...writeKeyFiles(keysDir(dataDir), key, { sealer }) };
}

/**
 * The data directory's key named `name` (made on first use, sealed when a sealer is given), whether it
 * was just made, and whether a plain key found was just sealed in place (`migrated`).
 */
export function dataDirKey(
  dataDir: string,
  name: string,
  sealer: KeySealer | null = null,
): { key: SigningKey; keyCreated: boolean; migrated: boolean } {
  const found = findKeyFiles(dataDir, name);
  if (!found) return { key: generateLogKey(dataDir, name, sealer).key, keyCreated: true, migrated: false };
  // Also wipes a plain copy an interrupted sealing left behind.
  const migrated = sealer ? sealKeyFileInPlace(found.privatePath, name, sealer) : false;
  return { key: readSigningKey(found.privatePath, name, { sealer }), keyCreated: false, migrated };
}

/** The data directory's log signing key (made on first use), and whether it was just made. */
export function dataDirLogKey(
  dataDir: string,
  origin = DEFAULT_ORIGIN,
  sealer: KeySealer | null = null,
): { key: SigningKey; keyCreated: boolean; migrated: boolean } {
  return dataDirKey(dataDir, origin, sealer);
}

/** How one private key file is stored, for the security levels (never its content). */
export interface KeyStorage {
  name: string;
  path: string;
  sealed: boolean;
}

/** Every private key in <data>/keys/ (those with a .pub naming them) and whether each is sealed. */
export function dataDirKeyStorage(dataDir: string): KeyStorage[] {
  let names: string[];
  try {
    names = readdirSync(keysDir(dataDir));
  } catch {
    return [];
  }
  const out: KeyStorage[] = [];
  for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
    const publicPath = join(keysDir(dataDir), name);
    const path = publicPath.replace(/\.pub$/, '.key');
    if (!existsSync(path)) continue;
    let keyName: string;
    try {
      keyName = parseVerifierKey(readFileSync(publicPath, 'utf8').trim()).name;
    } catch {
      continue;
    }
    out.push({ name: keyName, path, sealed: isSealedKeyFile(path) === true });
  }
  return out;
}

/** Opens (creating if needed) the embedded log of a data directory. */
export async function openDataDirLog(
  dataDir: string,
  options: Omit<AuditLogOptions, 'store' | 'key'> & {
    origin?: string;
    /** Default: the segment files in <data>/audit/segments/. */
    store?: AuditLogOptions['store'];
    /** Seals the log key at rest (src/vault/sealed_key_file.ts); null or absent: plain PEM. */
    sealer?: KeySealer | null;
  } = {},
): Promise<
  { log: AuditLog; keyCreated: boolean; keyMigrated: boolean } & Awaited<ReturnType<typeof AuditLog.open>>
> {
  const { key, keyCreated, migrated } = dataDirLogKey(
    dataDir,
    options.origin ?? DEFAULT_ORIGIN,
    options.sealer ?? null,
  );
  const { store, sealer: _sealer, ...logOptions } = options;
  const opened = await AuditLog.open({
    ...logOptions,
    key,
    store: store ?? new SegmentStore(segmentsDir(dataDir)),
  });
  if (migrated && options.sealer) await recordKeysSealed(opened.log, [key.name], options.sealer);
  return { ...opened, keyCreated, keyMigrated: migrated };
}

/**
 * The audit entry saying plain private keys were just sealed in place (their plain files wiped):
 * names and the root's id only, never key material.
 */
export async function recordKeysSealed(
  log: AuditLog,
  keys: readonly string[],
  sealer: KeySealer,
): Promise<void> {
  await log.append('keys.sealed', { keys: [...keys], root: sealer.root, aead: 'AES-256-GCM' });
}

/** The segment files of a data directory as verifier sources, with the log's own verifier key. */
export async function readDataDirLog(
  dataDir: string,
  origin = DEFAULT_ORIGIN,
): Promise<{ sources: LogSource[]; segments: string[]; vkey: VerifierKey | null }> {
  const dir = segmentsDir(dataDir);
  const segments = await listSegments(dir);
  return {
    sources: await readSegments(dir, segments),
    segments,
    vkey: findKeyFiles(dataDir, origin)?.vkey ?? null,
  };
}
