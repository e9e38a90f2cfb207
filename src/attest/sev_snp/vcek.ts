// What a VCEK certificate says about the chip it was issued to: the product, the TCB (as security
// patch levels) and the hardware id, from AMD's KDS extensions (go-sev-guest kds/kds.go).

import { type Certificate, extensionValue } from '../certificate.js';
import { derIa5String, derSmallInteger } from '../der.js';
import { AttestError } from '../errors.js';
import type { SevProduct } from '../roots.js';
import type { SevTcb } from './tcb_version.js';

const AMD = '1.3.6.1.4.1.3704.1';
const OID = {
  productName: `${AMD}.2`,
  blSPL: `${AMD}.3.1`,
  teeSPL: `${AMD}.3.2`,
  snpSPL: `${AMD}.3.3`,
  ucodeSPL: `${AMD}.3.8`,
  fmcSPL: `${AMD}.3.9`,
  hwID: `${AMD}.4`,
  cspID: `${AMD}.5`,
};

export interface VcekFacts {
  product: SevProduct;
  /** As the certificate spells it, with the stepping: `Milan-B0`. */
  productName: string;
  tcb: SevTcb;
  /** The chip id the VCEK was derived for (64 bytes; 8 on Turin). */
  hwid: Buffer;
}

export function readVcekExtensions(cert: Certificate, check: string): VcekFacts {
  const value = (oid: string, what: string): Buffer => {
    const v = extensionValue(cert, oid);
    if (!v)
      throw new AttestError(
        'E_ATTEST_MALFORMED',
        check,
        `${cert.label} ${what}`,
        `${cert.label} has no ${what} extension (${oid})`,
      );
    return v;
  };
  if (extensionValue(cert, OID.cspID))
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      check,
      cert.label,
      `${cert.label} is a VLEK (it names a CSP); only VCEK-signed reports are supported`,
    );
  const productName = derIa5String(value(OID.productName, 'productName'), `${cert.label} productName`, check);
  const family = productName.split('-')[0];
  if (family !== 'Milan' && family !== 'Genoa' && family !== 'Turin')
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      check,
      `${cert.label} productName`,
      `product "${productName}" is not Milan, Genoa or Turin`,
    );
  const spl = (oid: string, what: string) =>
    derSmallInteger(value(oid, what), `${cert.label} ${what}`, check);
  const tcb: SevTcb = {
    ...(family === 'Turin' ? { fmc: spl(OID.fmcSPL, 'fmcSPL') } : {}),
    bootloader: spl(OID.blSPL, 'blSPL'),
    tee: spl(OID.teeSPL, 'teeSPL'),
    snp: spl(OID.snpSPL, 'snpSPL'),
    microcode: spl(OID.ucodeSPL, 'ucodeSPL'),
  };
  const hwid = value(OID.hwID, 'hwID');
  const hwidSize = family === 'Turin' ? 8 : 64;
  if (hwid.length !== hwidSize)
    throw new AttestError(
      'E_ATTEST_MALFORMED',
      check,
      `${cert.label} hwID`,
      `${cert.label}: hwID is ${hwid.length} bytes, not ${hwidSize}`,
    );
  return { product: family, productName, tcb, hwid };
}
