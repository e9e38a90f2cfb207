// Context authentication (issue 14 item 2): an admin can make a channel signed, with an Ed25519 public
// key or an HMAC-SHA256 secret. Every chunk ingested on a signed channel must then carry a signature over
// its content hash, its channel and a timestamp (header Carapace-Chunk-Signature); a chunk without one,
// or with one that does not verify, is stored untrusted and injection-suspected whatever its channel.
// The HMAC secret is kept sealed (AES-256-GCM under a key derived from the gateway's token key) and is
// never returned, logged or audited.

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import type { JsonObject } from '../store/store.js';
import { auditEvent, type GatewayContext } from './context.js';
import { GatewayError } from './gateway_error.js';

export const CHUNK_SIGNATURE_HEADER = 'carapace-chunk-signature';
export const CHUNK_SIGNATURE_CONTEXT = 'carapace-chunk-signature/v1';
/** How far a signature's timestamp may be from the gateway's clock, either way. */
export const CHUNK_SIGNATURE_SKEW_S = 300;
export const SIGNING_ALGS = ['ed25519', 'hmac-sha256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

const KIND = 'channel_signing';
const SEAL_INFO = 'carapace channel hmac seal v1';

export type SignatureVerdict =
  | { required: false }
  | {
      required: true;
      alg: SigningAlg;
      verified: boolean;
      /** Why it did not verify: missing, malformed, stale, bad_signature, key_unavailable. */
      reason: string | null;
    };

/**
 * The exact bytes signed for a chunk: `carapace-chunk-signature/v1`, the channel name, the timestamp
 * (Unix seconds, decimal) and the content hash (`sha256:<hex>` of the content's UTF-8 bytes, or of an
 * image's bytes), joined by a line feed.
 */
export function chunkSigningInput(channel: string, timestamp: number, contentHash: string): Buffer {
  return Buffer.from(`${CHUNK_SIGNATURE_CONTEXT}\n${channel}\n${timestamp}\n${contentHash}`, 'utf8');
}

/** The header value a signer sends: `t=<unix seconds>,sig=<base64url signature>`. */
export function chunkSignatureHeader(timestamp: number, signature: Buffer): string {
  return `t=${timestamp},sig=${signature.toString('base64url')}`;
}

function sealKey(ctx: GatewayContext): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      ctx.tokenKey.privateKey.export({ format: 'der', type: 'pkcs8' }),
      Buffer.alloc(0),
      SEAL_INFO,
      32,
    ),
  );
}

/** Configures (or replaces) a channel's signing key; audited with the key's fingerprint, never the secret. */
export async function setChannelSigning(
  ctx: GatewayContext,
  admin: string,
  channel: string,
  alg: SigningAlg,
  key: string,
): Promise<{ channel: string; alg: SigningAlg; fingerprint: string | null; configured_at: string }> {
  if (!(await ctx.store.getChannel(channel)))
    throw new GatewayError(404, 'E_NOT_FOUND', 'no such channel', channel);
  const at = new Date(ctx.now()).toISOString();
  let value: JsonObject;
  let fingerprint: string | null = null;
  if (alg === 'ed25519') {
    const raw = ed25519Raw(key);
    fingerprint = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    value = { alg, public_key: raw.toString('base64url'), fingerprint, configured_at: at, by: admin };
  } else {
    const secret = Buffer.from(key, 'base64');
    if (secret.length < 32 || secret.toString('base64') !== key.replace(/\s/g, ''))
      throw new GatewayError(
        400,
        'E_REQUEST_INVALID',
        'invalid request',
        'secret: at least 32 bytes, base64',
      );
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealKey(ctx), nonce);
    cipher.setAAD(Buffer.from(`${KIND}\n${channel}`, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
    value = {
      alg,
      sealed: {
        aead: 'AES-256-GCM',
        nonce: nonce.toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
      },
      configured_at: at,
      by: admin,
    };
  }
  for (let attempt = 0; attempt < 4; attempt++) {
    const existing = await ctx.store.getState(KIND, channel);
    if (await ctx.store.putState(KIND, channel, value, existing?.version ?? 0, at)) {
      await auditEvent(ctx, 'admin.channel_signing_set', {
        by: admin,
        channel,
        alg,
        fingerprint,
        replaced: existing !== null,
      });
      return { channel, alg, fingerprint, configured_at: at };
    }
  }
  throw new GatewayError(
    503,
    'E_STORE_CONFLICT',
    'the channel’s signing key changed concurrently',
    'try again',
  );
}

/** A channel's signing configuration as an admin may see it: never the secret. Null when unsigned. */
export async function channelSigningInfo(
  ctx: GatewayContext,
  channel: string,
): Promise<{ channel: string; alg: SigningAlg; fingerprint: string | null; configured_at: string } | null> {
  const found = await ctx.store.getState(KIND, channel);
  if (!found) return null;
  const v = found.value;
  return {
    channel,
    alg: v.alg as SigningAlg,
    fingerprint: (v.fingerprint as string | undefined) ?? null,
    configured_at: v.configured_at as string,
  };
}

/** An Ed25519 public key given as base64url/base64 of its 32 raw bytes, or as a PEM SPKI. */
function ed25519Raw(key: string): Buffer {
  const invalid = () =>
    new GatewayError(
      400,
      'E_REQUEST_INVALID',
      'invalid request',
      'public_key: an Ed25519 public key, as 32 bytes in base64url or as PEM',
    );
  if (key.includes('-----BEGIN')) {
    let object: KeyObject;
    try {
      object = createPublicKey(key);
    } catch {
      throw invalid();
    }
    if (object.asymmetricKeyType !== 'ed25519') throw invalid();
    const jwk = object.export({ format: 'jwk' });
    return Buffer.from(jwk.x as string, 'base64url');
  }
  if (!/^[A-Za-z0-9_+/-]{43}={0,1}$/.test(key)) throw invalid();
  const raw = Buffer.from(key.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (raw.length !== 32) throw invalid();
  return raw;
}

/**
 * Verifies the signature a chunk came with on `channel`. `{required: false}` when the channel is not
 * signed; otherwise whether it verified and, when not, why. Any failure to read the key is a failure.
 */
export async function verifyChunkSignature(
  ctx: GatewayContext,
  channel: string,
  header: string | undefined,
  contentHash: string,
): Promise<SignatureVerdict> {
  const found = await ctx.store.getState(KIND, channel);
  if (!found) return { required: false };
  const alg = found.value.alg as SigningAlg;
  const fail = (reason: string): SignatureVerdict => ({ required: true, alg, verified: false, reason });
  if (header === undefined || header === '') return fail('missing');
  const parsed = /^t=(\d{1,12}),sig=([A-Za-z0-9_-]{1,200})$/.exec(header.trim());
  if (!parsed) return fail('malformed');
  const timestamp = Number(parsed[1]);
  const signature = Buffer.from(parsed[2] as string, 'base64url');
  if (Math.abs(ctx.now() / 1000 - timestamp) > CHUNK_SIGNATURE_SKEW_S) return fail('stale');
  const input = chunkSigningInput(channel, timestamp, contentHash);
  try {
    if (alg === 'ed25519') {
      const key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: found.value.public_key as string },
        format: 'jwk',
      });
      const ok = signature.length === 64 && verify(null, input, key, signature);
      return ok ? { required: true, alg, verified: true, reason: null } : fail('bad_signature');
    }
    if (alg === 'hmac-sha256') {
      const sealed = found.value.sealed as Record<string, string>;
      const decipher = createDecipheriv(
        'aes-256-gcm',
        sealKey(ctx),
        Buffer.from(sealed.nonce as string, 'base64url'),
      );
      decipher.setAAD(Buffer.from(`${KIND}\n${channel}`, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag as string, 'base64url'));
      const secret = Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext as string, 'base64url')),
        decipher.final(),
      ]);
      const expected = createHmac('sha256', secret).update(input).digest();
      secret.fill(0);
      const ok = signature.length === expected.length && timingSafeEqual(signature, expected);
      return ok ? { required: true, alg, verified: true, reason: null } : fail('bad_signature');
    }
    return fail('key_unavailable');
  } catch {
    return fail('key_unavailable');
  }
}
