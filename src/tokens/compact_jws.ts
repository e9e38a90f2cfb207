// Splits a compact JWS strictly before any cryptography: bounded length, three canonical base64url
// segments (so no two strings carry the same bytes), a UTF-8 JSON header of exactly the expected form.

import { toCanonicalJson } from '../engine/index.js';
import { EXECUTION_TOKEN_TYPE, MAX_TOKEN_CHARS } from './claims.js';
import { quoteValue, TokenError } from './errors.js';

export interface CompactParts {
  header: { alg: 'EdDSA'; kid: string; typ: string };
  /** The payload's UTF-8 text, not yet parsed: it is parsed only once the signature verifies. */
  payloadText: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ED25519_SIGNATURE_BYTES = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Requires nothing of `token`; throws TokenError E_TOKEN_MALFORMED saying what is wrong and where. */
export function splitCompactJws(token: unknown): CompactParts {
  if (typeof token !== 'string') throw malformed(`the token is a ${typeOf(token)}, not a string`);
  if (token.length > MAX_TOKEN_CHARS) {
    throw malformed(`the token is ${token.length} characters; the limit is ${MAX_TOKEN_CHARS}`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw malformed(`the token has ${parts.length} segments; a compact JWS has 3`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  // The header first, so that `alg: none` or HS256 is refused as such, whatever the signature holds.
  const headerText = decodeUtf8(decodeSegment(headerPart, 'header'), 'header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerText);
  } catch {
    throw malformed('the header is not JSON');
  }
  const header = checkHeader(parsed, headerText);
  const payloadText = decodeUtf8(decodeSegment(payloadPart, 'payload'), 'payload');
  const signature = decodeSegment(signaturePart, 'signature');
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw malformed(`the signature is ${signature.length} bytes; an Ed25519 signature is 64`);
  }
  return { header, payloadText };
}

function decodeSegment(part: string, name: string): Buffer {
  if (!BASE64URL.test(part)) throw malformed(`the ${name} segment is empty or not base64url`);
  const decoded = Buffer.from(part, 'base64url');
  // Unused low bits in the last character would let several strings decode to the same bytes.
  if (decoded.toString('base64url') !== part)
    throw malformed(`the ${name} segment is not canonical base64url`);
  return decoded;
}

function decodeUtf8(bytes: Buffer, name: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw malformed(`the ${name} is not UTF-8`);
  }
}

function checkHeader(header: unknown, headerText: string): CompactParts['header'] {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw malformed('the header is not a JSON object');
  }
  const h = header as Record<string, unknown>;
  // alg first: "none" and HMAC are the classic downgrades, and deserve the precise message.
  if (h.alg !== 'EdDSA') throw malformed(`alg is ${quoteValue(h.alg)}; only "EdDSA" is accepted`);
  if (h.typ !== EXECUTION_TOKEN_TYPE) {
    throw malformed(`typ is ${quoteValue(h.typ)}, not ${JSON.stringify(EXECUTION_TOKEN_TYPE)}`);
  }
  if (typeof h.kid !== 'string' || h.kid.length === 0) throw malformed('the header has no kid');
  const extra = Object.keys(h).filter((k) => k !== 'alg' && k !== 'typ' && k !== 'kid');
  // crit, b64, jwk, jku, x5u…: none has a meaning here, and each has been an attack vector somewhere.
  if (extra.length > 0) throw malformed(`the header has unexpected members ${quoteValue(extra)}`);
  const canonical = toCanonicalJson(h, 1);
  if (!canonical.ok || canonical.json !== headerText) throw malformed('the header is not canonical JSON');
  return { alg: 'EdDSA', kid: h.kid, typ: h.typ };
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function malformed(what: string): TokenError {
  return new TokenError('E_TOKEN_MALFORMED', `execution token: ${what}`);
}
