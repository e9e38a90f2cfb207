// Verifies an Intel SGX or TDX DCAP quote with its collateral at a verification time, in the order
// of shared/reference/crypto-attestation.md §3.2 (dcap-qvl src/verify.rs, Intel QVL): TCB info and QE
// identity signed by Intel's TCB signing key, the PCK chain to the pinned Intel SGX Root CA with both
// CRLs, the QE report signed by the PCK key and binding the attestation key, the quote signed by the
// attestation key, and the TCB status with its advisory ids.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { type Certificate, parseCertificate } from '../certificate.js';
import {
  chainCacheKey,
  type ChainSummary,
  checkChainTimes,
  type PinnedRoots,
  summarizeChain,
  type VerifiedChain,
  verifyChainSignatures,
} from '../chain.js';
import { type ChainCache, remember } from '../chain_cache.js';
import { checkCrlTime, checkNotRevoked, type VerifiedCrl, verifyCrl } from '../crl.js';
import { signatureVerifies } from '../signature.js';
import { AttestError } from '../errors.js';
import { parseCanonicalPemChain } from '../pem.js';
import { INTEL_SGX_ROOT_SHA256 } from '../roots.js';
import { parseCollateral, parseQeIdentity, parseTcbInfo } from './collateral.js';
import { type PckFacts, readPckExtensions } from './pck_extensions.js';
import { type EnclaveReport, parseQuote, type QuoteHeader, type TdReport } from './quote.js';
import {
  convergeTcb,
  matchPlatformTcb,
  matchQeIdentity,
  matchTdxModule,
  type TcbVerdict,
} from './tcb_status.js';

export interface DcapVerifyOptions {
  /** The collateral object (dcap-qvl QuoteCollateralV3 JSON). */
  collateral: unknown;
  at: Date;
  /** Which TEE the caller expects; a quote of the other is refused. */
  tee?: 'sgx' | 'tdx';
  /** Pinned roots; default the Intel SGX Root CA. */
  roots?: PinnedRoots;
  cache?: ChainCache;
}

export interface VerifiedDcap {
  header: QuoteHeader;
  /** The SGX enclave report or the TD report the quote attests. */
  report: ({ type: 'sgx' } & EnclaveReport) | ({ type: 'tdx'; tdx_version: '1.0' | '1.5' } & TdReport);
  tcb: TcbVerdict;
  pck: PckFacts;
  collateral: {
    tcb_info_issue_date: string;
    tcb_info_next_update: string;
    qe_identity_issue_date: string;
    tcb_evaluation_data_number: number;
  };
  chain: ChainSummary;
  checks: string[];
}

interface VerifiedPck {
  chain: VerifiedChain;
  pck: PckFacts;
}

export function verifyDcap(evidence: Uint8Array, options: DcapVerifyOptions): VerifiedDcap {
  const quote = parseQuote(evidence);
  const checks = ['quote.parse'];
  if (options.tee && quote.header.tee !== options.tee)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      'quote.parse',
      'tee_type at 0x004',
      `the quote is a ${quote.header.tee.toUpperCase()} quote, not ${options.tee.toUpperCase()}`,
    );
  const collateral = parseCollateral(options.collateral);
  const { at, cache } = options;
  const roots = options.roots ?? INTEL_SGX_ROOT_SHA256;

  // TCB signing chain, and with its root the Root CA CRL.
  const tcbChain = collateralChain(
    collateral.tcb_info_issuer_chain,
    'tcb_info_issuer_chain',
    'collateral.tcb_info',
    roots,
    at,
    cache,
  );
  const root = tcbChain.certificates[tcbChain.certificates.length - 1] as Certificate;
  const rootCrl = crlFrom(collateral.root_ca_crl, root, 'root_ca_crl', at, cache);
  checkIssuedByRootNotRevoked(tcbChain, rootCrl, 'collateral.tcb_info');
  checks.push('collateral.root_ca_crl');
  const tcbInfo = signedDocument(
    collateral.tcb_info,
    collateral.tcb_info_signature,
    tcbChain,
    'tcb_info',
    parseTcbInfo,
    cache,
  );
  documentWindow(tcbInfo.issueDate, tcbInfo.nextUpdate, at, 'tcb_info', 'collateral.tcb_info.time');
  checks.push('collateral.tcb_info');
  const qeChain = collateralChain(
    collateral.qe_identity_issuer_chain,
    'qe_identity_issuer_chain',
    'collateral.qe_identity',
    roots,
    at,
    cache,
  );
  checkIssuedByRootNotRevoked(qeChain, rootCrl, 'collateral.qe_identity');
  const qeIdentity = signedDocument(
    collateral.qe_identity,
    collateral.qe_identity_signature,
    qeChain,
    'qe_identity',
    parseQeIdentity,
    cache,
  );
  documentWindow(
    qeIdentity.issueDate,
    qeIdentity.nextUpdate,
    at,
    'qe_identity',
    'collateral.qe_identity.time',
  );
  checks.push('collateral.qe_identity');

  // PCK chain from the quote, its CA against the Root CA CRL, its leaf against the PCK CRL.
  const pckBlocks = parseCanonicalPemChain(
    quote.pckChain,
    quote.pckChainOffset,
    'pck.chain',
    'PCK certificate chain',
  );
  const pckDers = pckBlocks.map((b) => b.der);
  const { chain: pckChain, pck } = remember(
    cache,
    () => chainCacheKey('dcap/pck', roots, pckDers),
    (): VerifiedPck => {
      const certs = pckBlocks.map((b, i) =>
        parseCertificate(b.der, `PCK chain[${i}] at 0x${b.offset.toString(16)}`, 'pck.chain'),
      );
      const chain = verifyChainSignatures(certs, roots, 'pck.chain');
      return { chain, pck: readPckExtensions(certs[0] as Certificate, 'pck.chain') };
    },
  );
  checkChainTimes(pckChain, at, 'pck.time');
  checks.push('pck.chain');
  checkIssuedByRootNotRevoked(pckChain, rootCrl, 'pck.crl');
  if (pckChain.certificates.length !== 3)
    throw new AttestError(
      'E_ATTEST_CHAIN',
      'pck.chain',
      'PCK certificate chain',
      `a PCK chain is PCK, PCK CA, root; got ${pckChain.certificates.length} certificates`,
    );
  const pckCa = pckChain.certificates[1] as Certificate;
  const crlChain = collateralChain(
    collateral.pck_crl_issuer_chain,
    'pck_crl_issuer_chain',
    'pck.crl',
    roots,
    at,
    cache,
    true,
  );
  if ((crlChain.certificates[0] as Certificate).sha256 !== pckCa.sha256)
    throw new AttestError(
      'E_ATTEST_COLLATERAL',
      'pck.crl',
      'pck_crl_issuer_chain',
      `the PCK CRL issuer chain is not for ${pckCa.label} (${pckCa.subject})`,
    );
  const pckCrl = crlFrom(collateral.pck_crl, pckCa, 'pck_crl', at, cache);
  checkNotRevoked(pckChain.certificates[0] as Certificate, pckCrl, 'pck.crl');
  checks.push('pck.crl');

  // QE report: signed by the PCK key, binding the attestation key, Intel's QE per its identity.
  if (
    !signatureVerifies('sha256', quote.qeReportBytes, pckChain.leafKey, quote.qeReportSignature, 'ieee-p1363')
  )
    throw new AttestError(
      'E_ATTEST_SIGNATURE',
      'qe.report.signature',
      `QE report ${quote.qeReportRange}`,
      `the QE report ${quote.qeReportRange} is not signed by the PCK key`,
    );
  checks.push('qe.report.signature');
  const binding = createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest('hex');
  if (quote.qeReport.report_data !== binding + '0'.repeat(64))
    throw new AttestError(
      'E_ATTEST_BINDING',
      'qe.report_data',
      'QE report report_data',
      `QE report_data must be SHA-256(attestation key || QE auth data) = ${binding} followed by 32 zero bytes; it is ${quote.qeReport.report_data}`,
    );
  checks.push('qe.report_data');
  const qeLevel = matchQeIdentity(quote.qeReport, qeIdentity, quote.header.tee);
  checks.push('qe.identity');

  // The quote itself, signed by the attestation key.
  const attestationKey = p256RawKey(quote.attestationKey);
  if (!signatureVerifies('sha256', quote.signed, attestationKey, quote.quoteSignature, 'ieee-p1363'))
    throw new AttestError(
      'E_ATTEST_SIGNATURE',
      'quote.signature',
      `header and body ${quote.signedRange}`,
      `the quote signature over ${quote.signedRange} does not verify with the attestation key`,
    );
  checks.push('quote.signature');

  const td =
    quote.body.type === 'tdx'
      ? { report: quote.body.report, teeTcbSvn: quote.bodyBytes.subarray(0, 16) }
      : undefined;
  const platform = matchPlatformTcb(pck, tcbInfo, td);
  const module = td ? matchTdxModule(td.report, td.teeTcbSvn, tcbInfo) : undefined;
  const tcb = convergeTcb(platform, qeLevel, module);
  if (tcb.status === 'Revoked')
    throw new AttestError(
      'E_ATTEST_REVOKED',
      'tcb.status',
      'tcb_info.tcbLevels',
      `the platform's TCB level is Revoked (${tcb.advisory_ids.join(', ') || 'no advisories'})`,
    );
  checks.push('tcb.level');

  return {
    header: quote.header,
    report:
      quote.body.type === 'sgx'
        ? { type: 'sgx', ...quote.body.report }
        : { type: 'tdx', tdx_version: quote.body.version, ...quote.body.report },
    tcb,
    pck,
    collateral: {
      tcb_info_issue_date: tcbInfo.issueDate,
      tcb_info_next_update: tcbInfo.nextUpdate,
      qe_identity_issue_date: qeIdentity.issueDate,
      tcb_evaluation_data_number: tcbInfo.tcbEvaluationDataNumber,
    },
    chain: summarizeChain(pckChain),
    checks,
  };
}

/** An issuer chain from the collateral (canonical PEM), verified to the pinned root and valid at `at`. */
function collateralChain(
  pem: string,
  field: string,
  check: string,
  roots: PinnedRoots,
  at: Date,
  cache: ChainCache | undefined,
  leafIsCa = false,
): VerifiedChain {
  const blocks = parseCanonicalPemChain(Buffer.from(pem, 'latin1'), 0, `${check}.chain`, field);
  const ders = blocks.map((b) => b.der);
  const chain = remember(
    cache,
    () => chainCacheKey(`dcap/${field}`, roots, ders),
    () =>
      verifyChainSignatures(
        ders.map((der, i) => parseCertificate(der, `${field}[${i}]`, `${check}.chain`)),
        roots,
        `${check}.chain`,
        leafIsCa,
      ),
  );
  checkChainTimes(chain, at, `${check}.time`);
  return chain;
}

function crlFrom(
  hex: string,
  issuer: Certificate,
  label: string,
  at: Date,
  cache: ChainCache | undefined,
): VerifiedCrl {
  const der = Buffer.from(hex, 'hex');
  const crl = remember(
    cache,
    () => chainCacheKey(`crl/${label}`, new Map([[issuer.sha256, issuer.label]]), [der]),
    () => verifyCrl(der, issuer, label, `collateral.${label}`),
  );
  checkCrlTime(crl, at, `collateral.${label}.time`);
  return crl;
}

/** The certificates a root signed directly (intermediates, TCB signing) must not be on its CRL. */
function checkIssuedByRootNotRevoked(chain: VerifiedChain, rootCrl: VerifiedCrl, check: string): void {
  const certs = chain.certificates;
  checkNotRevoked(certs[certs.length - 2] as Certificate, rootCrl, check);
}

/**
 * Checks Intel's raw P-256 signature over the exact JSON text with the chain's leaf key, then parses
 * the text; both are remembered for the same text, signature and signing certificate.
 */
function signedDocument<T>(
  text: string,
  signatureHex: string,
  chain: VerifiedChain,
  field: string,
  parse: (text: string) => T,
  cache: ChainCache | undefined,
): T {
  const bytes = Buffer.from(text, 'utf8');
  const signature = Buffer.from(signatureHex, 'hex');
  const signer = chain.certificates[0] as Certificate;
  return remember(
    cache,
    () => chainCacheKey(`signed/${field}`, new Map([[signer.sha256, signer.label]]), [bytes, signature]),
    () => {
      if (!signatureVerifies('sha256', bytes, chain.leafKey, signature, 'ieee-p1363'))
        throw new AttestError(
          'E_ATTEST_SIGNATURE',
          `collateral.${field}.signature`,
          `${field} (${bytes.length} bytes)`,
          `the signature over the exact ${field} JSON text does not verify with ${signer.label}`,
        );
      return parse(text);
    },
  );
}

function documentWindow(issueDate: string, nextUpdate: string, at: Date, field: string, check: string): void {
  if (at < new Date(issueDate) || at > new Date(nextUpdate))
    throw new AttestError(
      'E_ATTEST_TIME',
      check,
      `${field} issueDate/nextUpdate`,
      `${field} is valid from ${issueDate} to ${nextUpdate}, not at ${at.toISOString()}`,
    );
}

function p256RawKey(xy: Uint8Array): KeyObject {
  const b = Buffer.from(xy);
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: b.subarray(0, 32).toString('base64url'),
        y: b.subarray(32, 64).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch {
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      'quote.parse',
      'attestation key',
      'the attestation key is not a point on P-256',
    );
  }
}
