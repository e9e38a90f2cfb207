// The AMD SEV-SNP ATTESTATION_REPORT (1184 bytes, little-endian), parsed field by field with every
// reserved range checked, following the offsets of shared/reference/crypto-attestation.md §3.1 (AMD
// SEV-SNP ABI spec 56860, as google/go-sev-guest abi/abi.go reads it).

import { ByteReader, requireZero, toHex } from '../byte_reader.js';
import { AttestError, byteRange } from '../errors.js';

export const SEV_SNP_REPORT_SIZE = 0x4a0;
/** The report signature covers bytes [0, 0x2a0). */
export const SEV_SNP_SIGNED_END = 0x2a0;
const SIGNATURE_COMPONENT_SIZE = 72;
const P384_SCALAR_SIZE = 48;
const CHECK = 'report.parse';

export const POLICY_BITS = {
  smt: 16,
  reserved_must_be_one: 17,
  migrate_ma: 18,
  debug: 19,
  single_socket: 20,
  cxl_allow: 21,
  mem_aes_256_xts: 22,
  rapl_dis: 23,
  ciphertext_hiding: 24,
  page_swap_disable: 25,
} as const;
/** Policy bits above PAGE_SWAP_DISABLE are reserved in every ABI version this verifier knows. */
const POLICY_HIGHEST_KNOWN_BIT = 25;

export interface SevSnpPolicy {
  raw: string;
  abi_major: number;
  abi_minor: number;
  smt: boolean;
  migrate_ma: boolean;
  debug: boolean;
  single_socket: boolean;
}

export interface SevSnpReport {
  version: number;
  guest_svn: number;
  policy: SevSnpPolicy;
  family_id: string;
  image_id: string;
  vmpl: number;
  signature_algo: number;
  /** TCB_VERSION values as raw little-endian u64, hex (16 digits). */
  current_tcb: string;
  platform_info: string;
  signing_key: 'vcek' | 'vlek' | 'none';
  mask_chip_id: boolean;
  author_key_en: boolean;
  report_data: string;
  measurement: string;
  host_data: string;
  id_key_digest: string;
  author_key_digest: string;
  report_id: string;
  report_id_ma: string;
  reported_tcb: string;
  chip_id: string;
  committed_tcb: string;
  launch_tcb: string;
  /** Version 3 and later: CPUID family, model and stepping of the chip. */
  cpuid?: { family: number; model: number; stepping: number };
}

export interface ParsedSevSnpReport {
  report: SevSnpReport;
  /** The bytes the signature covers. */
  signed: Uint8Array;
  /** The signature as big-endian r || s (96 bytes), for node:crypto's ieee-p1363 form. */
  signature: Buffer;
  /** The raw 8-byte reported_tcb, for the VCEK comparison. */
  reportedTcb: Uint8Array;
  chipId: Uint8Array;
}

/** Parses a 1184-byte report. Requires exactly SEV_SNP_REPORT_SIZE bytes; checks every reserved range. */
export function parseSevSnpReport(bytes: Uint8Array): ParsedSevSnpReport {
  if (bytes.length !== SEV_SNP_REPORT_SIZE)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'report length',
      `an SEV-SNP report is ${SEV_SNP_REPORT_SIZE} bytes; got ${bytes.length}`,
    );
  const r = new ByteReader(bytes, CHECK);
  const version = r.u32('version');
  if (version !== 2 && version !== 3 && version !== 5)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      'version at 0x000',
      `report version ${version} is not 2, 3 or 5`,
    );
  const guestSvn = r.u32('guest_svn');
  const policyRaw = r.u64('policy');
  if ((policyRaw & (1n << BigInt(POLICY_BITS.reserved_must_be_one))) === 0n)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'policy at 0x008',
      'policy bit 17 is reserved and must be 1',
    );
  if (policyRaw >> BigInt(POLICY_HIGHEST_KNOWN_BIT + 1) !== 0n)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'policy at 0x008',
      `policy 0x${policyRaw.toString(16)} sets reserved bits above bit ${POLICY_HIGHEST_KNOWN_BIT}`,
    );
  const bit = (n: number) => (policyRaw & (1n << BigInt(n))) !== 0n;
  const familyId = r.take(16, 'family_id');
  const imageId = r.take(16, 'image_id');
  const vmpl = r.u32('vmpl');
  const signatureAlgo = r.u32('signature_algo');
  if (signatureAlgo !== 1)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      CHECK,
      'signature_algo at 0x034',
      `signature algorithm ${signatureAlgo} is not 1 (ECDSA P-384 with SHA-384)`,
    );
  const currentTcb = r.take(8, 'current_tcb');
  const platformInfo = r.take(8, 'platform_info');
  const signerInfo = r.u32('signer_info');
  if (signerInfo >>> 5 !== 0)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'signer_info at 0x048',
      'signer_info bits 5-31 are reserved and must be zero',
    );
  const signingKeyCode = (signerInfo >>> 2) & 7;
  if (signingKeyCode !== 0 && signingKeyCode !== 1 && signingKeyCode !== 7)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      CHECK,
      'signer_info at 0x048',
      `signing_key ${signingKeyCode} is reserved`,
    );
  requireZero(r.take(4, 'reserved'), 0x4c, 'reserved', CHECK);
  const reportData = r.take(64, 'report_data');
  const measurement = r.take(48, 'measurement');
  const hostData = r.take(32, 'host_data');
  const idKeyDigest = r.take(48, 'id_key_digest');
  const authorKeyDigest = r.take(48, 'author_key_digest');
  const reportId = r.take(32, 'report_id');
  const reportIdMa = r.take(32, 'report_id_ma');
  const reportedTcb = r.take(8, 'reported_tcb');
  let cpuid: SevSnpReport['cpuid'];
  if (version >= 3) {
    cpuid = { family: r.u8('cpuid_fam_id'), model: r.u8('cpuid_mod_id'), stepping: r.u8('cpuid_step') };
    requireZero(r.take(0x1a0 - 0x18b, 'reserved'), 0x18b, 'reserved', CHECK);
  } else requireZero(r.take(0x1a0 - 0x188, 'reserved'), 0x188, 'reserved', CHECK);
  const chipId = r.take(64, 'chip_id');
  const committedTcb = r.take(8, 'committed_tcb');
  // current and committed build, minor, major, each followed by one reserved byte.
  const versions = r.take(8, 'current/committed version');
  requireZero(versions.subarray(3, 4), 0x1eb, 'reserved', CHECK);
  requireZero(versions.subarray(7, 8), 0x1ef, 'reserved', CHECK);
  const launchTcb = r.take(8, 'launch_tcb');
  if (version >= 5) {
    r.take(16, 'launch_mit_vector/current_mit_vector');
    requireZero(r.take(SEV_SNP_SIGNED_END - 0x208, 'reserved'), 0x208, 'reserved', CHECK);
  } else requireZero(r.take(SEV_SNP_SIGNED_END - 0x1f8, 'reserved'), 0x1f8, 'reserved', CHECK);

  const sigR = r.take(SIGNATURE_COMPONENT_SIZE, 'signature.r');
  const sigS = r.take(SIGNATURE_COMPONENT_SIZE, 'signature.s');
  // A P-384 scalar fills 48 bytes; the rest of each 72-byte little-endian field is zero padding.
  requireZero(sigR.subarray(P384_SCALAR_SIZE), 0x2a0 + P384_SCALAR_SIZE, 'signature.r padding', CHECK);
  requireZero(sigS.subarray(P384_SCALAR_SIZE), 0x2e8 + P384_SCALAR_SIZE, 'signature.s padding', CHECK);
  requireZero(
    r.take(r.remaining, 'signature reserved'),
    0x2a0 + 2 * SIGNATURE_COMPONENT_SIZE,
    'signature reserved',
    CHECK,
  );
  r.end('report');

  const signature = Buffer.concat([
    Buffer.from(sigR.subarray(0, P384_SCALAR_SIZE)).reverse(),
    Buffer.from(sigS.subarray(0, P384_SCALAR_SIZE)).reverse(),
  ]);
  const tcbHex = (b: Uint8Array) => Buffer.from(b).readBigUInt64LE(0).toString(16).padStart(16, '0');
  return {
    report: {
      version,
      guest_svn: guestSvn,
      policy: {
        raw: `0x${policyRaw.toString(16)}`,
        abi_major: Number((policyRaw >> 8n) & 0xffn),
        abi_minor: Number(policyRaw & 0xffn),
        smt: bit(POLICY_BITS.smt),
        migrate_ma: bit(POLICY_BITS.migrate_ma),
        debug: bit(POLICY_BITS.debug),
        single_socket: bit(POLICY_BITS.single_socket),
      },
      family_id: toHex(familyId),
      image_id: toHex(imageId),
      vmpl,
      signature_algo: signatureAlgo,
      current_tcb: tcbHex(currentTcb),
      platform_info: tcbHex(platformInfo),
      signing_key: signingKeyCode === 0 ? 'vcek' : signingKeyCode === 1 ? 'vlek' : 'none',
      mask_chip_id: (signerInfo & 2) !== 0,
      author_key_en: (signerInfo & 1) !== 0,
      report_data: toHex(reportData),
      measurement: toHex(measurement),
      host_data: toHex(hostData),
      id_key_digest: toHex(idKeyDigest),
      author_key_digest: toHex(authorKeyDigest),
      report_id: toHex(reportId),
      report_id_ma: toHex(reportIdMa),
      reported_tcb: tcbHex(reportedTcb),
      chip_id: toHex(chipId),
      committed_tcb: tcbHex(committedTcb),
      launch_tcb: tcbHex(launchTcb),
      ...(cpuid ? { cpuid } : {}),
    },
    signed: bytes.subarray(0, SEV_SNP_SIGNED_END),
    signature,
    reportedTcb,
    chipId,
  };
}

/** The signed range, for messages. */
export const SEV_SNP_SIGNED_RANGE = byteRange(0, SEV_SNP_SIGNED_END);
