// The appraisal policy: what a verified attestation must say to be accepted (expected measurements
// and PCRs, no debug unless allowed, minimum TCB and SVN, accepted DCAP TCB statuses, freshness, the
// nonce and the bound key). Every rule that fails is reported, each naming the claim it looked at.

import { z } from 'zod';
import type { AttestationKind } from './appraise.js';
import { TCB_STATUSES } from './dcap/collateral.js';
import type { VerifiedDcap } from './dcap/verify.js';
import { AttestError } from './errors.js';
import { equalBytes, paddedNonce, publicKeyDer, publicKeyDigest } from './key_binding.js';
import type { VerifiedNitro } from './nitro/verify.js';
import type { VerifiedSevSnp } from './sev_snp/verify.js';

const hex = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{2})+$/, 'must be hex')
  .max(2048)
  .transform((s) => s.toLowerCase());
const hexList = z.array(hex).min(1).max(256);
const spl = z.number().int().min(0).max(255);

export const AppraisalPolicySchema = z.strictObject({
  /** Accept a debug TEE (SEV policy DEBUG, SGX ATTRIBUTES.DEBUG, TDX TUD.DEBUG, Nitro all-zero PCR0-2). Default false. */
  allow_debug: z.boolean().optional(),
  /** Accepted launch measurements: SEV-SNP MEASUREMENT, SGX MRENCLAVE, TDX MRTD, Nitro PCR0. */
  measurements: hexList.optional(),
  /** SGX: accepted MRSIGNER values. */
  mr_signers: hexList.optional(),
  /** Nitro: accepted values per PCR index. */
  pcrs: z.record(z.string().regex(/^(?:[0-9]|[12][0-9]|3[01])$/), hexList).optional(),
  /** TDX: accepted values per RTMR index 0-3. */
  rtmrs: z.record(z.string().regex(/^[0-3]$/), hexList).optional(),
  /** SEV-SNP: accepted HOST_DATA values. */
  host_data: hexList.optional(),
  /** SEV-SNP: the VMPL the report must come from. */
  vmpl: z.number().int().min(0).max(3).optional(),
  /** SEV-SNP GUEST_SVN or SGX ISVSVN at least this. */
  min_svn: z.number().int().min(0).max(0xffffffff).optional(),
  /** SEV-SNP: reported_tcb security patch levels at least these. */
  min_tcb: z
    .strictObject({
      fmc: spl.optional(),
      bootloader: spl.optional(),
      tee: spl.optional(),
      snp: spl.optional(),
      microcode: spl.optional(),
    })
    .optional(),
  /** SGX/TDX: accepted TCB statuses. Default ["UpToDate"]. */
  tcb_statuses: z.array(z.enum(TCB_STATUSES)).min(1).optional(),
  /** Nitro: the document's timestamp at most this many seconds before the verification time. */
  max_age_seconds: z.number().int().min(1).optional(),
  /** The verifier's challenge (hex, 1-32 bytes for report_data, up to 512 for a Nitro nonce). */
  nonce: hex.optional(),
  /** The key the attester must have bound: PEM, or base64 of the DER SubjectPublicKeyInfo. */
  public_key: z.string().min(1).max(16384).optional(),
});
export type AppraisalPolicy = z.input<typeof AppraisalPolicySchema>;
type Policy = z.output<typeof AppraisalPolicySchema>;

/** A Nitro document from the future is refused beyond this skew between its clock and the verifier's. */
export const NITRO_CLOCK_SKEW_MS = 60_000;

const APPLIES: Record<string, readonly AttestationKind[]> = {
  mr_signers: ['sgx'],
  pcrs: ['nitro'],
  rtmrs: ['tdx'],
  host_data: ['sev-snp'],
  vmpl: ['sev-snp'],
  min_svn: ['sev-snp', 'sgx'],
  min_tcb: ['sev-snp'],
  tcb_statuses: ['sgx', 'tdx'],
  max_age_seconds: ['nitro'],
};

/** Checks a policy's shape and that every field applies to `kind`; E_ATTEST_INPUT otherwise. */
export function parseAppraisalPolicy(value: unknown, kind: AttestationKind): Policy {
  const r = AppraisalPolicySchema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join('.') || '(root)';
    throw new AttestError(
      'E_ATTEST_INPUT',
      'policy.parse',
      `policy.${path}`,
      `policy.${path}: ${issue?.message ?? 'invalid'}`,
    );
  }
  for (const [field, kinds] of Object.entries(APPLIES))
    if ((r.data as Record<string, unknown>)[field] !== undefined && !kinds.includes(kind))
      throw new AttestError(
        'E_ATTEST_INPUT',
        'policy.parse',
        `policy.${field}`,
        `policy.${field} does not apply to ${kind} evidence`,
      );
  if (r.data.public_key !== undefined) publicKeyDer(policyKeyText(r.data.public_key));
  if (r.data.nonce !== undefined && kind !== 'nitro') paddedNonce(Buffer.from(r.data.nonce, 'hex'));
  return r.data;
}

function policyKeyText(key: string): string | Buffer {
  return key.includes('-----BEGIN') ? key : Buffer.from(key, 'base64');
}

export type Verified =
  | { kind: 'sev-snp'; result: VerifiedSevSnp }
  | { kind: 'sgx' | 'tdx'; result: VerifiedDcap }
  | { kind: 'nitro'; result: VerifiedNitro };

export interface PolicyOutcome {
  checks: string[];
  failures: AttestError[];
}

/** Applies `policy` to verified claims at `at`; returns the rules that passed and every one that failed. */
export function applyPolicy(policy: Policy, verified: Verified, at: Date): PolicyOutcome {
  const checks: string[] = [];
  const failures: AttestError[] = [];
  const rule = (check: string, where: string, ok: boolean, detail: () => string) => {
    if (ok) checks.push(check);
    else failures.push(new AttestError('E_ATTEST_POLICY', check, where, detail()));
  };
  const oneOf = (check: string, where: string, actual: string, allowed: readonly string[] | undefined) => {
    if (allowed)
      rule(
        check,
        where,
        allowed.includes(actual),
        () => `${where} ${actual} is not among the ${allowed.length} accepted value(s)`,
      );
  };
  let reportData: Buffer | undefined;

  if (verified.kind === 'sev-snp') {
    const { report, tcb } = verified.result;
    rule(
      'policy.debug',
      'policy at 0x008 (bit 19)',
      policy.allow_debug === true || !report.policy.debug,
      () => 'the guest policy allows debugging (DEBUG bit 19 set)',
    );
    oneOf('policy.measurement', 'measurement', report.measurement, policy.measurements);
    oneOf('policy.host_data', 'host_data', report.host_data, policy.host_data);
    if (policy.vmpl !== undefined)
      rule(
        'policy.vmpl',
        'vmpl',
        report.vmpl === policy.vmpl,
        () => `vmpl ${report.vmpl} is not ${policy.vmpl}`,
      );
    if (policy.min_svn !== undefined)
      rule(
        'policy.min_svn',
        'guest_svn',
        report.guest_svn >= policy.min_svn,
        () => `guest_svn ${report.guest_svn} is below ${policy.min_svn}`,
      );
    if (policy.min_tcb)
      for (const [part, min] of Object.entries(policy.min_tcb)) {
        const actual = tcb[part as keyof typeof tcb];
        rule(
          'policy.min_tcb',
          `reported_tcb.${part}`,
          actual !== undefined && actual >= (min as number),
          () => `reported_tcb ${part} SPL ${actual ?? 'absent'} is below ${min}`,
        );
      }
    reportData = Buffer.from(report.report_data, 'hex');
  } else if (verified.kind === 'sgx' || verified.kind === 'tdx') {
    const { report, tcb } = verified.result;
    const statuses = policy.tcb_statuses ?? ['UpToDate'];
    rule(
      'policy.tcb_status',
      'tcb.status',
      statuses.includes(tcb.status),
      () =>
        `TCB status ${tcb.status} (${tcb.advisory_ids.join(', ') || 'no advisories'}) is not among ${statuses.join(', ')}`,
    );
    rule(
      'policy.debug',
      report.type === 'sgx' ? 'attributes (DEBUG)' : 'td_attributes (TUD.DEBUG)',
      policy.allow_debug === true || !report.debug,
      () => 'the enclave or TD runs in debug mode',
    );
    if (report.type === 'sgx') {
      oneOf('policy.measurement', 'mr_enclave', report.mr_enclave, policy.measurements);
      oneOf('policy.mr_signer', 'mr_signer', report.mr_signer, policy.mr_signers);
      if (policy.min_svn !== undefined)
        rule(
          'policy.min_svn',
          'isv_svn',
          report.isv_svn >= policy.min_svn,
          () => `isv_svn ${report.isv_svn} is below ${policy.min_svn}`,
        );
    } else {
      oneOf('policy.measurement', 'mr_td', report.mr_td, policy.measurements);
      for (const [i, allowed] of Object.entries(policy.rtmrs ?? {}))
        oneOf('policy.rtmr', `rtmr${i}`, report.rtmr[Number(i)] as string, allowed);
    }
    reportData = Buffer.from(report.report_data, 'hex');
  } else if (verified.kind === 'nitro') {
    const doc = verified.result.document;
    rule(
      'policy.debug',
      'pcrs 0-2',
      policy.allow_debug === true || !doc.debug,
      () => 'PCR0, PCR1 and PCR2 are all zero: a debug-mode enclave',
    );
    oneOf('policy.measurement', 'pcrs[0]', doc.pcrs['0'] ?? '', policy.measurements);
    for (const [i, allowed] of Object.entries(policy.pcrs ?? {}))
      oneOf('policy.pcr', `pcrs[${i}]`, doc.pcrs[i] ?? '(absent)', allowed);
    if (policy.max_age_seconds !== undefined) {
      const age = at.getTime() - doc.timestamp;
      rule(
        'policy.max_age',
        'payload.timestamp',
        age <= policy.max_age_seconds * 1000 && age >= -NITRO_CLOCK_SKEW_MS,
        () =>
          age < 0
            ? `the document is dated ${-age} ms after the verification time`
            : `the document is ${Math.round(age / 1000)} s old; at most ${policy.max_age_seconds} s is accepted`,
      );
    }
    if (policy.nonce !== undefined) {
      const nonce = policy.nonce;
      rule(
        'policy.nonce',
        'payload.nonce',
        doc.nonce === nonce,
        () => `the document's nonce ${doc.nonce ?? 'null'} is not the expected ${nonce}`,
      );
    }
    if (policy.public_key !== undefined) {
      const der = publicKeyDer(policyKeyText(policy.public_key));
      const digest = publicKeyDigest(der).toString('hex');
      const bound = doc.public_key === der.toString('hex') || doc.user_data?.slice(0, 64) === digest;
      rule(
        'policy.key_binding',
        'payload.public_key / payload.user_data',
        bound,
        () => 'neither public_key is the expected key nor user_data[0:32] its SHA-256',
      );
    }
    return { checks, failures };
  }

  if (!reportData) return { checks, failures };
  if (policy.public_key !== undefined) {
    const digest = publicKeyDigest(publicKeyDer(policyKeyText(policy.public_key)));
    rule(
      'policy.key_binding',
      'report_data[0:32]',
      equalBytes(reportData.subarray(0, 32), digest),
      () => `report_data[0:32] is not SHA-256 of the expected public key (${digest.toString('hex')})`,
    );
  }
  if (policy.nonce !== undefined) {
    const nonce = paddedNonce(Buffer.from(policy.nonce, 'hex'));
    rule(
      'policy.nonce',
      'report_data[32:64]',
      equalBytes(reportData.subarray(32, 64), nonce),
      () => `report_data[32:64] is not the expected nonce ${nonce.toString('hex')}`,
    );
  }
  return { checks, failures };
}
