// The cryptographic step of `carapace verify-output` (issue 11): evidence a gateway attached to its
// signed outputs (a configfs-tsm report) appraised by this module. The provider names which verifier
// reads the report; the vendor chain or collateral must come with it, or the appraisal fails saying so:
// a report alone proves nothing.

import { type Appraisal, appraise, type AttestationKind } from './appraise.js';

/** What the signed output carries (src/vault/signed_output.ts OutputEvidence), plus optional chain data. */
export interface OutputEvidenceInput {
  kind: string;
  /** base64 of the report. */
  report: string;
  nonce: string;
  report_data: string;
  /** SEV-SNP: VCEK (and ASK, ARK) as base64 DER. */
  certs?: string[];
  /** SGX/TDX: the DCAP collateral. */
  collateral?: unknown;
}

export interface OutputEvidenceAppraisal {
  ok: boolean;
  measurement: string | null;
  report_data: string | null;
  failures: string[];
  appraisal: Appraisal | null;
}

/** configfs-tsm providers and the evidence kind their outblob is. */
const PROVIDERS: Record<string, AttestationKind> = {
  'configfs-tsm:sev_guest': 'sev-snp',
  'configfs-tsm:tdx_guest': 'tdx',
};

export async function appraiseOutputEvidence(
  evidence: OutputEvidenceInput,
  at: Date,
): Promise<OutputEvidenceAppraisal> {
  const kind = PROVIDERS[evidence?.kind];
  if (!kind)
    return fail(
      `evidence kind ${JSON.stringify(evidence?.kind)} is not one this verifier reads (${Object.keys(PROVIDERS).join(', ')})`,
    );
  if (typeof evidence.report !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(evidence.report))
    return fail('the report is not base64');
  const appraisal = appraise(Buffer.from(evidence.report, 'base64'), {
    kind,
    at,
    ...(evidence.certs ? { certs: evidence.certs.map((c) => Buffer.from(c, 'base64')) } : {}),
    ...(evidence.collateral !== undefined ? { collateral: evidence.collateral } : {}),
  });
  const failures = [appraisal.failure, ...appraisal.policy_failures]
    .filter((f) => f !== null)
    .map((f) => `${f.check} at ${f.where}: ${f.detail}`);
  return {
    ok: appraisal.verified,
    measurement: appraisal.verified
      ? (findClaim(appraisal.claims, ['measurement', 'mr_td', 'mr_enclave']) ?? null)
      : null,
    report_data: appraisal.verified ? (findClaim(appraisal.claims, ['report_data']) ?? null) : null,
    failures,
    appraisal,
  };
}

function findClaim(claims: unknown, names: string[], depth = 0): string | undefined {
  if (depth > 4 || typeof claims !== 'object' || claims === null) return undefined;
  for (const name of names) {
    const v = (claims as Record<string, unknown>)[name];
    if (typeof v === 'string') return v.toLowerCase();
  }
  for (const v of Object.values(claims)) {
    const found = findClaim(v, names, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function fail(why: string): OutputEvidenceAppraisal {
  return { ok: false, measurement: null, report_data: null, failures: [why], appraisal: null };
}
