// DPoP-bound access tokens (RFC 9449 §6): what an agent holding a key pair calls the gateway with
// instead of its API key. A JWT signed by the gateway's token key, typed so that it can never pass as an
// execution token (or the reverse), bound to the agent's key by cnf.jkt, living as long as the agent's
// tier allows. Whoever presents it must also present a proof signed with that key.

import { type KeyObject, randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { SigningKey } from '../crypto/ed25519_key.js';
import { executionKeyId } from '../tokens/key_id.js';
import { IdentityError } from './errors.js';

export const ACCESS_TOKEN_TYPE = 'carapace-at+jwt';
const MAX_TOKEN_CHARS = 4096;
const JKT = /^[A-Za-z0-9_-]{43}$/;

export interface AccessTokenClaims {
  iss: string;
  /** The principal id. */
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  cnf: { jkt: string };
}

/** Mints a token for `principalId` bound to `jkt`, valid `ttlMs` from `now` (whole seconds). */
export async function mintAccessToken(input: {
  key: SigningKey;
  principalId: string;
  jkt: string;
  now: number;
  ttlMs: number;
}): Promise<{ token: string; claims: AccessTokenClaims }> {
  if (!JKT.test(input.jkt)) throw new Error('jkt must be an RFC 7638 SHA-256 thumbprint');
  const iat = Math.floor(input.now / 1000);
  const claims: AccessTokenClaims = {
    iss: input.key.name,
    sub: input.principalId,
    jti: randomBytes(16).toString('base64url'),
    iat,
    exp: iat + Math.max(1, Math.floor(input.ttlMs / 1000)),
    cnf: { jkt: input.jkt },
  };
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYPE, kid: executionKeyId(input.key.publicKey) })
    .sign(input.key.privateKey);
  return { token, claims };
}

/** The claims of a token this gateway minted that is still valid at `now`; IdentityError otherwise. */
export async function verifyAccessToken(
  token: string,
  opts: { publicKey: KeyObject; issuer: string; now: number },
): Promise<AccessTokenClaims> {
  if (token.length > MAX_TOKEN_CHARS) throw invalid(`longer than ${MAX_TOKEN_CHARS} characters`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, opts.publicKey, {
      typ: ACCESS_TOKEN_TYPE,
      algorithms: ['EdDSA'],
      issuer: opts.issuer,
      currentDate: new Date(opts.now),
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    }));
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw invalid('expired');
    if (e instanceof errors.JWSSignatureVerificationFailed) throw invalid('the signature does not verify');
    throw invalid(`rejected (${e instanceof errors.JOSEError ? e.code : 'unexpected error'})`);
  }
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  if (
    typeof payload.sub !== 'string' ||
    typeof cnf !== 'object' ||
    cnf === null ||
    typeof cnf.jkt !== 'string' ||
    !JKT.test(cnf.jkt)
  )
    throw invalid('it is not bound to a DPoP key');
  return payload as unknown as AccessTokenClaims;
}

function invalid(what: string): IdentityError {
  return new IdentityError('E_ACCESS_TOKEN_INVALID', `access token: ${what}`);
}
