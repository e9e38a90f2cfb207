// Verifies a signed output with the three checks of the confidential agent's verifier (origins.md
// §4.2), tightened where that verifier was weak: (1) structural: the document's shape, the measurement
// (against an expected one when given) and, when evidence is present, that its report_data binds THIS
// signing key and the verifier's nonce; (2) cryptographic: the evidence appraised by the attestation
// module (a skipped or unavailable appraisal is never a pass; only --allow-no-tee accepts an output
// that says `tee: none`, and then says the assurance is the signature alone); (3) the signature over the
// length-prefixed payload, and its hash.

import { createPublicKey, hash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  type OutputEvidence,
  publicKeyDigest,
  SIGNED_OUTPUT_FORMAT,
  type SignedOutput,
  signedOutputPayload,
  verifyPayloadSignature,
} from './signed_output.js';

/** What the attestation module says about evidence: the interface verify-output needs from src/attest. */
export interface AttestationAppraisal {
  ok: boolean;
  /** The measurement the evidence attests, lower-case hex. */
  measurement: string | null;
  /** The 64 bytes of report_data the evidence carries, lower-case hex. */
  report_data: string | null;
  /** What failed and where, when not ok. */
  failures: string[];
}
export type AttestationAppraiser = (evidence: OutputEvidence, at: Date) => Promise<AttestationAppraisal>;

export interface VerifyOutputOptions {
  expectedMeasurement?: string;
  /** hex, 32 bytes: the nonce the verifier sent (GET /v1/attestation?nonce=...). */
  expectedNonce?: string;
  /** null or absent: the attestation module is not available to this verifier. */
  appraiser?: AttestationAppraiser | null;
  /** Accept an output that honestly says `tee: none` on its signature alone. */
  allowNoTee?: boolean;
  at?: Date;
}

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

export interface OutputVerification {
  passed: boolean;
  /** `attested`: all three; `signature-only`: no TEE, accepted with allowNoTee; `none`: failed. */
  assurance: 'attested' | 'signature-only' | 'none';
  structural: { passed: boolean; checks: CheckResult[] };
  cryptographic: { status: 'passed' | 'failed' | 'skipped' | 'unavailable'; detail: string };
  signature: { passed: boolean; checks: CheckResult[] };
}

const HEX = /^[0-9a-f]+$/;
const documentShape = z.strictObject({
  format: z.literal(SIGNED_OUTPUT_FORMAT),
  request: z.unknown(),
  result: z.unknown(),
  timestamp: z.iso.datetime({ precision: 3 }),
  measurement: z.union([z.literal('none'), z.string().regex(HEX).max(256)]),
  tee: z.string().max(64),
  payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  public_key_pem: z.string().max(4096),
  evidence: z
    .strictObject({
      kind: z.string().max(64),
      report: z.string().max(1024 * 1024),
      nonce: z.string().regex(/^[0-9a-f]{64}$/),
      report_data: z.string().regex(/^[0-9a-f]{128}$/),
    })
    .optional(),
});

export async function verifySignedOutput(
  document: unknown,
  options: VerifyOutputOptions = {},
): Promise<OutputVerification> {
  const structural: CheckResult[] = [];
  const signature: CheckResult[] = [];
  const fail = (cryptoDetail: string): OutputVerification => ({
    passed: false,
    assurance: 'none',
    structural: { passed: structural.every((c) => c.ok), checks: structural },
    cryptographic: { status: 'skipped', detail: cryptoDetail },
    signature: { passed: false, checks: signature },
  });

  // 1. Structural.
  const shape = documentShape.safeParse(document);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    structural.push({
      check: 'shape',
      ok: false,
      detail: `${issue?.path.join('.') || '(document)'}: ${issue?.message ?? 'invalid'}`,
    });
    return fail('not attempted: the document is malformed');
  }
  const doc = shape.data as SignedOutput;
  structural.push({ check: 'shape', ok: true, detail: SIGNED_OUTPUT_FORMAT });
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(doc.public_key_pem);
    if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('not P-256');
    structural.push({ check: 'public_key', ok: true, detail: 'ECDSA P-256' });
  } catch {
    structural.push({
      check: 'public_key',
      ok: false,
      detail: 'public_key_pem is not an ECDSA P-256 public key',
    });
    return fail('not attempted: no usable public key');
  }
  const noTee = doc.tee === 'none';
  structural.push({
    check: 'tee_consistency',
    ok: noTee ? doc.measurement === 'none' && doc.evidence === undefined : doc.measurement !== 'none',
    detail: noTee
      ? 'tee none: no measurement and no evidence expected'
      : `tee ${doc.tee} with measurement ${doc.measurement}`,
  });
  if (options.expectedMeasurement !== undefined)
    structural.push({
      check: 'measurement',
      ok: doc.measurement === options.expectedMeasurement.toLowerCase(),
      detail: `expected ${options.expectedMeasurement.toLowerCase()}, the output says ${doc.measurement}`,
    });
  if (doc.evidence) {
    const reportData = Buffer.from(doc.evidence.report_data, 'hex');
    const keyDigest = publicKeyDigest(publicKey);
    // The attested key must be the signing key: report_data[0:32] = SHA-256(SPKI of public_key_pem).
    structural.push({
      check: 'key_binding',
      ok: reportData.subarray(0, 32).equals(keyDigest),
      detail: `report_data[0:32] ${reportData.subarray(0, 32).toString('hex')}, SHA-256 of the signing key ${keyDigest.toString('hex')}`,
    });
    structural.push({
      check: 'nonce_binding',
      ok: reportData.subarray(32).toString('hex') === doc.evidence.nonce,
      detail: 'report_data[32:64] must be the evidence nonce',
    });
    if (options.expectedNonce !== undefined)
      structural.push({
        check: 'nonce_fresh',
        ok: doc.evidence.nonce === options.expectedNonce.toLowerCase(),
        detail: `expected the verifier's nonce ${options.expectedNonce.toLowerCase()}`,
      });
  } else if (options.expectedNonce !== undefined) {
    structural.push({
      check: 'nonce_fresh',
      ok: false,
      detail: 'a nonce was expected but the output carries no evidence',
    });
  }

  // 3. Signature (before 2, which may need the network-free but slower attestation module).
  const payload = signedOutputPayload(doc.request, doc.result, doc.timestamp, doc.measurement);
  const digest = hash('sha256', payload, 'hex');
  signature.push({
    check: 'payload_sha256',
    ok: digest === doc.payload_sha256,
    detail: `recomputed ${digest}`,
  });
  signature.push({
    check: 'ecdsa_p256_sha256',
    ok: verifyPayloadSignature(publicKey, payload, doc.signature),
    detail: 'over the length-prefixed payload (docs/vault.md)',
  });

  // 2. Cryptographic.
  let cryptographic: OutputVerification['cryptographic'];
  if (!doc.evidence)
    cryptographic = { status: 'skipped', detail: 'the output carries no attestation evidence (tee: none)' };
  else if (!options.appraiser)
    cryptographic = {
      status: 'unavailable',
      detail: 'no attestation verifier is available to check the evidence',
    };
  else {
    const appraisal = await options.appraiser(doc.evidence, options.at ?? new Date());
    const problems = [...appraisal.failures];
    if (appraisal.ok && appraisal.report_data !== doc.evidence.report_data)
      problems.push('the report does not carry the report_data the output claims');
    if (appraisal.ok && appraisal.measurement !== doc.measurement)
      problems.push(
        `the report attests measurement ${appraisal.measurement ?? 'none'}, the output says ${doc.measurement}`,
      );
    cryptographic =
      appraisal.ok && problems.length === 0
        ? { status: 'passed', detail: 'the evidence verifies and carries this key and measurement' }
        : { status: 'failed', detail: problems.join('; ') || 'the evidence does not verify' };
  }

  const structuralPassed = structural.every((c) => c.ok);
  const signaturePassed = signature.every((c) => c.ok);
  const attested = cryptographic.status === 'passed';
  const acceptedWithoutTee = cryptographic.status === 'skipped' && noTee && options.allowNoTee === true;
  const passed = structuralPassed && signaturePassed && (attested || acceptedWithoutTee);
  return {
    passed,
    assurance: !passed ? 'none' : attested ? 'attested' : 'signature-only',
    structural: { passed: structuralPassed, checks: structural },
    cryptographic,
    signature: { passed: signaturePassed, checks: signature },
  };
}
