// Sealing one secret (DESIGN.md §9): AES-256-GCM under a key derived with HKDF-SHA256 from the root and
// a fresh per-record salt, with the record's identity and its whole use policy as associated data. Any
// change to the id, version, times or policy (widening an allowlist included), to the ciphertext, the
// nonce or the tag makes the GCM check fail: the record no longer unseals.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalJson } from '../engine/canonical_json.js';
import { VaultError } from './errors.js';
import type { SealingRoot } from './root_key.js';
import type { SecretPolicy } from './secret_policy.js';

export const SEALED_FORMAT = 'carapace.sealed-secret/v1';
const KDF_INFO = 'carapace/vault/v1 record-key';

/** A sealed record as stored (one JSON file): no value, no key, nothing that opens without the root. */
export interface SealedRecord {
  format: typeof SEALED_FORMAT;
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  policy: SecretPolicy;
  /** Where the root came from and which root it was; the measurement when a TEE sealed it. */
  root: {
    source: SealingRoot['source'];
    key_id: string;
    tee: SealingRoot['tee'];
    measurement: string | null;
  };
  kdf: 'HKDF-SHA256';
  aead: 'AES-256-GCM';
  /** base64url: HKDF salt (32 bytes), GCM nonce (12), ciphertext, GCM tag (16). */
  salt: string;
  nonce: string;
  ciphertext: string;
  tag: string;
}

export interface RecordIdentity {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  policy: SecretPolicy;
}

/**
 * The associated data: RFC 8785 JSON of everything the record claims about itself, and of the root's
 * identity and measurement (so a record moved under another measurement does not unseal either).
 */
export function associatedData(identity: RecordIdentity, root: SealedRecord['root']): Buffer {
  return Buffer.from(
    canonicalJson({
      format: SEALED_FORMAT,
      id: identity.id,
      version: identity.version,
      created_at: identity.created_at,
      updated_at: identity.updated_at,
      policy: identity.policy,
      root,
    }),
    'utf8',
  );
}

export function sealSecret(root: SealingRoot, identity: RecordIdentity, value: Uint8Array): SealedRecord {
  const rootInfo = { source: root.source, key_id: root.keyId, tee: root.tee, measurement: root.measurement };
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const key = root.derive(salt, `${KDF_INFO} ${root.measurement ?? 'none'}`);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associatedData(identity, rootInfo));
    const ciphertext = Buffer.concat([cipher.update(value), cipher.final()]);
    return {
      format: SEALED_FORMAT,
      ...identity,
      root: rootInfo,
      kdf: 'HKDF-SHA256',
      aead: 'AES-256-GCM',
      salt: salt.toString('base64url'),
      nonce: nonce.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  } finally {
    key.fill(0);
  }
}

/**
 * The secret's value, in a Buffer the caller zeroes when done. E_VAULT_KEY_MISMATCH when the record was
 * sealed under another root; E_VAULT_UNSEAL when the GCM check fails (anything in the record changed).
 */
export function unsealSecret(root: SealingRoot, record: SealedRecord): Buffer {
  if (record.root.key_id !== root.keyId || record.root.measurement !== root.measurement)
    throw new VaultError(
      'E_VAULT_KEY_MISMATCH',
      `secret ${record.id} was sealed under root ${record.root.key_id} (${record.root.source}), not this vault's ${root.keyId} (${root.source})`,
    );
  const salt = Buffer.from(record.salt, 'base64url');
  const nonce = Buffer.from(record.nonce, 'base64url');
  const tag = Buffer.from(record.tag, 'base64url');
  if (salt.length !== 32 || nonce.length !== 12 || tag.length !== 16)
    throw new VaultError(
      'E_VAULT_RECORD_INVALID',
      `secret ${record.id}: salt, nonce or tag has the wrong length`,
    );
  const key = root.derive(salt, `${KDF_INFO} ${root.measurement ?? 'none'}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(associatedData(record, record.root));
    decipher.setAuthTag(tag);
    const head = decipher.update(Buffer.from(record.ciphertext, 'base64url'));
    try {
      return Buffer.concat([head, decipher.final()]);
    } finally {
      head.fill(0);
    }
  } catch (e) {
    if (e instanceof VaultError) throw e;
    throw new VaultError(
      'E_VAULT_UNSEAL',
      `secret ${record.id} does not unseal: its ciphertext, policy or metadata was changed after sealing`,
    );
  } finally {
    key.fill(0);
  }
}
