// The audit log of a cluster: several gateway instances append to one log in PostgreSQL, each signing
// its checkpoints with its own key (its origin). What serve opens for `--store postgres://…`, and what
// `carapace audit verify|export` read from such a store.

import type { SigningKey } from '../crypto/ed25519_key.js';
import { verifierKeyOf } from '../crypto/ed25519_key.js';
import { formatVerifierKey, parseVerifierKey, type VerifierKey } from '../crypto/signed_note.js';
import { AuditLog, type AuditLogOptions } from './log.js';
import { PgAuditStore } from './pg_audit_store.js';
import type { LogSource } from './verify.js';

export function isPostgresUrl(store: string | undefined): store is string {
  return store !== undefined && /^postgres(ql)?:\/\//i.test(store);
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
  const store = new PgAuditStore({ url, ...(schema !== undefined ? { schema } : {}) });
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

/** The cluster's log as verifier sources, with the verifier keys the instances recorded. */
export async function readClusterLog(
  url: string,
  schema?: string,
): Promise<{ sources: LogSource[]; vkeys: VerifierKey[]; entries: number }> {
  const store = new PgAuditStore({ url, ...(schema !== undefined ? { schema } : {}) });
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
