// Sealing one secret (DESIGN.md §9): AES-256-GCM under a key derived with HKDF-SHA256 from the root and
// a fresh per-record salt, with the record's identity and its whole use policy as associated data. Any
// change to the id, version, times or policy (widening an allowlist included), to the ciphertext, the
// nonce or the tag makes the GCM check fail: the record no longer unseals.

import { canonicalJson } from '../engine/canonical_json.js';
import {
  EnvelopeError,
  openEnvelope,
  rootInfoOf,
  type SealedEnvelope,
  sealedUnder,
  sealEnvelope,
} from './aead_envelope.js';
import { VaultError } from './errors.js';
import type { SealingRoot } from './root_key.js';
import type { SecretPolicy } from './secret_policy.js';

export const SEALED_FORMAT = 'carapace.sealed-secret/v1';
const KDF_INFO = 'carapace/vault/v1 record-key';

/** A sealed record as stored (one JSON file): no value, no key, nothing that opens without the root. */
export interface SealedRecord extends SealedEnvelope {
  format: typeof SEALED_FORMAT;
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  policy: SecretPolicy;
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
  const info = `${KDF_INFO} ${root.measurement ?? 'none'}`;
  const envelope = sealEnvelope(root, info, associatedData(identity, rootInfoOf(root)), value);
  return { format: SEALED_FORMAT, ...identity, ...envelope };
}

/**
 * The secret's value, in a Buffer the caller zeroes when done. E_VAULT_KEY_MISMATCH when the record was
 * sealed under another root; E_VAULT_UNSEAL when the GCM check fails (anything in the record changed).
 */
export function unsealSecret(root: SealingRoot, record: SealedRecord): Buffer {
  if (!sealedUnder(record, root))
    throw new VaultError(
      'E_VAULT_KEY_MISMATCH',
      `secret ${record.id} was sealed under root ${record.root.key_id} (${record.root.source}), not this vault's ${root.keyId} (${root.source})`,
    );
  try {
    return openEnvelope(
      root,
      `${KDF_INFO} ${root.measurement ?? 'none'}`,
      associatedData(record, record.root),
      record,
    );
  } catch (e) {
    if (e instanceof EnvelopeError && e.reason === 'lengths')
      throw new VaultError(
        'E_VAULT_RECORD_INVALID',
        `secret ${record.id}: salt, nonce or tag has the wrong length`,
      );
    throw new VaultError(
      'E_VAULT_UNSEAL',
      `secret ${record.id} does not unseal: its ciphertext, policy or metadata was changed after sealing`,
    );
  }
}
