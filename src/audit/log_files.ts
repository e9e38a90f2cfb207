// Where an embedded log lives in a data directory: entries in <data>/audit/segments/, the log's signing
// key in <data>/keys/ (private key owner-only; the .pub file holds the C2SP verifier key line).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, readSigningKey, type SigningKey, writeKeyFiles } from '../crypto/ed25519_key.js';
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

/** Generates the log key (refusing to replace one) and returns where it was written. */
export function generateLogKey(
  dataDir: string,
  origin = DEFAULT_ORIGIN,
): { key: SigningKey; privatePath: string; publicPath: string } {
  const key = generateSigningKey(origin);
  return { key, ...writeKeyFiles(keysDir(dataDir), key) };
}

/** The data directory's log signing key (made on first use), and whether it was just made. */
export function dataDirLogKey(
  dataDir: string,
  origin = DEFAULT_ORIGIN,
): { key: SigningKey; keyCreated: boolean } {
  const found = findKeyFiles(dataDir, origin);
  return found
    ? { key: readSigningKey(found.privatePath, origin), keyCreated: false }
    : { key: generateLogKey(dataDir, origin).key, keyCreated: true };
}

/** Opens (creating if needed) the embedded log of a data directory. */
export async function openDataDirLog(
  dataDir: string,
  options: Omit<AuditLogOptions, 'store' | 'key'> & {
    origin?: string;
    /** Default: the segment files in <data>/audit/segments/. */
    store?: AuditLogOptions['store'];
  } = {},
): Promise<{ log: AuditLog; keyCreated: boolean } & Awaited<ReturnType<typeof AuditLog.open>>> {
  const { key, keyCreated } = dataDirLogKey(dataDir, options.origin ?? DEFAULT_ORIGIN);
  const { store, ...logOptions } = options;
  const opened = await AuditLog.open({
    ...logOptions,
    key,
    store: store ?? new SegmentStore(segmentsDir(dataDir)),
  });
  return { ...opened, keyCreated };
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
