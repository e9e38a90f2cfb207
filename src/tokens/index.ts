// Execution tokens: the signed, single-use permission between a decision and an executor
// (DESIGN.md §5). This is the module's public surface.

export { actionHash } from './action_hash.js';
export type { ExecutionTokenClaims } from './claims.js';
export { DEFAULT_TTL_MS, EXECUTION_TOKEN_TYPE, MAX_TOKEN_CHARS, MAX_TTL_MS } from './claims.js';
export type { TokenErrorCode } from './errors.js';
export { TokenError } from './errors.js';
export { executionKeyId } from './key_id.js';
export type { MintExecutionTokenInput } from './mint.js';
export { mintExecutionToken } from './mint.js';
export type { RedeemExecutionTokenOptions, RedemptionLedger } from './redeem.js';
export { redeemExecutionToken } from './redeem.js';
export type { VerifyExecutionTokenOptions } from './verify.js';
export { verifyExecutionToken } from './verify.js';
export { storeRedemptionLedger } from './store_ledger.js';
