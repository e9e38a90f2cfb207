// `carapace keys generate|show|seal`: the audit log's Ed25519 signing key in <data>/keys/ (sealed under
// the data directory's sealing root when there is one), and sealing a key file in place.

import { KeyError, sealKeyFileInPlace } from '../crypto/ed25519_key.js';
import { formatVerifierKey } from '../crypto/signed_note.js';
import { DEFAULT_ORIGIN, findKeyFiles, generateLogKey } from '../audit/log_files.js';
import { dataDirKeySealer } from '../vault/sealed_key_file.js';
import { resolveDataDir } from './data_dir.js';
import { failure, printJson } from './io.js';

export function keysGenerateCommand(options: { dataDir?: string; origin?: string }): number {
  const dataDir = resolveDataDir(options.dataDir);
  try {
    const { key, privatePath, publicPath, sealed } = generateLogKey(
      dataDir,
      options.origin ?? DEFAULT_ORIGIN,
      dataDirKeySealer(dataDir),
    );
    printJson({
      origin: key.name,
      vkey: formatVerifierKey(key),
      private_key: privatePath,
      public_key: publicPath,
      sealed,
    });
    return 0;
  } catch (e) {
    if (e instanceof KeyError) throw failure(e.code, 'cannot generate the log key', e.message);
    throw e;
  }
}

export function keysShowCommand(options: { dataDir?: string; origin?: string }): number {
  const dataDir = resolveDataDir(options.dataDir);
  const origin = options.origin ?? DEFAULT_ORIGIN;
  const found = findKeyFiles(dataDir, origin);
  if (!found)
    throw failure(
      'E_KEY_MISSING',
      'no log key',
      `no key named ${origin} in ${dataDir}/keys (run carapace keys generate)`,
    );
  process.stdout.write(`${formatVerifierKey(found.vkey)}\n`);
  return 0;
}

/**
 * Seals a private key file in place under the data directory's sealing root: a --token-key file to
 * deploy to every instance of a cluster (each given the same root), or a key of <data>/keys/ now
 * rather than at the next start. The plain file is overwritten with zeros, then unlinked.
 */
export function keysSealCommand(options: { dataDir?: string; file: string; name: string }): number {
  const dataDir = resolveDataDir(options.dataDir);
  const sealer = dataDirKeySealer(dataDir);
  if (!sealer)
    throw failure(
      'E_KEY_NO_ROOT',
      'no sealing root',
      'set CARAPACE_MASTER_KEY, or store a secret first (carapace secrets put) to create <data>/vault/master.key',
    );
  try {
    const sealed = sealKeyFileInPlace(options.file, options.name, sealer);
    printJson({ file: options.file, name: options.name, sealed: true, was_plain: sealed, root: sealer.root });
    return 0;
  } catch (e) {
    if (e instanceof KeyError) throw failure(e.code, 'cannot seal the key file', e.message);
    throw e;
  }
}
