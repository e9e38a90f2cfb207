// The vault's one error type. Codes are stable so callers branch on them; messages name secret ids,
// files and fields, never a secret's value or any key material.

export type VaultErrorCode =
  | 'E_VAULT_ID_INVALID'
  | 'E_VAULT_POLICY_INVALID'
  | 'E_VAULT_VALUE_INVALID'
  | 'E_VAULT_MASTER_KEY'
  | 'E_VAULT_KEY_MISMATCH'
  | 'E_VAULT_UNSEAL'
  | 'E_VAULT_RECORD_INVALID'
  | 'E_VAULT_SECRET_UNKNOWN'
  | 'E_VAULT_SECRET_EXISTS'
  | 'E_VAULT_IO';

export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

/** The errno code of a file-system error, for messages that must not carry anything else. */
export function ioReason(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? 'error';
}
