// Verifies an AMD SEV-SNP report: the VCEK chains through the ASK to the pinned ARK of its product,
// the VCEK was issued for this chip at this TCB, and the VCEK signed the report
// (shared/reference/crypto-attestation.md §3.1, steps 1-5; policy is step 6, in ../policy.ts).

import { type Certificate, parseCertificate } from '../certificate.js';
import {
  assembleChain,
  chainCacheKey,
  type ChainSummary,
  checkChainTimes,
  type PinnedRoots,
  summarizeChain,
  verifyChainSignatures,
} from '../chain.js';
import { type ChainCache, remember } from '../chain_cache.js';
import { signatureVerifies } from '../signature.js';
import { AttestError } from '../errors.js';
import { readCertificateFile } from '../pem.js';
import { AMD_ARK_SHA256, AMD_CERT_CHAIN_PEM, type SevProduct } from '../roots.js';
import { parseSevSnpReport, SEV_SNP_SIGNED_RANGE, type SevSnpReport } from './report.js';
import { decomposeTcb, TCB_COMPONENTS, type SevTcb } from './tcb_version.js';
import { readVcekExtensions, type VcekFacts } from './vcek.js';

export interface SevSnpVerifyOptions {
  /** The VCEK, and optionally the ASK and ARK (DER each); Milan's and Genoa's ASK and ARK are built in. */
  certs: readonly Uint8Array[];
  at: Date;
  /** Pinned ARKs; default the AMD production ARKs. A root's name must end in `ARK-<product>`. */
  roots?: PinnedRoots;
  cache?: ChainCache;
}

export interface VerifiedSevSnp {
  report: SevSnpReport;
  product: SevProduct;
  product_name: string;
  /** reported_tcb as security patch levels, which the VCEK certifies. */
  tcb: SevTcb;
  chain: ChainSummary;
  checks: string[];
}

interface VerifiedVcek {
  chain: ReturnType<typeof verifyChainSignatures>;
  vcek: VcekFacts;
}

const CHAIN_CHECK = 'vcek.chain';

export function verifySevSnp(evidence: Uint8Array, options: SevSnpVerifyOptions): VerifiedSevSnp {
  const parsed = parseSevSnpReport(evidence);
  const { report } = parsed;
  const checks = ['report.parse'];
  if (report.signing_key !== 'vcek')
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      'report.parse',
      'signer_info at 0x048',
      `the report is signed by ${report.signing_key === 'vlek' ? 'a VLEK' : 'no key'}; only VCEK-signed reports are supported`,
    );
  if (options.certs.length === 0)
    throw new AttestError(
      'E_ATTEST_INPUT',
      CHAIN_CHECK,
      'certs',
      'the VCEK certificate is required (--certs)',
    );
  const roots = options.roots ?? AMD_ARK_SHA256;
  const { chain, vcek } = remember(
    options.cache,
    () => chainCacheKey('sev-snp/vcek', roots, options.certs),
    () => verifyVcekChain(options.certs, roots),
  );
  checks.push(CHAIN_CHECK);
  checkChainTimes(chain, options.at, 'vcek.time');
  checks.push('vcek.time');

  const tcb = decomposeTcb(parsed.reportedTcb, vcek.product, 'reported_tcb at 0x180', 'vcek.tcb');
  for (const part of TCB_COMPONENTS)
    if (tcb[part] !== vcek.tcb[part])
      throw new AttestError(
        'E_ATTEST_BINDING',
        'vcek.tcb',
        `reported_tcb at 0x180 (${part})`,
        `the report's reported_tcb has ${part} SPL ${tcb[part]}, the VCEK was issued for ${vcek.tcb[part]}`,
      );
  checks.push('vcek.tcb');
  if (!report.mask_chip_id) {
    const chip = parsed.chipId;
    const matches =
      Buffer.from(chip.subarray(0, vcek.hwid.length)).equals(vcek.hwid) &&
      chip.subarray(vcek.hwid.length).every((b) => b === 0);
    if (!matches)
      throw new AttestError(
        'E_ATTEST_BINDING',
        'vcek.chip_id',
        'chip_id at 0x1a0',
        `the report's chip_id ${report.chip_id.slice(0, 16)}… is not the VCEK's hwID ${vcek.hwid.toString('hex').slice(0, 16)}…`,
      );
    checks.push('vcek.chip_id');
  }
  const ok = signatureVerifies('sha384', parsed.signed, chain.leafKey, parsed.signature, 'ieee-p1363');
  if (!ok)
    throw new AttestError(
      'E_ATTEST_SIGNATURE',
      'report.signature',
      `${SEV_SNP_SIGNED_RANGE} and signature at 0x2a0`,
      `the ECDSA P-384 signature over report ${SEV_SNP_SIGNED_RANGE} does not verify with the VCEK`,
    );
  checks.push('report.signature');
  return {
    report,
    product: vcek.product,
    product_name: vcek.productName,
    tcb,
    chain: summarizeChain(chain),
    checks,
  };
}

function verifyVcekChain(ders: readonly Uint8Array[], roots: PinnedRoots): VerifiedVcek {
  const given = ders.map((der, i) => parseCertificate(der, `certs[${i}]`, CHAIN_CHECK));
  const leaves = given.filter((c) => !c.isCa);
  if (leaves.length !== 1)
    throw new AttestError(
      'E_ATTEST_INPUT',
      CHAIN_CHECK,
      'certs',
      `exactly one end-entity certificate (the VCEK) is expected among the certificates; found ${leaves.length}`,
    );
  const leaf = leaves[0] as Certificate;
  leaf.label = `VCEK (${leaf.label})`;
  const vcek = readVcekExtensions(leaf, CHAIN_CHECK);
  const chain = assembleChain(leaf, [...given, ...builtInChain(vcek.product)], CHAIN_CHECK);
  const verified = verifyChainSignatures(chain, roots, CHAIN_CHECK);
  if (!verified.rootName.endsWith(`ARK-${vcek.product}`))
    throw new AttestError(
      'E_ATTEST_ROOT',
      CHAIN_CHECK,
      (chain[chain.length - 1] as Certificate).label,
      `the VCEK is for ${vcek.productName} but the chain ends in ${verified.rootName}`,
    );
  return { chain: verified, vcek };
}

const builtIn = new Map<SevProduct, Certificate[]>();

/** The ASK and ARK AMD publishes for a product, parsed once. */
function builtInChain(product: SevProduct): Certificate[] {
  const pem = AMD_CERT_CHAIN_PEM[product];
  if (!pem) return [];
  let certs = builtIn.get(product);
  if (!certs) {
    certs = readCertificateFile(Buffer.from(pem, 'latin1'), product).map((der, i) =>
      parseCertificate(
        der,
        i === 0 ? `built-in ASK (SEV-${product})` : `built-in ARK-${product}`,
        CHAIN_CHECK,
      ),
    );
    builtIn.set(product, certs);
  }
  return certs;
}
