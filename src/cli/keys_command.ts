// `carapace keys generate|show`: the audit log's Ed25519 signing key in <data>/keys/.

import { KeyError } from '../crypto/ed25519_key.js';
import { formatVerifierKey } from '../crypto/signed_note.js';
import { DEFAULT_ORIGIN, findKeyFiles, generateLogKey } from '../audit/log_files.js';
import { resolveDataDir } from './data_dir.js';
import { failure, printJson } from './io.js';

export function keysGenerateCommand(options: { dataDir?: string; origin?: string }): number {
  const dataDir = resolveDataDir(options.dataDir);
  try {
    const { key, privatePath, publicPath } = generateLogKey(dataDir, options.origin ?? DEFAULT_ORIGIN);
    printJson({
      origin: key.name,
      vkey: formatVerifierKey(key),
      private_key: privatePath,
      public_key: publicPath,
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
