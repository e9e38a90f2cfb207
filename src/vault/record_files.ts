// Sealed records on disk: one JSON file per secret under <data>/vault/secrets/, written whole or not
// at all (a staging file created 0600 with O_EXCL, fsynced, renamed over the old one, the directory
// fsynced). Only sealed records ever touch the disk: a value is never written, staged or swapped out
// here. A file that is not a well-formed record is E_VAULT_RECORD_INVALID, never half-read.

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../engine/canonical_json.js';
import { ioReason, VaultError } from './errors.js';
import { vaultDir } from './root_key.js';
import { SEALED_FORMAT, type SealedRecord } from './seal.js';
import { checkSecretId, parseSecretPolicy, SECRET_ID } from './secret_policy.js';

/** A sealed record is small; a larger file is refused unread. */
const MAX_RECORD_BYTES = 256 * 1024;
const B64URL = /^[A-Za-z0-9_-]*$/;

const recordShape = z.strictObject({
  format: z.literal(SEALED_FORMAT),
  id: z.string().regex(SECRET_ID),
  version: z.number().int().min(1),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  policy: z.unknown(),
  root: z.strictObject({
    source: z.enum(['env', 'file', 'tee']),
    key_id: z.string().max(128),
    tee: z.enum(['none', 'sev-snp', 'tdx', 'sgx']),
    measurement: z
      .string()
      .regex(/^[0-9a-f]{1,256}$/)
      .nullable(),
  }),
  kdf: z.literal('HKDF-SHA256'),
  aead: z.literal('AES-256-GCM'),
  salt: z.string().regex(B64URL),
  nonce: z.string().regex(B64URL),
  ciphertext: z.string().regex(B64URL),
  tag: z.string().regex(B64URL),
});

/** Secrets an executor may lend out. */
export function secretsDir(dataDir: string): string {
  return join(vaultDir(dataDir), 'secrets');
}

/** The gateway's own sealed keys: never a secret an action can name. */
export function keysDir(dataDir: string): string {
  return join(vaultDir(dataDir), 'keys');
}

function recordPath(dir: string, id: string): string {
  return join(dir, `${checkSecretId(id)}.json`);
}

/** The record of `id` in `dir`, or null when there is none. */
export function readRecord(dir: string, id: string): SealedRecord | null {
  const path = recordPath(dir, id);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if (ioReason(e) === 'ENOENT') return null;
    throw new VaultError('E_VAULT_IO', `cannot read ${path}: ${ioReason(e)}`);
  }
  if (bytes.length > MAX_RECORD_BYTES)
    throw new VaultError('E_VAULT_RECORD_INVALID', `${path} is larger than ${MAX_RECORD_BYTES} bytes`);
  return parseRecord(bytes.toString('utf8'), id, path);
}

export function parseRecord(text: string, id: string, where: string): SealedRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VaultError('E_VAULT_RECORD_INVALID', `${where} is not JSON`);
  }
  const shape = recordShape.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    throw new VaultError(
      'E_VAULT_RECORD_INVALID',
      `${where}: ${issue?.path.join('.') || '(record)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  if (shape.data.id !== id)
    throw new VaultError('E_VAULT_RECORD_INVALID', `${where} holds secret ${shape.data.id}, not ${id}`);
  // The policy as stored must already be in normal form: a record whose policy normalises to something
  // else was not written by this vault (and its AAD would not match anyway).
  let policy;
  try {
    policy = parseSecretPolicy(shape.data.policy);
  } catch (e) {
    throw new VaultError('E_VAULT_RECORD_INVALID', `${where}: ${(e as Error).message}`);
  }
  if (canonicalJson(policy) !== canonicalJson(shape.data.policy))
    throw new VaultError('E_VAULT_RECORD_INVALID', `${where}: the policy is not in the form the vault seals`);
  return { ...shape.data, policy };
}

/** Writes `record` atomically in `dir`, replacing any previous record of its id. */
export function writeRecord(dir: string, record: SealedRecord): void {
  const path = recordPath(dir, record.id);
  const staging = join(dir, `.${record.id}.${randomBytes(6).toString('hex')}.staging`);
  let fd: number;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = openSync(staging, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    throw new VaultError('E_VAULT_IO', `cannot create a record in ${dir}: ${ioReason(e)}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(staging, path);
    syncDir(dir);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(staging);
    } catch {
      // renamed or never written
    }
    throw new VaultError('E_VAULT_IO', `cannot write ${path}: ${ioReason(e)}`);
  }
}

/** Removes the record of `id`; false when there was none. */
export function removeRecord(dir: string, id: string): boolean {
  const path = recordPath(dir, id);
  try {
    unlinkSync(path);
  } catch (e) {
    if (ioReason(e) === 'ENOENT') return false;
    throw new VaultError('E_VAULT_IO', `cannot remove ${path}: ${ioReason(e)}`);
  }
  syncDir(dir);
  return true;
}

/** The ids of every record, sorted. Staging files left by a crash are not records. */
export function listRecordIds(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (ioReason(e) === 'ENOENT') return [];
    throw new VaultError('E_VAULT_IO', `cannot list ${dir}: ${ioReason(e)}`);
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -'.json'.length))
    .filter((id) => SECRET_ID.test(id))
    .sort();
}

function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
