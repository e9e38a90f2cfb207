// TCB_VERSION: eight bytes of security patch levels (SPLs) whose layout depends on the product.
// Milan and Genoa: boot loader, TEE, four reserved, SNP, microcode (go-sev-guest kds.DecomposeTCBVersion).
// Turin (family 1Ah): FMC, boot loader, TEE, SNP, three reserved, microcode, as AMD's ABI spec lays
// it out; no Turin report is among the vectors, so that layout is untested here (a wrong layout makes
// the VCEK comparison fail, never pass).

import { AttestError } from '../errors.js';
import type { SevProduct } from '../roots.js';

export interface SevTcb {
  fmc?: number;
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
}

export const TCB_COMPONENTS = ['fmc', 'bootloader', 'tee', 'snp', 'microcode'] as const;

/** Splits a raw TCB_VERSION; its reserved bytes must be zero. */
export function decomposeTcb(raw: Uint8Array, product: SevProduct, field: string, check: string): SevTcb {
  const reserved = product === 'Turin' ? [4, 5, 6] : [2, 3, 4, 5];
  for (const i of reserved)
    if (raw[i] !== 0)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        check,
        `${field} byte ${i}`,
        `${field}: byte ${i} is reserved for ${product} and must be zero`,
      );
  const b = (i: number) => raw[i] as number;
  return product === 'Turin'
    ? { fmc: b(0), bootloader: b(1), tee: b(2), snp: b(3), microcode: b(7) }
    : { bootloader: b(0), tee: b(1), snp: b(6), microcode: b(7) };
}
