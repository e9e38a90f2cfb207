// The attestation module's public surface: one entry point (`appraise`), the chain cache to share
// across appraisals, the key-binding helpers, and the types a caller records or branches on.

export {
  type Appraisal,
  appraise,
  type AppraiseOptions,
  ATTESTATION_KINDS,
  type AttestationKind,
  MAX_EVIDENCE_BYTES,
} from './appraise.js';
export { ChainCache, type ChainCacheOptions, type ChainCacheStats } from './chain_cache.js';
export type { PinnedRoots } from './chain.js';
export { AttestError, type AttestErrorCode, type AttestFailure } from './errors.js';
export { keyBindingReportData, publicKeyDer, REPORT_DATA_SIZE } from './key_binding.js';
export { type AppraisalPolicy, AppraisalPolicySchema, parseAppraisalPolicy } from './policy.js';
export { AMD_ARK_SHA256, AWS_NITRO_ROOT_SHA256, INTEL_SGX_ROOT_SHA256 } from './roots.js';
export { readCertificateFile } from './pem.js';
export { appraiseOutputEvidence, type OutputEvidenceAppraisal } from './output_evidence.js';
export {
  appraiseOwnReport,
  type OwnReportAppraisal,
  type OwnReportAppraisalOptions,
  readOwnReport,
  type OwnReportFacts,
} from './own_report.js';
export { buildSevCertTable, parseSevCertTable } from './sev_snp/cert_table.js';
