// A test double for the redemption ledger (the real one is the SQLite store): a Map with the same
// insert-if-absent contract, yielding to the event loop first so concurrent callers interleave.

import type { RedemptionLedger } from '../../src/tokens/index.js';

export class FakeRedemptionLedger implements RedemptionLedger {
  readonly rows = new Map<string, { expiresAt: number; redeemedAt: number }>();
  calls = 0;

  async redeemToken(jti: string, expiresAt: number, redeemedAt: number): Promise<boolean> {
    this.calls++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Check and insert with no await between them: the atomic step the store does in one statement.
    if (this.rows.has(jti)) return false;
    this.rows.set(jti, { expiresAt, redeemedAt });
    return true;
  }
}
