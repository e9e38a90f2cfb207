// The gateway's own Ed25519 private key files (audit checkpoint key, execution-token key) sealed at rest
// under the vault's sealing root (issue 14, SH-1 "keys stored sealed"): AES-256-GCM under a key derived
// with HKDF-SHA256 from the root, a fresh salt and an info label naming the key, with the key's name,
// purpose and the root's identity as associated data. src/crypto reads and writes the files; this is
// the KeySealer it is given. Nothing here ever puts key material in a message.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError, type KeySealer } from '../crypto/ed25519_key.js';
import { canonicalJson } from '../engine/canonical_json.js';
import {
  EnvelopeError,
  openEnvelope,
  rootInfoOf,
  type SealedEnvelope,
  sealedUnder,
  sealEnvelope,
} from './aead_envelope.js';
import {
  MASTER_KEY_ENV,
  MASTER_KEY_FILE,
  resolveSealingRoot,
  type SealingRoot,
  vaultDir,
} from './root_key.js';
import type { TeeSealingKeyProvider } from './tee.js';

export const SEALED_KEY_FORMAT = 'carapace.sealed-key/v1';
/** What a sealed key file is for; bound into the associated data. */
export const SEALED_KEY_PURPOSE = 'gateway Ed25519 signing key (PKCS#8)';
const KDF_INFO = 'carapace/keys/v1 key-file';

/** A sealed private key file as stored (JSON): nothing in it opens without the root. */
export interface SealedKeyFile extends SealedEnvelope {
  format: typeof SEALED_KEY_FORMAT;
  name: string;
  purpose: typeof SEALED_KEY_PURPOSE;
}

/** Where a data directory's sealing root would come from, without resolving (or creating) it. */
export function sealingRootAvailable(
  dataDir: string,
  options: { env?: NodeJS.ProcessEnv; tee?: TeeSealingKeyProvider } = {},
): boolean {
  if (options.tee) return true;
  const fromEnv = (options.env ?? process.env)[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return true;
  return existsSync(join(vaultDir(dataDir), MASTER_KEY_FILE));
}

/**
 * The sealer of a data directory's key files: under its sealing root (the TEE's, $CARAPACE_MASTER_KEY,
 * or <data>/vault/master.key) when there is one, else null (keys stay plain PEM). A root that is there
 * but unusable (bad mode, bad text) throws VaultError E_VAULT_MASTER_KEY: never a silent fallback.
 */
export function dataDirKeySealer(
  dataDir: string,
  options: { env?: NodeJS.ProcessEnv; tee?: TeeSealingKeyProvider } = {},
): KeySealer | null {
  if (!sealingRootAvailable(dataDir, options)) return null;
  return keySealerOf(resolveSealingRoot(dataDir, { create: false, ...options }));
}

export function keySealerOf(root: SealingRoot): KeySealer {
  const rootInfo = rootInfoOf(root);
  const info = (name: string, measurement: string | null) => `${KDF_INFO} ${name} ${measurement ?? 'none'}`;
  return {
    root: { source: root.source, key_id: root.keyId },
    seal(name, pkcs8) {
      const envelope = sealEnvelope(
        root,
        info(name, root.measurement),
        associatedData(name, rootInfo),
        pkcs8,
      );
      const file: SealedKeyFile = {
        format: SEALED_KEY_FORMAT,
        name,
        purpose: SEALED_KEY_PURPOSE,
        ...envelope,
      };
      return Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
    },
    unseal(name, bytes, path) {
      const file = parseSealedKeyFile(bytes, path);
      if (file.name !== name || file.purpose !== SEALED_KEY_PURPOSE)
        throw new KeyError(
          'E_KEY_UNSEAL',
          `sealed private key ${path} is not sealed as key ${name} (${SEALED_KEY_PURPOSE}): it is another key's file, or was changed`,
        );
      if (!sealedUnder(file, root))
        throw new KeyError(
          'E_KEY_SEALED_ROOT',
          `private key ${path} was sealed under root ${file.root.key_id} (${file.root.source}), not this one ${root.keyId} (${root.source}): give the root it was sealed under`,
        );
      try {
        // The name read back is the one asked for: a file of another key (or renamed) does not unseal.
        return openEnvelope(root, info(name, root.measurement), associatedData(name, file.root), file);
      } catch (e) {
        if (e instanceof EnvelopeError && e.reason === 'lengths')
          throw new KeyError(
            'E_KEY_INVALID',
            `sealed private key ${path}: salt, nonce or tag has the wrong length`,
          );
        throw new KeyError(
          'E_KEY_UNSEAL',
          `sealed private key ${path} does not unseal as key ${name}: it was changed after sealing, or is another key's file`,
        );
      }
    },
  };
}

function associatedData(name: string, root: SealedKeyFile['root']): Buffer {
  return Buffer.from(
    canonicalJson({ format: SEALED_KEY_FORMAT, name, purpose: SEALED_KEY_PURPOSE, root }),
    'utf8',
  );
}

function parseSealedKeyFile(bytes: Buffer, path: string): SealedKeyFile {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new KeyError('E_KEY_INVALID', `private key ${path} is neither PEM nor a sealed key file`);
  }
  const v = value as Partial<SealedKeyFile> | null;
  const str = (x: unknown) => typeof x === 'string';
  if (
    !v ||
    typeof v !== 'object' ||
    v.format !== SEALED_KEY_FORMAT ||
    !v.root ||
    typeof v.root !== 'object' ||
    !str(v.root.key_id) ||
    !str(v.root.source) ||
    !str(v.root.tee) ||
    !(v.root.measurement === null || str(v.root.measurement)) ||
    !str(v.salt) ||
    !str(v.nonce) ||
    !str(v.ciphertext) ||
    !str(v.tag)
  )
    throw new KeyError('E_KEY_INVALID', `private key ${path} is not a ${SEALED_KEY_FORMAT} file`);
  return v as SealedKeyFile;
}
