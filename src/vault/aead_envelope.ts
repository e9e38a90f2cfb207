// The one AES-256-GCM envelope the vault seals with (secrets and the gateway's own key files): a key
// derived with HKDF-SHA256 from the sealing root, a fresh 32-byte salt and the caller's info label, a
// fresh 12-byte nonce, and the caller's associated data. The callers say what is bound and name the
// errors; this only seals and opens, and zeroes the derived key either way.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealingRoot } from './root_key.js';

/** Which root sealed an envelope: its identity, never the key. */
export interface SealedRootInfo {
  source: SealingRoot['source'];
  key_id: string;
  tee: SealingRoot['tee'];
  measurement: string | null;
}

/** The sealed part of a record as stored; base64url salt (32 bytes), nonce (12), ciphertext, tag (16). */
export interface SealedEnvelope {
  root: SealedRootInfo;
  kdf: 'HKDF-SHA256';
  aead: 'AES-256-GCM';
  salt: string;
  nonce: string;
  ciphertext: string;
  tag: string;
}

export function rootInfoOf(root: SealingRoot): SealedRootInfo {
  return { source: root.source, key_id: root.keyId, tee: root.tee, measurement: root.measurement };
}

/** Whether `root` is the one the envelope names (same key id and measurement). */
export function sealedUnder(envelope: Pick<SealedEnvelope, 'root'>, root: SealingRoot): boolean {
  return envelope.root.key_id === root.keyId && envelope.root.measurement === root.measurement;
}

export function sealEnvelope(
  root: SealingRoot,
  info: string,
  associatedData: Buffer,
  plaintext: Uint8Array,
): SealedEnvelope {
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const key = root.derive(salt, info);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(associatedData);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      root: rootInfoOf(root),
      kdf: 'HKDF-SHA256',
      aead: 'AES-256-GCM',
      salt: salt.toString('base64url'),
      nonce: nonce.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  } finally {
    key.fill(0);
  }
}

/** Why an envelope did not open: its salt, nonce or tag has the wrong length, or the GCM check failed. */
export class EnvelopeError extends Error {
  constructor(readonly reason: 'lengths' | 'authentication') {
    super(reason === 'lengths' ? 'salt, nonce or tag has the wrong length' : 'the GCM check failed');
    this.name = 'EnvelopeError';
  }
}

/** The plaintext, in a Buffer the caller zeroes when done; EnvelopeError when it does not open. */
export function openEnvelope(
  root: SealingRoot,
  info: string,
  associatedData: Buffer,
  envelope: SealedEnvelope,
): Buffer {
  const salt = Buffer.from(envelope.salt, 'base64url');
  const nonce = Buffer.from(envelope.nonce, 'base64url');
  const tag = Buffer.from(envelope.tag, 'base64url');
  if (salt.length !== 32 || nonce.length !== 12 || tag.length !== 16) throw new EnvelopeError('lengths');
  const key = root.derive(salt, info);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    const head = decipher.update(Buffer.from(envelope.ciphertext, 'base64url'));
    try {
      return Buffer.concat([head, decipher.final()]);
    } finally {
      head.fill(0);
    }
  } catch {
    throw new EnvelopeError('authentication');
  } finally {
    key.fill(0);
  }
}
