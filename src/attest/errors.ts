// The one error type of attestation verification: a stable code to branch on, the check that failed
// and where (a field, a byte range, a certificate), so a rejected evidence says exactly why.

export type AttestErrorCode =
  /** The caller's own input (options, policy, collateral shape) is unusable: refused before any check. */
  | 'E_ATTEST_INPUT'
  /** The evidence does not parse: a length, a field value, a reserved byte, an encoding. */
  | 'E_ATTEST_MALFORMED'
  /** Well formed, but a version, algorithm or type this verifier does not support. */
  | 'E_ATTEST_UNSUPPORTED'
  /** A signature over the evidence or the collateral does not verify. */
  | 'E_ATTEST_SIGNATURE'
  /** A certificate chain is broken: names, signatures, CA flags, key usage. */
  | 'E_ATTEST_CHAIN'
  /** A chain ends in a root that is not pinned for this kind. */
  | 'E_ATTEST_ROOT'
  /** A certificate, CRL or collateral document is not valid at the verification time. */
  | 'E_ATTEST_TIME'
  /** A certificate is listed in a CRL. */
  | 'E_ATTEST_REVOKED'
  /** Two signed things that must agree do not: VCEK vs report, QE report vs attestation key, FMSPC. */
  | 'E_ATTEST_BINDING'
  /** The collateral is signed and valid but unusable: wrong id, no TCB level matches, bad JSON. */
  | 'E_ATTEST_COLLATERAL'
  /** The evidence verified, and the appraisal policy rejects what it says. */
  | 'E_ATTEST_POLICY'
  /** Something no check anticipated went wrong; the evidence is rejected all the same. */
  | 'E_ATTEST_INTERNAL';

export class AttestError extends Error {
  constructor(
    readonly code: AttestErrorCode,
    /** The check that failed, a stable dotted name such as `report.signature` or `pck.chain`. */
    readonly check: string,
    /** Where: a field name, a byte range `bytes [0x000, 0x2a0)`, a certificate `pck chain[1]`. */
    readonly where: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AttestError';
  }

  /** The {code, check, where, detail} form that appraisals and the CLI print. */
  toJSON(): AttestFailure {
    return { code: this.code, check: this.check, where: this.where, detail: this.message };
  }
}

export interface AttestFailure {
  code: AttestErrorCode;
  check: string;
  where: string;
  detail: string;
}

/** Formats a byte offset the way the reference tables do (0x2a0). */
export function hexOffset(offset: number): string {
  return `0x${offset.toString(16).padStart(3, '0')}`;
}

/** A byte range [start, end) for messages. */
export function byteRange(start: number, end: number): string {
  return `bytes [${hexOffset(start)}, ${hexOffset(end)})`;
}
