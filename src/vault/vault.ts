// The credential broker's store of secrets (DESIGN.md §9): put, rotate, remove and list sealed records
// in <data>/vault/, and lend a secret's value to a function, in memory only, zeroing it afterwards.
// Nothing here logs; errors name secret ids, never values. The root key is resolved when first needed,
// so opening a vault with no secrets creates no key.

import { keysDir, listRecordIds, readRecord, removeRecord, secretsDir, writeRecord } from './record_files.js';
import { VaultError } from './errors.js';
import type { KeySealer } from '../crypto/ed25519_key.js';
import { resolveSealingRoot, type SealingRoot } from './root_key.js';
import { keySealerOf, sealingRootAvailable } from './sealed_key_file.js';
import { type SealedRecord, sealSecret, unsealSecret } from './seal.js';
import { checkSecretId, parseSecretPolicy, type SecretPolicy, secretPolicyHash } from './secret_policy.js';
import type { TeeSealingKeyProvider } from './tee.js';

/** The longest value taken (a token, a key, a password): larger is refused. */
export const MAX_SECRET_BYTES = 8192;

/** What may be said about a secret: everything but its value. */
export interface SecretMetadata {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  policy: SecretPolicy;
  policy_hash: string;
  root: SealedRecord['root'];
}

export interface VaultOptions {
  /** Default process.env (for CARAPACE_MASTER_KEY). */
  env?: NodeJS.ProcessEnv;
  /** A TEE sealing key provider; none runs on this machine. */
  tee?: TeeSealingKeyProvider;
  /** Epoch milliseconds. */
  now?: () => number;
}

export class Vault {
  private root: SealingRoot | null = null;
  private readonly now: () => number;
  private readonly secrets: string;

  constructor(
    readonly dataDir: string,
    private readonly options: VaultOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.secrets = secretsDir(dataDir);
  }

  /** Seals a new secret; E_VAULT_SECRET_EXISTS when the id is taken (rotate replaces values). */
  put(id: string, value: Uint8Array, policySource: unknown): SecretMetadata {
    checkSecretId(id);
    const policy = parseSecretPolicy(policySource);
    checkValue(value);
    if (readRecord(this.secrets, id))
      throw new VaultError('E_VAULT_SECRET_EXISTS', `secret ${id} exists: rotate it, or remove it first`);
    const at = new Date(this.now()).toISOString();
    const record = sealSecret(
      this.rootFor(true),
      { id, version: 1, created_at: at, updated_at: at, policy },
      value,
    );
    writeRecord(this.secrets, record);
    return metadataOf(record);
  }

  /**
   * Replaces a secret's value (and its policy, when one is given), as version n+1. The old record must
   * still unseal: a tampered record is not silently overwritten.
   */
  rotate(id: string, value: Uint8Array, policySource?: unknown): SecretMetadata {
    const old = this.record(id);
    unsealSecret(this.rootFor(false), old).fill(0);
    checkValue(value);
    const policy = policySource === undefined ? old.policy : parseSecretPolicy(policySource);
    const record = sealSecret(
      this.rootFor(false),
      {
        id,
        version: old.version + 1,
        created_at: old.created_at,
        updated_at: new Date(this.now()).toISOString(),
        policy,
      },
      value,
    );
    writeRecord(this.secrets, record);
    return metadataOf(record);
  }

  /** Removes a secret; E_VAULT_SECRET_UNKNOWN when there is none. */
  remove(id: string): void {
    if (!removeRecord(this.secrets, checkSecretId(id)))
      throw new VaultError('E_VAULT_SECRET_UNKNOWN', `no secret ${id}`);
  }

  /** Every secret's metadata and whether it still unseals (`sealed: ok`, else the failure's code). */
  list(): (SecretMetadata & { sealed: 'ok' | string })[] {
    return listRecordIds(this.secrets).map((id) => {
      let record: SealedRecord;
      try {
        record = this.record(id);
      } catch (e) {
        const code = e instanceof VaultError ? e.code : 'E_VAULT_IO';
        return { id, sealed: code } as SecretMetadata & { sealed: string };
      }
      let sealed = 'ok';
      try {
        unsealSecret(this.rootFor(false), record).fill(0);
      } catch (e) {
        sealed = e instanceof VaultError ? e.code : 'E_VAULT_UNSEAL';
      }
      return { ...metadataOf(record), sealed };
    });
  }

  /** The ids of the stored records (nothing is unsealed). */
  ids(): string[] {
    return listRecordIds(this.secrets);
  }

  /** A secret's metadata, authenticated: its record unsealed (and the value zeroed at once). */
  describe(id: string): SecretMetadata {
    return this.use(id, (_value, meta) => meta);
  }

  /**
   * Lends the value of `id` to `fn` and zeroes it when `fn` settles. The policy handed over is the one
   * the GCM check just authenticated. `fn` must not keep the Buffer.
   */
  use<T>(id: string, fn: (value: Buffer, meta: SecretMetadata) => T): T {
    const record = this.record(id);
    const value = unsealSecret(this.rootFor(false), record);
    let result: T;
    try {
      result = fn(value, metadataOf(record));
    } catch (e) {
      value.fill(0);
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => value.fill(0)) as T;
    value.fill(0);
    return result;
  }

  /** The root's public facts (never the key). */
  rootInfo(create = false): Pick<SealingRoot, 'source' | 'tee' | 'measurement' | 'keyId'> {
    const { source, tee, measurement, keyId } = this.rootFor(create);
    return { source, tee, measurement, keyId };
  }

  /**
   * The gateway's own key material named `id` (its output-signing key), sealed under the same root in
   * <data>/vault/keys/: made by `make` and sealed on first use, unsealed on later ones. It is no secret
   * an action can name. The caller zeroes the Buffer.
   */
  ownKey(id: string, make: () => Buffer): Buffer {
    const dir = keysDir(this.dataDir);
    const found = readRecord(dir, id);
    if (found) return unsealSecret(this.rootFor(false), found);
    const value = make();
    const at = new Date(this.now()).toISOString();
    const record = sealSecret(
      this.rootFor(true),
      { id, version: 1, created_at: at, updated_at: at, policy: OWN_KEY_POLICY },
      value,
    );
    writeRecord(dir, record);
    return value;
  }

  /**
   * The sealer of the gateway's own key files under this vault's root (TEE, environment or key file),
   * or null while there is no root yet (the keys stay plain until there is one).
   */
  keySealer(): KeySealer | null {
    const where = {
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
      ...(this.options.tee !== undefined ? { tee: this.options.tee } : {}),
    };
    if (!this.root && !sealingRootAvailable(this.dataDir, where)) return null;
    return keySealerOf(this.rootFor(false));
  }

  private record(id: string): SealedRecord {
    const record = readRecord(this.secrets, checkSecretId(id));
    if (!record) throw new VaultError('E_VAULT_SECRET_UNKNOWN', `no secret ${id}`);
    return record;
  }

  private rootFor(create: boolean): SealingRoot {
    if (this.root) return this.root;
    const root = resolveSealingRoot(this.dataDir, {
      create,
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
      ...(this.options.tee !== undefined ? { tee: this.options.tee } : {}),
    });
    this.root = root;
    return root;
  }
}

/**
 * The policy sealed with the gateway's own keys. They are never injected anywhere; a policy is still
 * bound so the record has the one sealed form.
 */
const OWN_KEY_POLICY: SecretPolicy = parseSecretPolicy({
  hosts: [{ match: 'exact', value: 'invalid' }],
  methods: ['GET'],
  inject: { kind: 'header', name: 'x-carapace-never-sent', template: '{secret}' },
});

function metadataOf(record: SealedRecord): SecretMetadata {
  const { id, version, created_at, updated_at, policy, root } = record;
  return { id, version, created_at, updated_at, policy, policy_hash: secretPolicyHash(policy), root };
}

/** A value goes into an HTTP header: printable ASCII, no line breaks, 1 to MAX_SECRET_BYTES bytes. */
function checkValue(value: Uint8Array): void {
  if (value.length === 0 || value.length > MAX_SECRET_BYTES)
    throw new VaultError('E_VAULT_VALUE_INVALID', `a secret's value is 1 to ${MAX_SECRET_BYTES} bytes`);
  for (const byte of value)
    if (byte < 0x20 || byte > 0x7e)
      throw new VaultError(
        'E_VAULT_VALUE_INVALID',
        "a secret's value must be printable ASCII without line breaks (it is injected into an HTTP header)",
      );
}
