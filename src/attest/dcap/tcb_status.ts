// The TCB status of a DCAP platform: the first TCB info level the PCK's SVNs (and, for TDX, the TD
// report's TEE TCB SVNs) meet, the QE identity level the quoting enclave meets, and the TDX module
// identity, converged the way Intel's QVL does (an out-of-date QE or module makes the whole status
// out of date; a revoked one, revoked). Advisory ids are the union of the levels that matched.

import { AttestError } from '../errors.js';
import type { QeIdentity, TcbInfo, TcbStatus } from './collateral.js';
import type { PckFacts } from './pck_extensions.js';
import type { EnclaveReport, TdReport } from './quote.js';

export interface TcbLevelMatch {
  status: TcbStatus;
  advisory_ids: string[];
  tcb_date: string;
}

export interface TcbVerdict {
  status: TcbStatus;
  advisory_ids: string[];
  platform: TcbLevelMatch;
  qe: TcbLevelMatch;
  tdx_module?: TcbLevelMatch;
}

const sameHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function maskedEqual(actualHex: string, expectedHex: string, maskHex: string): boolean {
  const a = Buffer.from(actualHex, 'hex');
  const e = Buffer.from(expectedHex, 'hex');
  const m = Buffer.from(maskHex, 'hex');
  return (
    a.length === m.length &&
    e.length === m.length &&
    m.every((mask, i) => ((a[i] as number) & mask) === ((e[i] as number) & mask))
  );
}

function collateral(check: string, where: string, detail: string): AttestError {
  return new AttestError('E_ATTEST_COLLATERAL', check, where, detail);
}

/** The QE report must be Intel's QE as its identity describes it; its ISV SVN picks the QE's level. */
export function matchQeIdentity(qe: EnclaveReport, identity: QeIdentity, tee: 'sgx' | 'tdx'): TcbLevelMatch {
  const check = 'qe.identity';
  const expectedId = tee === 'sgx' ? 'QE' : 'TD_QE';
  if (identity.id !== expectedId)
    throw collateral(
      check,
      'qe_identity.id',
      `a ${tee.toUpperCase()} quote needs the ${expectedId} identity, not ${identity.id}`,
    );
  if (!sameHex(qe.mr_signer, identity.mrsigner))
    throw new AttestError(
      'E_ATTEST_BINDING',
      check,
      'QE report mr_signer',
      `the QE's MRSIGNER ${qe.mr_signer} is not ${identity.mrsigner.toLowerCase()}`,
    );
  if (qe.isv_prod_id !== identity.isvprodid)
    throw new AttestError(
      'E_ATTEST_BINDING',
      check,
      'QE report isv_prod_id',
      `the QE's ISVPRODID ${qe.isv_prod_id} is not ${identity.isvprodid}`,
    );
  const misc = Buffer.alloc(4);
  misc.writeUInt32LE(qe.misc_select);
  if (!maskedEqual(misc.toString('hex'), identity.miscselect, identity.miscselectMask))
    throw new AttestError(
      'E_ATTEST_BINDING',
      check,
      'QE report misc_select',
      "the QE's MISCSELECT differs from the identity under its mask",
    );
  if (!maskedEqual(qe.attributes, identity.attributes, identity.attributesMask))
    throw new AttestError(
      'E_ATTEST_BINDING',
      check,
      'QE report attributes',
      "the QE's ATTRIBUTES differ from the identity under its mask",
    );
  const level = identity.tcbLevels.find((l) => qe.isv_svn >= l.tcb.isvsvn);
  if (!level)
    throw collateral(
      'qe.tcb',
      'QE report isv_svn',
      `the QE's ISVSVN ${qe.isv_svn} is below every level of the QE identity`,
    );
  return { status: level.tcbStatus, advisory_ids: level.advisoryIDs ?? [], tcb_date: level.tcbDate };
}

/** The first TCB info level the platform meets, component by component. */
export function matchPlatformTcb(
  pck: PckFacts,
  info: TcbInfo,
  td: { report: TdReport; teeTcbSvn: Uint8Array } | undefined,
): TcbLevelMatch {
  const check = 'tcb.level';
  if (info.id !== (td ? 'TDX' : 'SGX'))
    throw collateral(
      check,
      'tcb_info.id',
      `a ${td ? 'TDX' : 'SGX'} quote needs ${td ? 'TDX' : 'SGX'} TCB info, not ${info.id}`,
    );
  if (!sameHex(info.fmspc, pck.fmspc))
    throw new AttestError(
      'E_ATTEST_BINDING',
      'tcb.fmspc',
      'tcb_info.fmspc',
      `TCB info is for FMSPC ${info.fmspc}, the PCK certificate says ${pck.fmspc}`,
    );
  if (!sameHex(info.pceId, pck.pce_id))
    throw new AttestError(
      'E_ATTEST_BINDING',
      'tcb.fmspc',
      'tcb_info.pceId',
      `TCB info is for PCE-ID ${info.pceId}, the PCK certificate says ${pck.pce_id}`,
    );
  // With a TDX module version (TEE TCB SVN byte 1) above 0, bytes 0-1 are judged by the module identity.
  const tdxFrom = td && (td.teeTcbSvn[1] as number) > 0 ? 2 : 0;
  const level = info.tcbLevels.find((l) => {
    if (pck.pce_svn < l.tcb.pcesvn) return false;
    if (l.tcb.sgxtcbcomponents.some((c, i) => (pck.cpu_svn_components[i] as number) < c.svn)) return false;
    if (!td) return true;
    const tdx = l.tcb.tdxtcbcomponents;
    if (!tdx) throw collateral(check, 'tcb_info.tcbLevels', 'a TDX TCB level has no tdxtcbcomponents');
    return tdx.every((c, i) => i < tdxFrom || (td.teeTcbSvn[i] as number) >= c.svn);
  });
  if (!level)
    throw collateral(
      check,
      'tcb_info.tcbLevels',
      "the platform's TCB is below every level of the TCB info (TCB not supported)",
    );
  return { status: level.tcbStatus, advisory_ids: level.advisoryIDs ?? [], tcb_date: level.tcbDate };
}

/** The TDX module (SEAM) must be the one the TCB info names; versions above 0 have their own levels. */
export function matchTdxModule(
  td: TdReport,
  teeTcbSvn: Uint8Array,
  info: TcbInfo,
): TcbLevelMatch | undefined {
  const check = 'tcb.tdx_module';
  const version = teeTcbSvn[1] as number;
  if (version === 0) {
    const module = info.tdxModule;
    if (!module) throw collateral(check, 'tcb_info.tdxModule', 'TDX TCB info without tdxModule');
    requireModuleIdentity(td, module, 'tdxModule');
    return undefined;
  }
  const id = `TDX_${version.toString(16).padStart(2, '0').toUpperCase()}`;
  const identity = info.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === id);
  if (!identity)
    throw collateral(
      check,
      'tcb_info.tdxModuleIdentities',
      `TCB info has no identity ${id} for TDX module version ${version}`,
    );
  requireModuleIdentity(td, identity, id);
  const svn = teeTcbSvn[0] as number;
  const level = identity.tcbLevels.find((l) => svn >= l.tcb.isvsvn);
  if (!level)
    throw collateral(
      check,
      'TD report tee_tcb_svn[0]',
      `TDX module SVN ${svn} is below every level of ${id}`,
    );
  return { status: level.tcbStatus, advisory_ids: level.advisoryIDs ?? [], tcb_date: level.tcbDate };
}

/** The TD's SEAM module must have the signer and (masked) attributes the TCB info names. */
function requireModuleIdentity(
  td: TdReport,
  module: { mrsigner: string; attributes: string; attributesMask: string },
  name: string,
): void {
  if (
    !sameHex(td.mr_signer_seam, module.mrsigner) ||
    !maskedEqual(td.seam_attributes, module.attributes, module.attributesMask)
  )
    throw new AttestError(
      'E_ATTEST_BINDING',
      'tcb.tdx_module',
      'TD report mr_signer_seam / seam_attributes',
      `the TDX module is not ${name} as the TCB info names it`,
    );
}

/** Intel QVL's convergence of the platform status with the QE's (and the TDX module's). */
export function convergeTcb(platform: TcbLevelMatch, qe: TcbLevelMatch, module?: TcbLevelMatch): TcbVerdict {
  let status = platform.status;
  for (const other of module ? [qe, module] : [qe]) {
    if (other.status === 'Revoked') status = 'Revoked';
    else if (other.status === 'OutOfDate' || other.status === 'OutOfDateConfigurationNeeded') {
      if (status === 'UpToDate' || status === 'SWHardeningNeeded') status = 'OutOfDate';
      else if (status === 'ConfigurationNeeded' || status === 'ConfigurationAndSWHardeningNeeded')
        status = 'OutOfDateConfigurationNeeded';
    }
  }
  const advisories = [
    ...new Set([...platform.advisory_ids, ...qe.advisory_ids, ...(module?.advisory_ids ?? [])]),
  ];
  return { status, advisory_ids: advisories, platform, qe, ...(module ? { tdx_module: module } : {}) };
}
