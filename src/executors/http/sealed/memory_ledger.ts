// The sealed process's own record of redeemed execution tokens: a token the gateway already redeemed is
// redeemed here once more, so a host that replays a token cannot make the sealed process act twice.
// In memory, per process; entries leave when their token has expired (an expired token is refused
// before the ledger is asked).

import type { RedemptionLedger } from '../../../tokens/index.js';

export class MemoryRedemptionLedger implements RedemptionLedger {
  private readonly redeemed = new Map<string, number>();

  async redeemToken(jti: string, expiresAt: number, redeemedAt: number): Promise<boolean> {
    for (const [id, exp] of this.redeemed) if (exp < redeemedAt) this.redeemed.delete(id);
    if (this.redeemed.has(jti)) return false;
    this.redeemed.set(jti, expiresAt);
    return true;
  }
}
