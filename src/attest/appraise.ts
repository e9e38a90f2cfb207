// The one entry point of attestation verification: evidence of any supported kind, its collateral or
// certificates, an explicit verification time and a policy in; an appraisal out that says what was
// checked, what the evidence claims, and, when it is rejected, exactly which check failed and where.
// It never throws for bad evidence or options: the gateway records every appraisal, accepted or not.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../engine/canonical_json.js';
import type { PinnedRoots } from './chain.js';
import type { ChainCache } from './chain_cache.js';
import { verifyDcap } from './dcap/verify.js';
import { AttestError, type AttestFailure } from './errors.js';
import { verifyNitro } from './nitro/verify.js';
import { type AppraisalPolicy, applyPolicy, parseAppraisalPolicy, type Verified } from './policy.js';
import { verifySevSnp } from './sev_snp/verify.js';

export const ATTESTATION_KINDS = ['sev-snp', 'sgx', 'tdx', 'nitro'] as const;
export type AttestationKind = (typeof ATTESTATION_KINDS)[number];

/** Largest evidence accepted: a DCAP quote with its PCK chain is about 5 KB, a Nitro document 5 KB. */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

export interface AppraiseOptions {
  kind: AttestationKind;
  /** The verification time: certificates, CRLs and collateral must be valid then. Required. */
  at: Date | number | string;
  /** SGX and TDX: the collateral object (dcap-qvl QuoteCollateralV3 as JSON). */
  collateral?: unknown;
  /** SEV-SNP: the VCEK and optionally the ASK and ARK, DER each. */
  certs?: readonly Uint8Array[];
  /** The appraisal policy (AppraisalPolicy); default: no debug, UpToDate TCB only, nothing else required. */
  policy?: AppraisalPolicy | unknown;
  /** Verified chains, CRLs and collateral signatures to reuse across appraisals. */
  cache?: ChainCache;
  /** Pinned roots replacing the vendor's; for test PKIs only. */
  roots?: PinnedRoots;
}

export interface Appraisal {
  kind: AttestationKind | string;
  /** True only when every verification check and every policy rule passed. */
  verified: boolean;
  verified_at: string | null;
  evidence_sha256: string;
  evidence_bytes: number;
  /** The checks that passed, in order: verification first, then policy. */
  checks: string[];
  /** Why verification failed (null when it succeeded; policy failures are listed apart). */
  failure: AttestFailure | null;
  policy_failures: AttestFailure[];
  /** SHA-256 of the policy as applied (canonical JSON), so a recorded appraisal names its policy. */
  policy_sha256: string | null;
  /** What the verified evidence says; null when verification failed. */
  claims: Record<string, unknown> | null;
}

/** Verifies `evidence` and appraises it against the policy. Never throws. */
export function appraise(evidence: Uint8Array, options: AppraiseOptions): Appraisal {
  const bytes = evidence instanceof Uint8Array ? evidence : new Uint8Array(0);
  const appraisal: Appraisal = {
    kind: typeof options?.kind === 'string' ? options.kind : 'unknown',
    verified: false,
    verified_at: null,
    evidence_sha256: createHash('sha256').update(bytes).digest('hex'),
    evidence_bytes: bytes.length,
    checks: [],
    failure: null,
    policy_failures: [],
    policy_sha256: null,
    claims: null,
  };
  try {
    const { kind, at } = checkedOptions(evidence, options);
    appraisal.verified_at = at.toISOString();
    const policy = parseAppraisalPolicy(options.policy, kind);
    appraisal.policy_sha256 = createHash('sha256').update(canonicalJson(policy)).digest('hex');
    const verified = verifyKind(kind, bytes, options, at);
    const { checks, ...claims } = verified.result;
    appraisal.checks = [...checks];
    appraisal.claims = claims as Record<string, unknown>;
    const outcome = applyPolicy(policy, verified, at);
    appraisal.checks.push(...outcome.checks);
    appraisal.policy_failures = outcome.failures.map((f) => f.toJSON());
    appraisal.verified = outcome.failures.length === 0;
  } catch (e) {
    appraisal.failure =
      e instanceof AttestError
        ? e.toJSON()
        : {
            code: 'E_ATTEST_INTERNAL',
            check: 'internal',
            where: 'verifier',
            detail: `unexpected error, evidence rejected: ${(e as Error)?.message ?? String(e)}`,
          };
  }
  return appraisal;
}

function checkedOptions(evidence: unknown, options: AppraiseOptions): { kind: AttestationKind; at: Date } {
  const input = (where: string, detail: string) =>
    new AttestError('E_ATTEST_INPUT', 'options', where, detail);
  if (!(evidence instanceof Uint8Array)) throw input('evidence', 'evidence must be bytes');
  if (evidence.length === 0 || evidence.length > MAX_EVIDENCE_BYTES)
    throw input('evidence', `evidence is ${evidence.length} bytes; accepted 1 to ${MAX_EVIDENCE_BYTES}`);
  if (typeof options !== 'object' || options === null) throw input('options', 'options are required');
  if (!(ATTESTATION_KINDS as readonly unknown[]).includes(options.kind))
    throw input('kind', `kind must be one of ${ATTESTATION_KINDS.join(', ')}`);
  const at =
    options.at instanceof Date
      ? options.at
      : typeof options.at === 'number' || typeof options.at === 'string'
        ? new Date(options.at)
        : undefined;
  if (!at || Number.isNaN(at.getTime()))
    throw input('at', 'an explicit verification time is required (a Date, epoch milliseconds or ISO 8601)');
  const needsCollateral = options.kind === 'sgx' || options.kind === 'tdx';
  if (needsCollateral !== (options.collateral !== undefined))
    throw input(
      'collateral',
      needsCollateral
        ? `${options.kind} evidence needs its collateral`
        : `collateral does not apply to ${options.kind} evidence`,
    );
  const needsCerts = options.kind === 'sev-snp';
  if (!needsCerts && options.certs !== undefined && options.certs.length > 0)
    throw input('certs', `certificates do not apply to ${options.kind} evidence: its chain is inside it`);
  if (needsCerts && (!Array.isArray(options.certs) || !options.certs.every((c) => c instanceof Uint8Array)))
    throw input('certs', 'sev-snp evidence needs its VCEK certificate (DER)');
  return { kind: options.kind, at };
}

function verifyKind(
  kind: AttestationKind,
  evidence: Uint8Array,
  options: AppraiseOptions,
  at: Date,
): Verified {
  const common = { at, cache: options.cache, ...(options.roots ? { roots: options.roots } : {}) };
  switch (kind) {
    case 'sev-snp':
      return { kind, result: verifySevSnp(evidence, { ...common, certs: options.certs ?? [] }) };
    case 'sgx':
    case 'tdx':
      return { kind, result: verifyDcap(evidence, { ...common, collateral: options.collateral, tee: kind }) };
    case 'nitro':
      return { kind, result: verifyNitro(evidence, common) };
  }
}
