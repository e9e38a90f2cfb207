// Verifies a DPoP proof (RFC 9449 §4.3) for one HTTP request: explicit type, an asymmetric algorithm,
// a public JWK in the header that verifies the signature, the request's method and URI, a fresh iat,
// the access token's hash when one is presented, the server's nonce when it asks for one, and a jti not
// seen before (a store-backed cache, so a proof replayed to another instance is refused there too).

import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors,
  jwtVerify,
  type JWK,
} from 'jose';
import { createHash } from 'node:crypto';
import { IdentityError } from './errors.js';
import { normaliseHtu } from './htu.js';

/** Asymmetric JWS algorithms a proof may use; never "none", never an HMAC. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const;
export const DPOP_PROOF_TYPE = 'dpop+jwt';
/** A proof is accepted this long after its iat (RFC 9449 leaves it to the server; CAR says ≤ 60 s). */
export const DPOP_MAX_AGE_MS = 60_000;
/** And this far ahead of the server's clock. */
export const DPOP_CLOCK_SKEW_MS = 5_000;
const MAX_PROOF_CHARS = 8192;
const JTI = /^[\x21-\x7e]{8,128}$/;

/** Implemented over the store: true the first time a key is remembered, false for a replay. */
export interface ProofReplayCache {
  remember(key: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

export interface ProofExpectations {
  method: string;
  /** The request's absolute URI as the server is addressed. */
  uri: string;
  now: number;
  replay: ProofReplayCache;
  /** The access token presented with the proof; its hash must be the proof's `ath`. */
  accessToken?: string;
  /** When set, the proof's `nonce` must satisfy it. */
  nonce?: (nonce: unknown) => boolean;
  maxAgeMs?: number;
  clockSkewMs?: number;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key. */
  jkt: string;
  jwk: JWK;
  jti: string;
  iat: number;
}

/** Throws IdentityError (E_DPOP_INVALID, E_DPOP_STALE, E_DPOP_USE_NONCE, E_DPOP_REPLAYED). */
export async function verifyDpopProof(proof: unknown, expect: ProofExpectations): Promise<VerifiedProof> {
  if (typeof proof !== 'string' || proof.length === 0) throw invalid('no DPoP proof (send a DPoP header)');
  if (proof.length > MAX_PROOF_CHARS) throw invalid(`the proof is longer than ${MAX_PROOF_CHARS} characters`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('the proof is not a compact JWS');
  }
  if (header.typ !== DPOP_PROOF_TYPE) throw invalid(`typ must be "${DPOP_PROOF_TYPE}"`);
  if (!(DPOP_ALGORITHMS as readonly string[]).includes(String(header.alg)))
    throw invalid(`alg must be one of ${DPOP_ALGORITHMS.join(', ')}`);
  if (typeof header.jwk !== 'object' || header.jwk === null) throw invalid('the header carries no jwk');

  let payload: Record<string, unknown>;
  try {
    // EmbeddedJWK refuses a private or symmetric key; the clock checks are ours (iat below).
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: DPOP_PROOF_TYPE,
      algorithms: [...DPOP_ALGORITHMS],
      currentDate: new Date(expect.now),
    }));
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed)
      throw invalid('the signature does not verify with the jwk');
    throw invalid(
      `rejected by the JWS verifier (${e instanceof errors.JOSEError ? e.code : 'unexpected error'})`,
    );
  }
  const jwk = header.jwk as JWK;
  if ('d' in jwk || jwk.kty === 'oct') throw invalid('the jwk must be a public key');

  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || !JTI.test(jti)) throw invalid('jti must be 8 to 128 printable characters');
  if (htm !== expect.method) throw invalid(`htm is ${JSON.stringify(htm)}, the request is ${expect.method}`);
  const expected = normaliseHtu(expect.uri);
  if (expected === null) throw new Error(`the request URI ${expect.uri} is not an absolute http(s) URI`);
  if (typeof htu !== 'string' || normaliseHtu(htu) !== expected)
    throw invalid(`htu is not this request's URI (${expected})`);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('iat must be a number');
  const maxAge = expect.maxAgeMs ?? DPOP_MAX_AGE_MS;
  const skew = expect.clockSkewMs ?? DPOP_CLOCK_SKEW_MS;
  const iatMs = iat * 1000;
  if (iatMs < expect.now - maxAge || iatMs > expect.now + skew)
    throw new IdentityError(
      'E_DPOP_STALE',
      `DPoP proof: iat ${new Date(iatMs).toISOString()} is outside ${maxAge / 1000} s before to ${skew / 1000} s after the server's time`,
    );
  if (expect.accessToken !== undefined) {
    const ath = createHash('sha256').update(expect.accessToken, 'ascii').digest('base64url');
    if (payload.ath !== ath) throw invalid('ath is not the hash of the presented access token');
  }
  if (expect.nonce && !expect.nonce(payload.nonce))
    throw new IdentityError('E_DPOP_USE_NONCE', 'DPoP proof: use the nonce in the DPoP-Nonce header');

  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  let first: boolean;
  try {
    first = await expect.replay.remember(`dpop:${jkt}:${jti}`, iatMs + maxAge + skew, expect.now);
  } catch (e) {
    throw new Error(`the DPoP replay cache failed: ${(e as Error).message}`, { cause: e });
  }
  if (!first) throw new IdentityError('E_DPOP_REPLAYED', 'DPoP proof: this jti was already used');
  return { jkt, jwk, jti, iat };
}

function invalid(what: string): IdentityError {
  return new IdentityError('E_DPOP_INVALID', `DPoP proof: ${what}`);
}
