// What a PCK certificate says about the platform, from Intel's SGX extension (OID
// 1.2.840.113741.1.13.1; Intel "SGX PCK Certificate and CRL Profile"): FMSPC, PCE-ID, the 16 CPU SVN
// components and the PCE SVN that TCB info levels are matched against.

import { type Certificate, extensionValue } from '../certificate.js';
import { type DerElement, derElements, derOid, derSmallInteger } from '../der.js';
import { toHex } from '../byte_reader.js';
import { AttestError } from '../errors.js';

const SGX = '1.2.840.113741.1.13.1';

export interface PckFacts {
  fmspc: string;
  pce_id: string;
  pce_svn: number;
  /** TCB components 1 to 16 (.2.1 to .2.16). */
  cpu_svn_components: number[];
  /** 0 standard, 1 scalable, 2 scalable with integrity. */
  sgx_type: number;
}

export function readPckExtensions(cert: Certificate, check: string): PckFacts {
  const where = `${cert.label} SGX extension`;
  const fail = (detail: string) => new AttestError('E_ATTEST_MALFORMED', check, where, `${where}: ${detail}`);
  const value = extensionValue(cert, SGX);
  if (!value) throw fail('missing');
  const outer = derElements(value, where, check);
  if (outer.length !== 1 || outer[0]?.tag !== 0x30) throw fail('not one SEQUENCE');
  const fields = pairs((outer[0] as { value: Uint8Array }).value, where, check);
  const octets = (oid: string, size: number): string => {
    const v = fields.get(oid);
    if (!v || v.tag !== 0x04 || v.value.length !== size)
      throw fail(`${oid} is not an OCTET STRING of ${size} bytes`);
    return toHex(v.value);
  };
  const tcb = fields.get(`${SGX}.2`);
  if (!tcb || tcb.tag !== 0x30) throw fail('no TCB sequence');
  const tcbFields = pairs(tcb.value, `${where} TCB`, check);
  const integer = (oid: string, from: Map<string, DerElement>) => {
    const v = from.get(oid);
    if (!v) throw fail(`${oid} missing`);
    return derSmallInteger(v.raw, `${where} ${oid}`, check);
  };
  const components = Array.from({ length: 16 }, (_, i) => integer(`${SGX}.2.${i + 1}`, tcbFields));
  if (components.some((c) => c > 255)) throw fail('a CPU SVN component is above 255');
  const sgxType = fields.get(`${SGX}.5`);
  if (!sgxType || sgxType.tag !== 0x0a || sgxType.value.length !== 1)
    throw fail('SGX type is not a one-byte ENUMERATED');
  return {
    fmspc: octets(`${SGX}.4`, 6).toUpperCase(),
    pce_id: octets(`${SGX}.3`, 2).toUpperCase(),
    pce_svn: integer(`${SGX}.2.17`, tcbFields),
    cpu_svn_components: components,
    sgx_type: sgxType.value[0] as number,
  };
}

/** SEQUENCE OF SEQUENCE { OID, value } as a map from OID; a repeated OID is an error. */
function pairs(bytes: Uint8Array, where: string, check: string): Map<string, DerElement> {
  const out = new Map<string, DerElement>();
  for (const item of derElements(bytes, where, check)) {
    const parts = item.tag === 0x30 ? derElements(item.value, where, check) : [];
    const [oid, value] = parts;
    if (parts.length !== 2 || oid?.tag !== 0x06 || !value)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        check,
        where,
        `${where}: an entry is not SEQUENCE { OID, value }`,
      );
    const key = derOid(oid.value);
    if (out.has(key))
      throw new AttestError('E_ATTEST_MALFORMED', check, where, `${where}: ${key} appears twice`);
    out.set(key, value);
  }
  return out;
}
