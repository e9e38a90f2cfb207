// Intel DCAP ECDSA quotes, versions 3 (SGX), 4 (SGX or TDX 1.0) and 5 (body descriptor; SGX, TDX 1.0
// or TDX 1.5), parsed with every length checked and the signature data required to fill the quote
// exactly (trailing zero padding, as TDX quoting writes, is allowed and checked to be zero).
// Layout: shared/reference/crypto-attestation.md §3.2, matching Phala-Network/dcap-qvl src/quote.rs.

import { ByteReader, requireZero, toHex } from '../byte_reader.js';
import { AttestError, byteRange } from '../errors.js';

export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
const CHECK = 'quote.parse';
const HEADER_SIZE = 48;
const ENCLAVE_REPORT_SIZE = 384;
const TD10_REPORT_SIZE = 584;
const TD15_REPORT_SIZE = 648;
const TEE_SGX = 0x00;
const TEE_TDX = 0x81;
const ATT_KEY_ECDSA_P256 = 2;
const CERT_PCK_CHAIN = 5;
const CERT_QE_REPORT = 6;
const V5_BODY_TYPES: Record<number, 'sgx' | 'td10' | 'td15'> = { 1: 'sgx', 2: 'td10', 3: 'td15' };

export interface EnclaveReport {
  cpu_svn: string;
  misc_select: number;
  attributes: string;
  /** ATTRIBUTES.DEBUG (flags bit 1). */
  debug: boolean;
  mr_enclave: string;
  mr_signer: string;
  isv_prod_id: number;
  isv_svn: number;
  report_data: string;
}

export interface TdReport {
  tee_tcb_svn: string;
  mr_seam: string;
  mr_signer_seam: string;
  seam_attributes: string;
  td_attributes: string;
  /** TD_ATTRIBUTES.TUD.DEBUG (byte 0 bit 0): the TD runs under debug. */
  debug: boolean;
  xfam: string;
  mr_td: string;
  mr_config_id: string;
  mr_owner: string;
  mr_owner_config: string;
  rtmr: [string, string, string, string];
  report_data: string;
  /** TDX 1.5 bodies only. */
  tee_tcb_svn2?: string;
  mr_servicetd?: string;
}

export interface QuoteHeader {
  version: 3 | 4 | 5;
  att_key_type: number;
  tee: 'sgx' | 'tdx';
  qe_svn: number;
  pce_svn: number;
  qe_vendor_id: string;
  user_data: string;
}

export interface ParsedQuote {
  header: QuoteHeader;
  body: { type: 'sgx'; report: EnclaveReport } | { type: 'tdx'; report: TdReport; version: '1.0' | '1.5' };
  /** The raw report body bytes (the TD report's tee_tcb_svn and attributes are read from them). */
  bodyBytes: Uint8Array;
  /** Header and body: what the attestation key signs. */
  signed: Uint8Array;
  signedRange: string;
  quoteSignature: Uint8Array;
  /** x || y, 64 bytes. */
  attestationKey: Uint8Array;
  qeReportBytes: Uint8Array;
  qeReport: EnclaveReport;
  qeReportRange: string;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  pckChain: Uint8Array;
  /** Offset of the PCK chain in the quote, for messages. */
  pckChainOffset: number;
}

export function parseEnclaveReport(r: ByteReader): EnclaveReport {
  const start = r.offset;
  const cpuSvn = r.take(16, 'cpu_svn');
  const miscSelect = r.u32('misc_select');
  requireZero(r.take(28, 'reserved1'), start + 20, 'enclave report reserved1', r.check);
  const attributes = r.take(16, 'attributes');
  const mrEnclave = r.take(32, 'mr_enclave');
  requireZero(r.take(32, 'reserved2'), start + 96, 'enclave report reserved2', r.check);
  const mrSigner = r.take(32, 'mr_signer');
  requireZero(r.take(96, 'reserved3'), start + 160, 'enclave report reserved3', r.check);
  const isvProdId = r.u16('isv_prod_id');
  const isvSvn = r.u16('isv_svn');
  requireZero(r.take(60, 'reserved4'), start + 260, 'enclave report reserved4', r.check);
  const reportData = r.take(64, 'report_data');
  return {
    cpu_svn: toHex(cpuSvn),
    misc_select: miscSelect,
    attributes: toHex(attributes),
    debug: ((attributes[0] as number) & 0x02) !== 0,
    mr_enclave: toHex(mrEnclave),
    mr_signer: toHex(mrSigner),
    isv_prod_id: isvProdId,
    isv_svn: isvSvn,
    report_data: toHex(reportData),
  };
}

function parseTdReport(r: ByteReader, v15: boolean): TdReport {
  const teeTcbSvn = r.take(16, 'tee_tcb_svn');
  const mrSeam = r.take(48, 'mr_seam');
  const mrSignerSeam = r.take(48, 'mr_signer_seam');
  const seamAttributes = r.take(8, 'seam_attributes');
  const tdAttributes = r.take(8, 'td_attributes');
  const xfam = r.take(8, 'xfam');
  const mrTd = r.take(48, 'mr_td');
  const mrConfigId = r.take(48, 'mr_config_id');
  const mrOwner = r.take(48, 'mr_owner');
  const mrOwnerConfig = r.take(48, 'mr_owner_config');
  const rtmr = [0, 1, 2, 3].map((i) => toHex(r.take(48, `rtmr${i}`))) as TdReport['rtmr'];
  const reportData = r.take(64, 'report_data');
  const report: TdReport = {
    tee_tcb_svn: toHex(teeTcbSvn),
    mr_seam: toHex(mrSeam),
    mr_signer_seam: toHex(mrSignerSeam),
    seam_attributes: toHex(seamAttributes),
    td_attributes: toHex(tdAttributes),
    debug: ((tdAttributes[0] as number) & 0x01) !== 0,
    xfam: toHex(xfam),
    mr_td: toHex(mrTd),
    mr_config_id: toHex(mrConfigId),
    mr_owner: toHex(mrOwner),
    mr_owner_config: toHex(mrOwnerConfig),
    rtmr,
    report_data: toHex(reportData),
  };
  if (v15) {
    report.tee_tcb_svn2 = toHex(r.take(16, 'tee_tcb_svn2'));
    report.mr_servicetd = toHex(r.take(48, 'mr_servicetd'));
  }
  return report;
}

export function parseQuote(bytes: Uint8Array): ParsedQuote {
  const r = new ByteReader(bytes, CHECK);
  const version = r.u16('version');
  if (version !== 3 && version !== 4 && version !== 5)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      'version at 0x000',
      `quote version ${version} is not 3, 4 or 5`,
    );
  const attKeyType = r.u16('att_key_type');
  if (attKeyType !== ATT_KEY_ECDSA_P256)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      'att_key_type at 0x002',
      `attestation key type ${attKeyType} is not 2 (ECDSA P-256)`,
    );
  const teeType = r.u32('tee_type');
  const qeSvn = r.u16('qe_svn');
  const pceSvn = r.u16('pce_svn');
  const qeVendorId = toHex(r.take(16, 'qe_vendor_id'));
  if (qeVendorId !== INTEL_QE_VENDOR_ID)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      'qe_vendor_id at 0x00c',
      `QE vendor ${qeVendorId} is not Intel's quoting enclave`,
    );
  const userData = toHex(r.take(20, 'user_data'));

  let bodyStart = HEADER_SIZE;
  let bodySize: number;
  let bodyKind: 'sgx' | 'td10' | 'td15';
  if (version === 5) {
    const bodyType = r.u16('body_type');
    bodySize = r.u32('body_size');
    bodyStart += 6;
    const kind = V5_BODY_TYPES[bodyType];
    if (kind === undefined)
      throw new AttestError(
        'E_ATTEST_UNSUPPORTED',
        CHECK,
        'body_type at 0x030',
        `body type ${bodyType} is not 1 (SGX), 2 (TDX 1.0) or 3 (TDX 1.5)`,
      );
    bodyKind = kind;
    const expected =
      bodyKind === 'sgx' ? ENCLAVE_REPORT_SIZE : bodyKind === 'td10' ? TD10_REPORT_SIZE : TD15_REPORT_SIZE;
    if (bodySize !== expected)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        CHECK,
        'body_size at 0x032',
        `body size ${bodySize} is not ${expected} for body type ${bodyType}`,
      );
  } else if (version === 3 || teeType === TEE_SGX) {
    bodyKind = 'sgx';
    bodySize = ENCLAVE_REPORT_SIZE;
  } else {
    bodyKind = 'td10';
    bodySize = TD10_REPORT_SIZE;
  }
  const tee = bodyKind === 'sgx' ? 'sgx' : 'tdx';
  if (version === 3 ? teeType !== TEE_SGX : teeType !== (tee === 'sgx' ? TEE_SGX : TEE_TDX))
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'tee_type at 0x004',
      `tee_type 0x${teeType.toString(16)} does not match a ${tee.toUpperCase()} v${version} quote`,
    );
  const bodyReader = r.sub(bodySize, 'report body', 'quote.parse');
  const bodyBytes = bodyReader.bytes;
  const body: ParsedQuote['body'] =
    bodyKind === 'sgx'
      ? { type: 'sgx', report: parseEnclaveReport(bodyReader) }
      : {
          type: 'tdx',
          report: parseTdReport(bodyReader, bodyKind === 'td15'),
          version: bodyKind === 'td15' ? '1.5' : '1.0',
        };
  bodyReader.end('report body');
  const signedEnd = bodyStart + bodySize;

  const sigDataLength = r.u32('signature_data_len');
  const sig = r.sub(sigDataLength, 'signature data');
  // Whatever follows the signature data must be zero padding.
  requireZero(r.take(r.remaining, 'padding'), r.offset, 'padding after the signature data', CHECK);
  const quoteSignature = sig.take(64, 'quote signature');
  const attestationKey = sig.take(64, 'attestation key');
  let qe: ByteReader;
  if (version === 3) qe = sig;
  else {
    const certType = sig.u16('certification data type');
    if (certType !== CERT_QE_REPORT)
      throw new AttestError(
        'E_ATTEST_UNSUPPORTED',
        CHECK,
        `certification data type at ${byteRange(sig.offset - 2, sig.offset)}`,
        `certification data type ${certType} is not 6 (QE report)`,
      );
    qe = sig.sub(sig.u32('certification data size'), 'QE report certification data');
    sig.end('signature data');
  }
  const qeReportStart = qe.offset;
  const qeReportBytes = qe.take(ENCLAVE_REPORT_SIZE, 'QE report');
  const qeReport = parseEnclaveReport(new ByteReader(qeReportBytes, CHECK, qeReportStart));
  const qeReportSignature = qe.take(64, 'QE report signature');
  const qeAuthData = qe.take(qe.u16('QE auth data size'), 'QE auth data');
  const pckType = qe.u16('PCK certification data type');
  if (pckType !== CERT_PCK_CHAIN)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      `PCK certification data type at ${byteRange(qe.offset - 2, qe.offset)}`,
      `certification data type ${pckType} is not 5 (PCK chain, PEM)`,
    );
  const pckSize = qe.u32('PCK certification data size');
  const pckChainOffset = qe.offset;
  const pckChain = qe.take(pckSize, 'PCK certificate chain');
  qe.end(version === 3 ? 'signature data' : 'QE report certification data');
  return {
    header: {
      version,
      att_key_type: attKeyType,
      tee,
      qe_svn: qeSvn,
      pce_svn: pceSvn,
      qe_vendor_id: qeVendorId,
      user_data: userData,
    },
    body,
    bodyBytes,
    signed: bytes.subarray(0, signedEnd),
    signedRange: byteRange(0, signedEnd),
    quoteSignature,
    attestationKey,
    qeReportBytes,
    qeReport,
    qeReportRange: byteRange(qeReportStart, qeReportStart + ENCLAVE_REPORT_SIZE),
    qeReportSignature,
    qeAuthData,
    pckChain,
    pckChainOffset,
  };
}
