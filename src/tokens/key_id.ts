// The `kid` of an execution token: the RFC 7638 JWK thumbprint of the Ed25519 public key, so any
// JOSE tooling (jose.calculateJwkThumbprint) computes the same id from the published JWK.

import { createHash, type KeyObject } from 'node:crypto';
import { TokenError } from './errors.js';

/**
 * base64url(SHA-256('{"crv":"Ed25519","kty":"OKP","x":"<x>"}')) for an Ed25519 public (or private)
 * key. Requires an Ed25519 KeyObject.
 */
export function executionKeyId(key: KeyObject): string {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TokenError('E_TOKEN_INVALID_INPUT', 'execution tokens are signed with Ed25519 keys only');
  }
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new TokenError('E_TOKEN_INVALID_INPUT', 'not an Ed25519 key');
  // The required members of an OKP JWK, in lexicographic order, no white space (RFC 7638 §3.2).
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}
