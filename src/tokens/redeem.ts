// Redeems an execution token exactly once: verify first (a refused token never touches the ledger),
// then an atomic insert-if-absent of its jti in a ledger that survives restarts and spans instances.

import type { ExecutionTokenClaims } from './claims.js';
import { TokenError } from './errors.js';
import { type VerifyExecutionTokenOptions, verifyExecutionToken } from './verify.js';

/** Implemented by the store. */
export interface RedemptionLedger {
  /**
   * Records `jti` as redeemed at `redeemedAt` (epoch ms) if it is absent, atomically across every
   * caller and instance, and resolves true; resolves false if it was already there. `expiresAt`
   * (the token's exp_ms) says when the row may be pruned: an expired token is refused before this.
   */
  redeemToken(jti: string, expiresAt: number, redeemedAt: number): Promise<boolean>;
}

export interface RedeemExecutionTokenOptions extends VerifyExecutionTokenOptions {
  ledger: RedemptionLedger;
}

/**
 * verifyExecutionToken, then the ledger. Throws TokenError E_TOKEN_REPLAYED if the jti was already
 * redeemed, E_TOKEN_LEDGER if the ledger failed or answered anything but true or false.
 */
export async function redeemExecutionToken(
  token: string,
  opts: RedeemExecutionTokenOptions,
): Promise<ExecutionTokenClaims> {
  const claims = await verifyExecutionToken(token, opts);
  let inserted: unknown;
  try {
    inserted = await opts.ledger.redeemToken(claims.jti, claims.exp_ms, opts.now);
  } catch (e) {
    throw new TokenError(
      'E_TOKEN_LEDGER',
      `execution token ${claims.jti}: the redemption ledger failed, so the token is not redeemed`,
      { cause: e },
    );
  }
  if (inserted === false) {
    throw new TokenError('E_TOKEN_REPLAYED', `execution token ${claims.jti}: already redeemed`);
  }
  if (inserted !== true) {
    throw new TokenError(
      'E_TOKEN_LEDGER',
      `execution token ${claims.jti}: the redemption ledger answered ${typeof inserted}, not a boolean`,
    );
  }
  return claims;
}
