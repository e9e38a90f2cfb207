// `carapace witness serve`: a C2SP tlog-witness for Carapace audit logs (docs/audit.md § Witnesses). It has
// its own Ed25519 key (made on first start in its data directory, never printed), trusts the log keys it
// is given, and keeps durably the latest checkpoint it cosigned per log.

import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  generateSigningKey,
  readSigningKey,
  readVerifierKey,
  type SigningKey,
} from '../crypto/ed25519_key.js';
import type { VerifierKey } from '../crypto/signed_note.js';
import { formatCosignerKey, parseCosignerKey } from '../witness/cosignature.js';
import { buildWitnessServer } from '../witness/server.js';
import { Witness } from '../witness/witness.js';
import { failure } from './io.js';

export const DEFAULT_WITNESS_NAME = 'carapace.local/witness';

export interface WitnessServeOptions {
  dataDir: string;
  port: string;
  host: string;
  name?: string;
  logKey?: string[];
}

/** The witness key of `dataDir` (`witness.key`, 0600, and `witness.vkey`), made on first use. */
export function witnessKey(dataDir: string, name: string): SigningKey {
  const keyPath = join(dataDir, 'witness.key');
  const vkeyPath = join(dataDir, 'witness.vkey');
  if (existsSync(keyPath)) {
    const stored = parseCosignerKey(readFileSync(vkeyPath, 'utf8'));
    return readSigningKey(keyPath, stored.name);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = generateSigningKey(name);
  const fd = openSync(keyPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  } finally {
    closeSync(fd);
  }
  writeFileSync(vkeyPath, `${formatCosignerKey(key)}\n`, { mode: 0o644 });
  return key;
}

export async function witnessServeCommand(options: WitnessServeOptions): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw failure('E_WITNESS_OPTION', 'invalid --port', `${options.port}: a port from 0 to 65535`);
  const given = options.logKey ?? [];
  if (given.length === 0)
    throw failure(
      'E_WITNESS_OPTION',
      'no log key',
      'pass --log-key with the vkey of each log to witness (carapace keys show)',
    );
  let logKeys: VerifierKey[];
  let key: SigningKey;
  let witness: Witness;
  try {
    logKeys = given.map((k) => readVerifierKey(k));
    key = witnessKey(options.dataDir, options.name ?? DEFAULT_WITNESS_NAME);
    witness = new Witness({ dataDir: options.dataDir, key, logKeys });
  } catch (e) {
    throw failure('E_WITNESS_START', 'the witness cannot start', (e as Error).message);
  }
  const app = buildWitnessServer(witness, key.publicKeyRaw);
  let url: string;
  try {
    url = await app.listen({ host: options.host, port });
  } catch (e) {
    throw failure('E_WITNESS_START', 'the witness cannot listen', (e as Error).message);
  }
  process.stdout.write(
    `witness ${key.name} listening on ${url} (data directory ${options.dataDir}); key ${formatCosignerKey(key)} (also in ${join(options.dataDir, 'witness.vkey')}); witnessing ${logKeys.map((k) => k.name).join(', ')}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  return 0;
}
