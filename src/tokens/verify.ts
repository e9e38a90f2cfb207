// Verifies an execution token for the one action it allows: structure, EdDSA signature with the
// expected key, issuer, lifetime (millisecond exp_ms), agent, action hash and DPoP key binding.

import { KeyObject } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import { toCanonicalJson } from '../engine/index.js';
import { actionHash } from './action_hash.js';
import { type ExecutionTokenClaims, JKT, MAX_TTL_MS, parseClaims } from './claims.js';
import { splitCompactJws } from './compact_jws.js';
import { quoteValue, TokenError } from './errors.js';
import { executionKeyId } from './key_id.js';

export interface VerifyExecutionTokenOptions {
  /** The minting key's Ed25519 public key. */
  publicKey: KeyObject;
  /** The minting key's name: the token's iss. */
  issuer: string;
  /** Epoch milliseconds, injected: no hidden clock. */
  now: number;
  /** Leeway for clock differences between minter and verifier, in ms. Default 0; at most 60000. */
  clockSkewMs?: number;
  /** What the presenter asks to run, and who it is. */
  expect: {
    agentId: string;
    tool: string;
    args: unknown;
    /** RFC 7638 thumbprint of the DPoP key the presenter proved possession of, if any. */
    jkt?: string;
  };
}

/**
 * Returns the token's claims when it allows exactly `opts.expect`; otherwise throws TokenError with
 * the first failed check's code. Never throws anything else for any `token`. Redeems nothing: an
 * executor calls redeemExecutionToken.
 */
export async function verifyExecutionToken(
  token: string,
  opts: VerifyExecutionTokenOptions,
): Promise<ExecutionTokenClaims> {
  const skew = opts.clockSkewMs ?? 0;
  if (!Number.isFinite(opts.now)) invalid(`now must be epoch milliseconds, got ${opts.now}`);
  if (!Number.isFinite(skew) || skew < 0 || skew > MAX_TTL_MS) {
    invalid(`clockSkewMs must be from 0 to ${MAX_TTL_MS}, got ${skew}`);
  }
  if (!(opts.publicKey instanceof KeyObject) || opts.publicKey.type !== 'public') {
    invalid('publicKey must be a public KeyObject');
  }
  if (typeof opts.issuer !== 'string' || opts.issuer.length === 0) invalid('issuer must be a key name');
  const { expect } = opts;
  if (typeof expect !== 'object' || expect === null) invalid('expect must name the agent, tool and args');
  if (typeof expect.agentId !== 'string' || typeof expect.tool !== 'string') {
    invalid('expect.agentId and expect.tool must be strings');
  }
  if (expect.jkt !== undefined && (typeof expect.jkt !== 'string' || !JKT.test(expect.jkt))) {
    invalid('expect.jkt must be an RFC 7638 SHA-256 thumbprint');
  }
  const verifierKid = executionKeyId(opts.publicKey);

  const { header, payloadText } = splitCompactJws(token);
  if (header.kid !== verifierKid) {
    throw new TokenError(
      'E_TOKEN_SIGNATURE',
      `execution token: signed by key ${quoteValue(header.kid)}, but the verifier's key is ${verifierKid}`,
    );
  }
  try {
    await compactVerify(token, opts.publicKey, { algorithms: ['EdDSA'] });
  } catch (e) {
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new TokenError(
        'E_TOKEN_SIGNATURE',
        `execution token: the signature does not verify with key ${verifierKid} (altered, or signed by another key)`,
      );
    }
    const code = e instanceof joseErrors.JOSEError ? e.code : 'unexpected error';
    throw new TokenError('E_TOKEN_MALFORMED', `execution token: rejected by the JWS verifier (${code})`);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    throw new TokenError('E_TOKEN_MALFORMED', 'execution token: the payload is not JSON');
  }
  const claims = parseClaims(payload);
  // The minter signs canonical JSON; any other text (reordered, duplicated keys) came from elsewhere.
  const canonical = toCanonicalJson(claims, 2);
  if (!canonical.ok || canonical.json !== payloadText) {
    throw new TokenError('E_TOKEN_MALFORMED', 'execution token: the payload is not canonical JSON');
  }

  if (claims.iss !== opts.issuer) {
    throw new TokenError(
      'E_TOKEN_WRONG_ISSUER',
      `execution token: issued by ${quoteValue(claims.iss)}, expected ${quoteValue(opts.issuer)}`,
    );
  }
  const nbfMs = claims.nbf * 1000;
  if (opts.now + skew < nbfMs) {
    throw new TokenError(
      'E_TOKEN_NOT_YET_VALID',
      `execution token ${claims.jti}: not valid before ${isoTime(nbfMs)} (nbf ${claims.nbf}); now is ${isoTime(opts.now)}`,
    );
  }
  if (opts.now - skew >= claims.exp_ms) {
    throw new TokenError(
      'E_TOKEN_EXPIRED',
      `execution token ${claims.jti}: expired at ${isoTime(claims.exp_ms)} (exp_ms ${claims.exp_ms}); ` +
        `now is ${isoTime(opts.now)}, ${opts.now - claims.exp_ms} ms later`,
    );
  }
  if (claims.sub !== expect.agentId) {
    throw new TokenError(
      'E_TOKEN_WRONG_AGENT',
      `execution token ${claims.jti}: issued to agent ${quoteValue(claims.sub)}, presented by ${quoteValue(expect.agentId)}`,
    );
  }
  if (claims.tool !== expect.tool) {
    throw new TokenError(
      'E_TOKEN_WRONG_ACTION',
      `execution token ${claims.jti}: minted for tool ${quoteValue(claims.tool)}, presented for ${quoteValue(expect.tool)}`,
    );
  }
  let presented: string;
  try {
    presented = actionHash(expect.tool, expect.args);
  } catch (e) {
    const why = e instanceof TokenError ? e.message : 'they cannot be hashed';
    throw new TokenError('E_TOKEN_WRONG_ACTION', `execution token ${claims.jti}: the presented ${why}`);
  }
  if (presented !== claims.act) {
    throw new TokenError(
      'E_TOKEN_WRONG_ACTION',
      `execution token ${claims.jti}: minted for action ${claims.act} (tool ${quoteValue(claims.tool)}); ` +
        `the presented args hash to ${presented}`,
    );
  }
  checkDpopBinding(claims, expect.jkt);
  return claims;
}

function checkDpopBinding(claims: ExecutionTokenClaims, presentedJkt: string | undefined): void {
  const bound = claims.cnf?.jkt;
  if (bound === presentedJkt) return;
  const message =
    bound === undefined
      ? `not bound to a DPoP key, but the agent presented DPoP key ${presentedJkt}`
      : presentedJkt === undefined
        ? `bound to DPoP key ${bound}, but no DPoP key was presented`
        : `bound to DPoP key ${bound}, but the agent presented DPoP key ${presentedJkt}`;
  throw new TokenError('E_TOKEN_DPOP_MISMATCH', `execution token ${claims.jti}: ${message}`);
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString();
}

function invalid(what: string): never {
  throw new TokenError('E_TOKEN_INVALID_INPUT', `cannot verify an execution token: ${what}`);
}
