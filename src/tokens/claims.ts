// The claims of an execution token and their exact shape: the verifier accepts these members with
// these types and nothing else, so a token means one thing to every reader.

import { LIMITS } from '../engine/index.js';
import { quoteValue, TokenError } from './errors.js';

/** `typ` of the protected header (RFC 8725 §3.11: explicit typing, so no other JWT passes as one). */
export const EXECUTION_TOKEN_TYPE = 'carapace-exec+jwt';
export const DEFAULT_TTL_MS = 5_000;
export const MAX_TTL_MS = 60_000;
/** Compact tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_CHARS = 4_096;

export interface ExecutionTokenClaims {
  /** The minting key's name. */
  iss: string;
  /** The agent the token was issued to. */
  sub: string;
  /** Unique token id; the redemption ledger's key. */
  jti: string;
  /** Seconds since the epoch, floored: the JWT-standard view of the lifetime. */
  iat: number;
  nbf: number;
  /** floor(exp_ms / 1000): a generic JWT checker never accepts the token past exp_ms. */
  exp: number;
  /** Epoch milliseconds at and after which the token is expired: the limit Carapace enforces. */
  exp_ms: number;
  /** actionHash(tool, args). */
  act: string;
  /** The catalog tool name, in clear so a refusal can say which tool the token was for. */
  tool: string;
  /** sha256 of the decision record that allowed the action. */
  dec: string;
  /** Hash of the ruleset that decided it. */
  rsh: string;
  /** RFC 9449 §6.1 confirmation: the RFC 7638 thumbprint of the agent's DPoP key. */
  cnf?: { jkt: string };
}

export const SHA256_REF = /^sha256:[0-9a-f]{64}$/;
/** A base64url SHA-256 (RFC 7638 thumbprint): 43 characters. */
export const JKT = /^[A-Za-z0-9_-]{43}$/;
/** At least 96 bits of base64url, as RFC 9449 asks of a jti. */
export const JTI = /^[A-Za-z0-9_-]{16,128}$/;

const REQUIRED = ['act', 'dec', 'exp', 'exp_ms', 'iat', 'iss', 'jti', 'nbf', 'rsh', 'sub', 'tool'] as const;
const ALLOWED = new Set<string>([...REQUIRED, 'cnf']);

/** Checks that `value` (a parsed, signature-checked payload) has exactly the claim shape above. */
export function parseClaims(value: unknown): ExecutionTokenClaims {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('the payload is not a JSON object');
  }
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c))
    if (!ALLOWED.has(key)) throw malformed(`unknown claim ${quoteValue(key)}`);
  for (const key of REQUIRED) if (!(key in c)) throw malformed(`claim ${key} is missing`);
  textClaim(c, 'iss', (s) => s.length <= LIMITS.id && !/\s/.test(s));
  textClaim(c, 'sub', (s) => s.length <= LIMITS.id);
  textClaim(c, 'jti', (s) => JTI.test(s));
  textClaim(c, 'tool', (s) => s.length <= LIMITS.toolName);
  textClaim(c, 'act', (s) => SHA256_REF.test(s));
  textClaim(c, 'dec', (s) => SHA256_REF.test(s));
  textClaim(c, 'rsh', (s) => SHA256_REF.test(s));
  for (const key of ['iat', 'nbf', 'exp', 'exp_ms'] as const) {
    if (!Number.isSafeInteger(c[key]) || (c[key] as number) < 0) {
      throw malformed(`claim ${key} is ${quoteValue(c[key])}, not a non-negative integer`);
    }
  }
  const iat = c.iat as number;
  const nbf = c.nbf as number;
  const exp = c.exp as number;
  const expMs = c.exp_ms as number;
  if (exp !== Math.floor(expMs / 1000)) throw malformed(`exp ${exp} is not floor(exp_ms ${expMs} / 1000)`);
  if (nbf < iat) throw malformed(`nbf ${nbf} precedes iat ${iat}`);
  if (expMs <= nbf * 1000) throw malformed(`exp_ms ${expMs} is not after nbf ${nbf}`);
  // iat and nbf are floored to the second, so a capped lifetime may span up to 1 s more of them.
  if (expMs - iat * 1000 > MAX_TTL_MS + 1000) {
    throw malformed(`the lifetime iat ${iat} → exp_ms ${expMs} exceeds the ${MAX_TTL_MS} ms cap`);
  }
  const claims: ExecutionTokenClaims = {
    iss: c.iss as string,
    sub: c.sub as string,
    jti: c.jti as string,
    iat,
    nbf,
    exp,
    exp_ms: expMs,
    act: c.act as string,
    tool: c.tool as string,
    dec: c.dec as string,
    rsh: c.rsh as string,
  };
  if ('cnf' in c) {
    const cnf = c.cnf;
    if (
      typeof cnf !== 'object' ||
      cnf === null ||
      Array.isArray(cnf) ||
      Object.keys(cnf).length !== 1 ||
      typeof (cnf as { jkt?: unknown }).jkt !== 'string' ||
      !JKT.test((cnf as { jkt: string }).jkt)
    ) {
      throw malformed(`claim cnf is ${quoteValue(cnf)}, not { jkt: <RFC 7638 thumbprint> }`);
    }
    claims.cnf = { jkt: (cnf as { jkt: string }).jkt };
  }
  return claims;
}

function textClaim(c: Record<string, unknown>, key: string, valid: (s: string) => boolean): void {
  const v = c[key];
  if (typeof v !== 'string' || v.length === 0 || !valid(v)) {
    throw malformed(`claim ${key} is ${quoteValue(v)}, which is not a valid ${key}`);
  }
}

function malformed(what: string): TokenError {
  return new TokenError('E_TOKEN_MALFORMED', `execution token: ${what}`);
}
