// The one error type of execution tokens: a stable code callers branch on, and a message saying
// exactly what differed. Messages may quote token claims, never a signature or key material.

export type TokenErrorCode =
  /** Not a compact JWS of this kind: size, segments, encoding, header (alg, typ, kid) or claim shape. */
  | 'E_TOKEN_MALFORMED'
  /** The signature does not verify with the verifier's key: altered, or signed by another key. */
  | 'E_TOKEN_SIGNATURE'
  /** Signed by the expected key but naming another issuer. */
  | 'E_TOKEN_WRONG_ISSUER'
  | 'E_TOKEN_EXPIRED'
  | 'E_TOKEN_NOT_YET_VALID'
  /** Issued to another agent than the one presenting it. */
  | 'E_TOKEN_WRONG_AGENT'
  /** The presented tool and args are not the ones the token was minted for. */
  | 'E_TOKEN_WRONG_ACTION'
  /** The token's cnf.jkt and the presenter's DPoP key thumbprint differ, or one of them is missing. */
  | 'E_TOKEN_DPOP_MISMATCH'
  /** Already redeemed once. */
  | 'E_TOKEN_REPLAYED'
  /** The redemption ledger failed; the token must be treated as not redeemed, and nothing may run. */
  | 'E_TOKEN_LEDGER'
  /** The caller's own input (mint input, verifier options) is invalid: a programming error, refused. */
  | 'E_TOKEN_INVALID_INPUT';

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenError';
  }
}

/** A value quoted in a message, JSON-encoded and cut to a readable length. */
export function quoteValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
