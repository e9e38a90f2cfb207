// The audit log of a cluster: several gateway instances append to one log in PostgreSQL, each signing
// its checkpoints with its own key (its origin). What serve opens for `--store postgres://…`, and what
// `carapace audit verify|export` read from such a store.

import type { KeySealer, SigningKey } from '../crypto/ed25519_key.js';
import { verifierKeyOf } from '../crypto/ed25519_key.js';
import { formatVerifierKey, parseVerifierKey, type VerifierKey } from '../crypto/signed_note.js';
import { AuditLog, type AuditLogOptions } from './log.js';
import { dataDirLogKey, openDataDirLog, recordKeysSealed } from './log_files.js';
import { PgAuditStore, PgAuditStoreError } from './pg_audit_store.js';
import type { LogSource } from './verify.js';

export function isPostgresUrl(store: string | undefined): store is string {
  return store !== undefined && /^postgres(ql)?:\/\//i.test(store);
}

/** The URL without its `?schema=` parameter (the same URL the store takes), and the schema it names. */
export function splitSchema(url: string): { url: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PgAuditStoreError('E_AUDIT_SCHEMA', 'the PostgreSQL URL does not parse');
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

function storeOf(url: string, schema: string | undefined): PgAuditStore {
  const split = splitSchema(url);
  const chosen = schema ?? split.schema;
  return new PgAuditStore({ url: split.url, ...(chosen !== undefined ? { schema: chosen } : {}) });
}

/**
 * Opens this instance's writer on the cluster's log: applies the audit migrations, records the
 * instance's verifier key in the store (so exports carry it), and catches the tree up on the log.
 */
export async function openClusterAuditLog(
  url: string,
  options: Omit<AuditLogOptions, 'store' | 'key'> & { key: SigningKey; schema?: string },
): Promise<{ log: AuditLog; store: PgAuditStore }> {
  const { schema, ...logOptions } = options;
  const store = storeOf(url, schema);
  try {
    await store.migrate();
    await store.registerKey(options.key.name, formatVerifierKey(verifierKeyOf(options.key)));
    const { log } = await AuditLog.open({ ...logOptions, store });
    return { log, store };
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}

/**
 * The gateway's audit log: the data directory's own segment files, or, when `store` is a postgres://
 * URL (`?schema=` optional), this instance's writer on the cluster's shared log, signing its
 * checkpoints with the data directory's own log key.
 */
export async function openGatewayAuditLog(
  dataDir: string,
  store: string | undefined,
  options: Omit<AuditLogOptions, 'store' | 'key'> & { sealer?: KeySealer | null } = {},
): Promise<{ log: AuditLog; cluster: PgAuditStore | null; keyMigrated: boolean }> {
  const { sealer = null, ...logOptions } = options;
  if (!isPostgresUrl(store)) {
    const opened = await openDataDirLog(dataDir, { ...logOptions, sealer });
    return { log: opened.log, cluster: null, keyMigrated: opened.keyMigrated };
  }
  const { key, migrated } = dataDirLogKey(dataDir, undefined, sealer);
  const { log, store: cluster } = await openClusterAuditLog(store, { ...logOptions, key });
  if (migrated && sealer) await recordKeysSealed(log, [key.name], sealer);
  return { log, cluster, keyMigrated: migrated };
}

/** The cluster's log as verifier sources, with the verifier keys the instances recorded. */
export async function readClusterLog(
  url: string,
  schema?: string,
): Promise<{ sources: LogSource[]; vkeys: VerifierKey[]; entries: number }> {
  const store = storeOf(url, schema);
  try {
    const sources = await store.readSources();
    const vkeys: VerifierKey[] = [];
    for (const { vkey } of await store.keys()) {
      try {
        vkeys.push(parseVerifierKey(vkey));
      } catch {
        // A malformed row is no key: checkpoints it would have verified fail instead.
      }
    }
    let entries = 0;
    for (const s of sources)
      for (let i = s.bytes.indexOf(0x0a); i !== -1; i = s.bytes.indexOf(0x0a, i + 1)) entries++;
    return { sources, vkeys, entries };
  } finally {
    await store.close();
  }
}
