// The one error type of identity: DPoP proofs, access tokens, delegation. A stable code callers branch
// on; messages say what differed and never quote a key, a signature or a token.

export type IdentityErrorCode =
  /** The DPoP proof is missing, malformed, badly signed, or its claims do not fit this request. */
  | 'E_DPOP_INVALID'
  /** The proof's jti was seen before within its lifetime. */
  | 'E_DPOP_REPLAYED'
  /** The proof's iat is outside the accepted window. */
  | 'E_DPOP_STALE'
  /** The server requires a nonce it issued, and the proof carries none or an old one. */
  | 'E_DPOP_USE_NONCE'
  /** The principal must use DPoP and called without it. */
  | 'E_DPOP_REQUIRED'
  /** The access token is malformed, badly signed, expired, or not bound to the proof's key. */
  | 'E_ACCESS_TOKEN_INVALID'
  /** A delegation asks for more than the delegating agent has, or deeper than its tier allows. */
  | 'E_DELEGATION_REFUSED';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
