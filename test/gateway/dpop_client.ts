// A DPoP client for the gateway tests: a P-256 key pair and RFC 9449 proofs for one request each, the
// way an agent runtime would make them.

import { createHash, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';
import type { Harness } from './harness.js';

export interface DpopKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

export function dpopKey(): DpopKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, jwk: publicKey.export({ format: 'jwk' }) as JWK };
}

/** base64url SHA-256 of an access token: a proof's `ath`. */
export function ath(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A proof for `method` on the harness gateway's `path`, at its clock, with `extra` claims. */
export function proofFor(
  h: Harness,
  key: DpopKey,
  method: string,
  path: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    jti: randomBytes(12).toString('base64url'),
    htm: method,
    htu: `${h.gateway.url}${path}`,
    iat: Math.floor(h.clock.now / 1000),
    ...extra,
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey);
}
