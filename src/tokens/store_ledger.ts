// The store as the redemption ledger of execution tokens: tokens speak epoch milliseconds, the store
// ISO times; redemption is the store's atomic insert-if-absent, shared by every gateway instance.

import type { Store } from '../store/store.js';
import type { RedemptionLedger } from './redeem.js';

export function storeRedemptionLedger(store: Pick<Store, 'redeemToken'>): RedemptionLedger {
  return {
    redeemToken: (jti, expiresAt, redeemedAt) =>
      store.redeemToken(jti, new Date(expiresAt).toISOString(), new Date(redeemedAt).toISOString()),
  };
}
