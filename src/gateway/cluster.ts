// What lets several gateway instances act as one (issue 13): the store they share (the data
// directory's SQLite file, or PostgreSQL given by URL), the token key they share (so a token minted by
// one redeems on another, and DPoP nonces one issues the others accept), and the policy reloads they
// tell each other about on the store's change feed. Each instance keeps its own data directory (its
// lock, its audit log, its keys).

import { join } from 'node:path';
import { type KeySealer, readSigningKey, type SigningKey } from '../crypto/ed25519_key.js';
import { changeFeedOf } from '../store/change_feed.js';
import { isPostgresUrl, openPgStore } from '../store/pg_store.js';
import { openSqliteStore } from '../store/sqlite_store.js';
import type { Store } from '../store/store.js';
import type { PolicyRuntime } from './policy_stage.js';

/**
 * The gateway's store: PostgreSQL when `url` is a postgres:// URL (shared by every instance given it;
 * `?schema=` names the schema), else the data directory's own SQLite file. Anything else is refused.
 */
export async function openGatewayStore(dataDir: string, url?: string): Promise<Store> {
  if (url === undefined) return openSqliteStore(join(dataDir, 'carapace.db'));
  if (!isPostgresUrl(url))
    throw new Error('the store must be a postgres:// URL (or none, for the data directory’s SQLite file)');
  return openPgStore({ url });
}

/**
 * The token key from a private key file (PKCS#8 PEM or sealed, mode 0600) that every instance of a
 * cluster is given; a sealed one opens on every instance given the same sealing root. Never rewritten
 * here: the operator deploys it (seal it with `carapace keys seal --file`).
 */
export function sharedTokenKey(path: string, name: string, sealer: KeySealer | null = null): SigningKey {
  return readSigningKey(path, name, { sealer });
}

/**
 * Policy reloads fanned out: when this instance loads a new policy it says so on the change feed, and
 * when another instance does, this one re-reads its policy file (the same file, or a copy deployed
 * with it). A feed that came back after a drop may have missed one, so that re-reads it too. No-op
 * without a feed or a policy. Returns what stops it.
 */
export function fanOutPolicyReloads(store: Store, policy: PolicyRuntime | null): () => void {
  const feed = changeFeedOf(store);
  if (!feed || !policy) return () => {};
  const unLoaded = policy.onLoaded(() => void feed.publish({ kind: 'policy' }).catch(() => {}));
  const unChange = feed.onChange((change) => {
    if (change.kind === 'policy' || (change.kind === 'feed' && change.up))
      void policy.reload().catch(() => {});
  });
  return () => {
    unLoaded();
    unChange();
  };
}
