// First-run bootstrap (after the confidential agent, origins.md §4.1): the first run reads a key from
// an environment variable and seals it; later runs load it sealed and need no variable. A sealed key is
// never replaced from the environment (rotate it on purpose with `carapace secrets rotate`).

import { VaultError } from './errors.js';
import type { Vault } from './vault.js';

export interface BootstrapResult {
  id: string;
  /** `sealed-now`: read from the environment and sealed on this run; `sealed-before`: loaded sealed. */
  source: 'sealed-now' | 'sealed-before';
  version: number;
  /** True when the variable is still set although the key was sealed before (it was not used). */
  envIgnored: boolean;
}

export function bootstrapSecret(
  vault: Vault,
  options: { id: string; envVar: string; policy: unknown; env?: NodeJS.ProcessEnv },
): BootstrapResult {
  const fromEnv = (options.env ?? process.env)[options.envVar]?.trim() ?? '';
  if (vault.ids().includes(options.id)) {
    const meta = vault.describe(options.id);
    return { id: options.id, source: 'sealed-before', version: meta.version, envIgnored: fromEnv !== '' };
  }
  if (fromEnv === '')
    throw new VaultError(
      'E_VAULT_SECRET_UNKNOWN',
      `no sealed secret ${options.id} and $${options.envVar} is not set: set it for the first run`,
    );
  const value = Buffer.from(fromEnv, 'utf8');
  try {
    const meta = vault.put(options.id, value, options.policy);
    return { id: options.id, source: 'sealed-now', version: meta.version, envIgnored: false };
  } finally {
    value.fill(0);
  }
}
