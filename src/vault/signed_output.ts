// Signed outputs (DESIGN.md §9): the gateway signs (request, result, timestamp, measurement) with an
// ECDSA P-256 key over SHA-256 of an unambiguous encoding. The confidential agent this follows joined
// the fields with "||" (origins.md §4.1), so a prompt ending in "||x" and a result starting with "x||"
// signed the same bytes as other field values: a signature over one pairing verified another. Here each
// field is a 4-byte big-endian length followed by exactly that many bytes, after a domain tag, so the
// bytes decode to one tuple only. JSON fields are RFC 8785 canonical, the time is RFC 3339 UTC.

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hash,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { canonicalJson } from '../engine/canonical_json.js';
import type { Vault } from './vault.js';

export const SIGNED_OUTPUT_FORMAT = 'carapace.signed-output/v1';
/** The vault's own-key id of the output-signing key. */
export const OUTPUT_KEY_ID = 'output-signing-p256';

/** Attestation evidence that binds the signing key: report_data = SHA-256(SPKI DER) ‖ nonce. */
export interface OutputEvidence {
  /** e.g. `configfs-tsm:sev_guest`; the attestation module says which verifier reads `report`. */
  kind: string;
  /** base64 of the report (configfs-tsm outblob). */
  report: string;
  /** hex of the 32-byte nonce in report_data[32:64]. */
  nonce: string;
  /** hex of the 64 bytes the report was asked to bind. */
  report_data: string;
}

export interface SignedOutput {
  format: typeof SIGNED_OUTPUT_FORMAT;
  request: unknown;
  result: unknown;
  /** RFC 3339, UTC, milliseconds. */
  timestamp: string;
  /** Lower-case hex of the TEE measurement, or `none` when no TEE ran this. */
  measurement: string;
  tee: string;
  /** hex SHA-256 of the encoded payload. */
  payload_sha256: string;
  /** base64url of the IEEE P1363 signature (r ‖ s, 64 bytes). */
  signature: string;
  public_key_pem: string;
  /** Present only when a TEE produced a report binding this key. */
  evidence?: OutputEvidence;
}

const TAG = Buffer.from(SIGNED_OUTPUT_FORMAT, 'utf8');

function field(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * The signed bytes: field(tag) ‖ field(request) ‖ field(result) ‖ field(timestamp) ‖ field(measurement),
 * field(x) = uint32_be(len(x)) ‖ x. Request and result are RFC 8785 JSON in UTF-8.
 */
export function signedOutputPayload(
  request: unknown,
  result: unknown,
  timestamp: string,
  measurement: string,
): Buffer {
  return Buffer.concat(
    [
      TAG,
      Buffer.from(canonicalJson(request)),
      Buffer.from(canonicalJson(result)),
      Buffer.from(timestamp),
      Buffer.from(measurement),
    ].map(field),
  );
}

/** SHA-256 of the key's SubjectPublicKeyInfo DER: what report_data[0:32] must hold. */
export function publicKeyDigest(publicKey: KeyObject): Buffer {
  return hash('sha256', publicKey.export({ type: 'spki', format: 'der' }), 'buffer');
}

export class OutputSigner {
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** Evidence binding this key, when a TEE made some at start. */
  evidence: OutputEvidence | null = null;

  constructor(
    private readonly privateKey: KeyObject,
    /** Set from the evidence when a TEE reports at start. */
    public tee: string = 'none',
    /** Lower-case hex once the attestation module has read it from the report; `none` without a TEE. */
    public measurement: string = 'none',
  ) {
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('an output-signing key is ECDSA P-256');
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** A fresh key, for tests and for a gateway that keeps no vault. */
  static generate(): OutputSigner {
    return new OutputSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  }

  /** The vault's output-signing key: made and sealed on first use, unsealed later (never on disk in clear). */
  static fromVault(vault: Vault): OutputSigner {
    const der = vault.ownKey(OUTPUT_KEY_ID, () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }),
    );
    try {
      const root = vault.rootInfo();
      return new OutputSigner(
        createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
        root.tee,
        root.measurement ?? 'none',
      );
    } finally {
      der.fill(0);
    }
  }

  sign(request: unknown, result: unknown, nowMs: number = Date.now()): SignedOutput {
    const timestamp = new Date(nowMs).toISOString();
    const payload = signedOutputPayload(request, result, timestamp, this.measurement);
    const signature = sign('sha256', payload, { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return {
      format: SIGNED_OUTPUT_FORMAT,
      request,
      result,
      timestamp,
      measurement: this.measurement,
      tee: this.tee,
      payload_sha256: hash('sha256', payload, 'hex'),
      signature: signature.toString('base64url'),
      public_key_pem: this.publicKeyPem,
      ...(this.evidence ? { evidence: this.evidence } : {}),
    };
  }
}

/** True when `signature` (P1363, base64url) over the payload verifies under `publicKey`. */
export function verifyPayloadSignature(publicKey: KeyObject, payload: Buffer, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== 64) return false;
  try {
    return verify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}
