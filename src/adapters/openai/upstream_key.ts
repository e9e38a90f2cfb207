// The OpenAI proxy's upstream key, lent for one upstream request at a time (issue 11). Under
// `serve --broker` the key is a secret sealed in the vault: each request unseals it inside vault.use
// (the unsealed Buffer is zeroed when use returns), renders the Authorization value, and builds the
// SecretStripper that removes every form of the key from that request's answer before the agent sees it.
// Both live as long as the request does; nothing keeps the key between requests. A key given in clear
// (CARAPACE_UPSTREAM_API_KEY without --broker) is held for the gateway's life, and stripped the same way.

import { SecretStripper } from '../../executors/http/secret_stripper.js';

/** What one upstream request holds: the header value sent, and the stripper for what comes back. */
export interface LentUpstreamKey {
  authorization: string;
  stripper: SecretStripper;
}

export interface UpstreamKeySource {
  /** The id answers name in place of the key: `[REDACTED:vault:<id>]`. */
  readonly id: string;
  lend(): LentUpstreamKey;
}

/** The vault's interface this needs (src/vault/vault.ts Vault.use). */
export interface UpstreamKeyVault {
  use<T>(id: string, fn: (value: Buffer) => T): T;
}

/** A key held in clear: one stripper, made once. */
export function plainUpstreamKey(key: string, id = 'upstream-api-key'): UpstreamKeySource {
  const lent: LentUpstreamKey = {
    authorization: `Bearer ${key}`,
    stripper: new SecretStripper(id, [key, `Bearer ${key}`]),
  };
  return { id, lend: () => lent };
}

/** A key sealed in the vault as `id`: unsealed for each request, its stripper made for that request. */
export function vaultUpstreamKey(vault: UpstreamKeyVault, id: string): UpstreamKeySource {
  return {
    id,
    lend: () =>
      vault.use(id, (value) => {
        const key = value.toString('utf8');
        return {
          authorization: `Bearer ${key}`,
          stripper: new SecretStripper(id, [key, `Bearer ${key}`]),
        };
      }),
  };
}
