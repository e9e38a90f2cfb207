// `carapace verify-output FILE`: the three checks of a signed output (docs/vault.md): structural,
// cryptographic (the evidence, appraised by the attestation module when this build has one) and the
// signature; the attested key must be the signing key. Prints the verification; exit 0 when it passed,
// 1 when it did not (a skipped or unavailable appraisal is not a pass), 2 for input it cannot take.

import type { OutputEvidence } from '../vault/signed_output.js';
import { type AttestationAppraiser, verifySignedOutput } from '../vault/verify_output.js';
import { failure, parseJson, printJson, readTextFile } from './io.js';

export interface VerifyOutputOptions {
  expectedMeasurement?: string;
  nonce?: string;
  allowNoTee?: boolean;
  at?: string;
}

/**
 * The attestation module's appraiser, when this build has one: src/attest is expected to export
 * `appraiseOutputEvidence(evidence, at)` resolving to an AttestationAppraisal (src/vault/verify_output.ts).
 * Absent, the cryptographic step is `unavailable`, which never passes.
 */
async function attestationAppraiser(): Promise<AttestationAppraiser | null> {
  const specifier = '../attest/index.js';
  try {
    const module = (await import(specifier)) as { appraiseOutputEvidence?: unknown };
    return typeof module.appraiseOutputEvidence === 'function'
      ? (module.appraiseOutputEvidence as (e: OutputEvidence, at: Date) => ReturnType<AttestationAppraiser>)
      : null;
  } catch {
    return null;
  }
}

export async function verifyOutputCommand(file: string, options: VerifyOutputOptions): Promise<number> {
  const hex = (value: string | undefined, name: string, length?: number) => {
    if (value === undefined) return undefined;
    const v = value.toLowerCase();
    if (!/^[0-9a-f]+$/.test(v) || (length !== undefined && v.length !== length))
      throw failure('E_ARG_INVALID', `invalid ${name}`, `give ${length ? `${length} ` : ''}hex digits`);
    return v;
  };
  const measurement = hex(options.expectedMeasurement, '--expected-measurement');
  const nonce = hex(options.nonce, '--nonce', 64);
  const at = options.at === undefined ? new Date() : new Date(options.at);
  if (Number.isNaN(at.getTime())) throw failure('E_ARG_INVALID', 'invalid --at', 'give an RFC 3339 time');
  let document = parseJson(readTextFile(file, 16 * 1024 * 1024), `signed output ${file}`);
  // An execution answer (from /v1/execute) carries the signed output inside: take it from there.
  const inner = (document as { result?: { details?: { signed_output?: unknown } } } | null)?.result?.details
    ?.signed_output;
  if (inner !== undefined) document = inner;
  const verdict = await verifySignedOutput(document, {
    appraiser: await attestationAppraiser(),
    at,
    ...(measurement !== undefined ? { expectedMeasurement: measurement } : {}),
    ...(nonce !== undefined ? { expectedNonce: nonce } : {}),
    ...(options.allowNoTee ? { allowNoTee: true } : {}),
  });
  printJson(verdict);
  return verdict.passed ? 0 : 1;
}
