// `carapace secrets put|list|rotate|rm|catalog`: the credential broker's sealed secrets in
// <data>/vault/ (docs/vault.md). A value is read from standard input only, never from the command line
// (argv leaks into shell history and ps). Nothing printed ever holds a value. Each change is recorded in
// the audit log when no gateway holds the data directory; while one does, the change is written (the
// record files are atomic) and the gateway records the new version at its next start (broker.opened)
// and with every use of the secret (execution.result names its id, version and policy hash).

import { openDataDirLog } from '../audit/log_files.js';
import { dataDirKeySealer } from '../vault/sealed_key_file.js';
import { withHttpTool } from '../executors/http/index.js';
import { lockDataDir } from '../gateway/data_dir_lock.js';
import { GatewayError } from '../gateway/gateway_error.js';
import { VaultError } from '../vault/errors.js';
import { type SecretMetadata, Vault } from '../vault/vault.js';
import { parseYamlOrJson } from './catalog_file.js';
import { resolveDataDir } from './data_dir.js';
import { failure, printJson, readStdin, readTextFile } from './io.js';

interface SecretsOptions {
  dataDir?: string;
  policy?: string;
  /** Only set when someone tried to pass a value as a flag: refused, never used. */
  value?: string | boolean;
}

function refuseValueFlag(options: SecretsOptions): void {
  if (options.value !== undefined)
    throw failure(
      'E_VALUE_FLAG_REFUSED',
      'a secret is not taken as a flag',
      'pipe it on standard input: values on the command line leak into shell history and ps',
    );
}

async function valueFromStdin(): Promise<Buffer> {
  if (process.stdin.isTTY)
    throw failure(
      'E_VALUE_MISSING',
      'no value on standard input',
      'pipe the value in, e.g. from a password manager',
    );
  // One trailing line break (what echo and most tools add) is not part of the value.
  const text = (await readStdin()).replace(/\r?\n$/, '');
  return Buffer.from(text, 'utf8');
}

function readPolicy(path: string | undefined, required: boolean): unknown {
  if (path === undefined) {
    if (required)
      throw failure('E_ARG_INVALID', 'no policy', 'pass --policy FILE (YAML or JSON; docs/vault.md)');
    return undefined;
  }
  return parseYamlOrJson(readTextFile(path), `policy ${path}`);
}

function vaultFailure(e: unknown): never {
  if (e instanceof VaultError) throw failure(e.code, 'the vault refused', e.message);
  throw e;
}

/** Appends one audit entry if no gateway holds the data directory; says which happened. */
async function recordChange(dataDir: string, kind: string, payload: Record<string, unknown>) {
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (e) {
    if (e instanceof GatewayError && e.code === 'E_DATA_DIR_LOCKED')
      return {
        audited: false,
        note: `${e.detail.split(';')[0]}: it records this version at its next start and with each use`,
      };
    throw e;
  }
  try {
    // The log key sealed (and a plain one sealed in place) under the vault's root, as the gateway would.
    const { log } = await openDataDirLog(dataDir, { sealer: dataDirKeySealer(dataDir) });
    try {
      const entry = await log.append(kind, payload);
      return { audited: true, seq: entry.seq };
    } finally {
      await log.close();
    }
  } finally {
    lock.release();
  }
}

function shown(meta: SecretMetadata) {
  const { id, version, created_at, updated_at, policy_hash, root, policy } = meta;
  return {
    id,
    version,
    created_at,
    updated_at,
    policy_hash,
    sealed_under: root.source,
    tee: root.tee,
    policy,
  };
}

export function secretsPutCommand(id: string, options: SecretsOptions): Promise<number> {
  return sealFromStdin(id, options, 'vault.secret_put', true, (vault, value, policy) =>
    vault.put(id, value, policy),
  );
}

export function secretsRotateCommand(id: string, options: SecretsOptions): Promise<number> {
  return sealFromStdin(id, options, 'vault.secret_rotated', false, (vault, value, policy) =>
    vault.rotate(id, value, policy),
  );
}

/** put and rotate: the value from stdin, sealed, zeroed, the change audited, the metadata printed. */
async function sealFromStdin(
  id: string,
  options: SecretsOptions,
  kind: string,
  policyRequired: boolean,
  seal: (vault: Vault, value: Buffer, policy: unknown) => SecretMetadata,
): Promise<number> {
  refuseValueFlag(options);
  const dataDir = resolveDataDir(options.dataDir);
  const policy = readPolicy(options.policy, policyRequired);
  const value = await valueFromStdin();
  let meta: SecretMetadata;
  try {
    meta = seal(new Vault(dataDir), value, policy);
  } catch (e) {
    vaultFailure(e);
  } finally {
    value.fill(0);
  }
  const audit = await recordChange(dataDir, kind, {
    id,
    version: meta.version,
    policy_hash: meta.policy_hash,
  });
  printJson({ ...shown(meta), ...audit });
  return 0;
}

export async function secretsRemoveCommand(id: string, options: SecretsOptions): Promise<number> {
  const dataDir = resolveDataDir(options.dataDir);
  try {
    new Vault(dataDir).remove(id);
  } catch (e) {
    vaultFailure(e);
  }
  printJson({ id, removed: true, ...(await recordChange(dataDir, 'vault.secret_removed', { id })) });
  return 0;
}

/** Every secret's metadata and whether it still unseals; exit 1 when one does not. */
export function secretsListCommand(options: SecretsOptions): number {
  let listed;
  try {
    listed = new Vault(resolveDataDir(options.dataDir)).list();
  } catch (e) {
    vaultFailure(e);
  }
  printJson(
    listed.map((s) => (s.sealed === 'ok' ? { ...shown(s), sealed: 'ok' } : { id: s.id, sealed: s.sealed })),
  );
  return listed.every((s) => s.sealed === 'ok') ? 0 : 1;
}

/** The catalog a gateway with the broker decides against (demo data hall + http.request), for replay. */
export function secretsCatalogCommand(): number {
  printJson(withHttpTool());
  return 0;
}
