// Mints the single-use execution token that lets an executor run exactly one allowed action: an
// EdDSA compact JWS bound to the action, the decision, the ruleset, the agent and its DPoP key.

import { type KeyObject, randomBytes, sign } from 'node:crypto';
import type { SigningKey } from '../crypto/ed25519_key.js';
import { canonicalJson, LIMITS, toCanonicalJson } from '../engine/index.js';
import { actionHash } from './action_hash.js';
import {
  DEFAULT_TTL_MS,
  EXECUTION_TOKEN_TYPE,
  type ExecutionTokenClaims,
  JKT,
  JTI,
  MAX_TOKEN_CHARS,
  MAX_TTL_MS,
  SHA256_REF,
} from './claims.js';
import { TokenError } from './errors.js';
import { executionKeyId } from './key_id.js';

export interface MintExecutionTokenInput {
  key: SigningKey;
  agentId: string;
  /** The canonical tool name, as the catalog names it. */
  tool: string;
  args: unknown;
  /** sha256:<hex> of the decision record that allowed the action. */
  decisionHash: string;
  /** sha256:<hex> of the ruleset that decided it. */
  rulesetHash: string;
  /** Epoch milliseconds, injected: no hidden clock. */
  now: number;
  /** Lifetime in milliseconds: default 5000, at most 60000. */
  ttlMs?: number;
  /** RFC 7638 thumbprint of the agent's DPoP key, when the agent uses DPoP. */
  jkt?: string;
  /** Default: 128 random bits, base64url. */
  jti?: string;
}

/**
 * Requires a valid input (else TokenError E_TOKEN_INVALID_INPUT, and no token). The header is
 * { alg: 'EdDSA', kid: RFC 7638 thumbprint of key.publicKey, typ: 'carapace-exec+jwt' }; header and
 * payload are canonical JSON, which the verifier insists on.
 */
export async function mintExecutionToken(
  input: MintExecutionTokenInput,
): Promise<{ token: string; claims: ExecutionTokenClaims }> {
  const { key, agentId, tool, args, decisionHash, rulesetHash, now, jkt } = input;
  const ttlMs = input.ttlMs ?? DEFAULT_TTL_MS;
  const jti = input.jti ?? randomBytes(16).toString('base64url');
  if (!Number.isSafeInteger(now) || now < 0) invalid(`now must be epoch milliseconds, got ${now}`);
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    invalid(`ttlMs must be an integer from 1 to ${MAX_TTL_MS}, got ${ttlMs}`);
  }
  if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > LIMITS.id) {
    invalid(`agentId must be 1 to ${LIMITS.id} characters`);
  }
  if (!agentId.isWellFormed()) invalid('agentId holds a lone UTF-16 surrogate');
  if (typeof decisionHash !== 'string' || !SHA256_REF.test(decisionHash)) {
    invalid('decisionHash must be sha256:<64 lower-case hex>');
  }
  if (typeof rulesetHash !== 'string' || !SHA256_REF.test(rulesetHash)) {
    invalid('rulesetHash must be sha256:<64 lower-case hex>');
  }
  if (jkt !== undefined && (typeof jkt !== 'string' || !JKT.test(jkt))) {
    invalid('jkt must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)');
  }
  if (typeof jti !== 'string' || !JTI.test(jti)) invalid('jti must be 16 to 128 base64url characters');
  if (key.privateKey.asymmetricKeyType !== 'ed25519') invalid('the signing key is not Ed25519');
  if (
    typeof key.name !== 'string' ||
    key.name.length === 0 ||
    key.name.length > LIMITS.id ||
    /\s/.test(key.name)
  ) {
    invalid('the signing key name must be 1 to 256 characters without white space');
  }

  const iat = Math.floor(now / 1000);
  const expMs = now + ttlMs;
  const claims: ExecutionTokenClaims = {
    iss: key.name,
    sub: agentId,
    jti,
    iat,
    nbf: iat,
    exp: Math.floor(expMs / 1000),
    exp_ms: expMs,
    act: actionHash(tool, args),
    tool,
    dec: decisionHash,
    rsh: rulesetHash,
    ...(jkt === undefined ? {} : { cnf: { jkt } }),
  };
  const payload = toCanonicalJson(claims, 2);
  if (!payload.ok) invalid(`the claims are not JSON: ${payload.reason}`);
  const signingInput = `${encodedHeader(key.publicKey)}.${Buffer.from(payload.json).toString('base64url')}`;
  const signature = await signEd25519(signingInput, key.privateKey);
  const token = `${signingInput}.${signature.toString('base64url')}`;
  if (token.length > MAX_TOKEN_CHARS) invalid(`the token would be ${token.length} characters`);
  return { token, claims };
}

/** The protected header, per key: canonical JSON (members in lexicographic order), base64url. */
const headers = new WeakMap<KeyObject, string>();
function encodedHeader(publicKey: KeyObject): string {
  let encoded = headers.get(publicKey);
  if (encoded === undefined) {
    const header = { alg: 'EdDSA', kid: executionKeyId(publicKey), typ: EXECUTION_TOKEN_TYPE };
    encoded = Buffer.from(canonicalJson(header)).toString('base64url');
    headers.set(publicKey, encoded);
  }
  return encoded;
}

/** EdDSA over the JWS signing input, computed on the libuv thread pool rather than the event loop. */
function signEd25519(signingInput: string, privateKey: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    sign(null, Buffer.from(signingInput), privateKey, (error, signature) =>
      error ? reject(error) : resolve(signature),
    ),
  );
}

function invalid(what: string): never {
  throw new TokenError('E_TOKEN_INVALID_INPUT', `cannot mint an execution token: ${what}`);
}
