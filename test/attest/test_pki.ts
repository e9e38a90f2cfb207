// A TEST PKI, generated fresh on every run (no key is committed): a fake AMD chain (ARK, ASK, VCEK)
// and a fake Nitro chain, and evidence signed with them, so that key binding, nonces and policy can
// be tested with report_data and documents of our choosing. Roots here are pinned by the tests only.

import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Encoder } from 'cbor-x';

const subtle = webcrypto.subtle;
// Plain CBOR maps, as the NSM writes them (cbor-x would otherwise tag maps with non-string keys as 259).
const cbor = new Encoder({ useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);
const encode = (value: unknown): Buffer => cbor.encode(value);
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const YEAR = 365 * 24 * 3600_000;
export const TEST_NOW = new Date('2026-06-01T00:00:00Z');

function sha256Hex(der: ArrayBuffer): string {
  return createHash('sha256').update(Buffer.from(der)).digest('hex');
}

function derInteger(n: number): Buffer {
  return n < 0x80 ? Buffer.from([0x02, 0x01, n]) : Buffer.from([0x02, 0x02, 0x00, n]);
}

const CA_EXTENSIONS = () => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

// ---------------------------------------------------------------------------------------------- AMD

const RSA_PSS = {
  name: 'RSA-PSS',
  hash: 'SHA-384',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const PSS_SIGNING = { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 };
const P384 = { name: 'ECDSA', namedCurve: 'P-384' };

export interface TestSevPki {
  /** VCEK, ASK, ARK (DER). */
  certs: Buffer[];
  /** The test ARK, pinned under a name ending in ARK-Milan as the verifier requires. */
  roots: Map<string, string>;
  vcekKey: KeyObject;
  hwid: Buffer;
  tcb: { bootloader: number; tee: number; snp: number; microcode: number };
}

export async function makeSevPki(): Promise<TestSevPki> {
  const arkKeys = (await subtle.generateKey(RSA_PSS, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const askKeys = (await subtle.generateKey(RSA_PSS, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const vcekKeys = (await subtle.generateKey(P384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(TEST_NOW.getTime() - YEAR);
  const notAfter = new Date(TEST_NOW.getTime() + YEAR);
  const ark = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=ARK-Milan, O=TEST PKI not AMD',
    notBefore,
    notAfter,
    keys: arkKeys,
    signingAlgorithm: PSS_SIGNING,
    extensions: CA_EXTENSIONS(),
  });
  const ask = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=SEV-Milan, O=TEST PKI not AMD',
    issuer: ark.subject,
    notBefore,
    notAfter,
    publicKey: askKeys.publicKey,
    signingKey: arkKeys.privateKey,
    signingAlgorithm: PSS_SIGNING,
    extensions: CA_EXTENSIONS(),
  });
  const hwid = Buffer.from(webcrypto.getRandomValues(new Uint8Array(64)));
  const tcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };
  const amd = (suffix: string, value: Buffer) =>
    new x509.Extension(`1.3.6.1.4.1.3704.1.${suffix}`, false, value);
  const vcek = await x509.X509CertificateGenerator.create({
    serialNumber: '03',
    subject: 'CN=SEV-VCEK, O=TEST PKI not AMD',
    issuer: ask.subject,
    notBefore,
    notAfter,
    publicKey: vcekKeys.publicKey,
    signingKey: askKeys.privateKey,
    signingAlgorithm: PSS_SIGNING,
    extensions: [
      amd('1', derInteger(0)),
      amd('2', Buffer.concat([Buffer.from([0x16, 8]), Buffer.from('Milan-B0')])),
      amd('3.1', derInteger(tcb.bootloader)),
      amd('3.2', derInteger(tcb.tee)),
      amd('3.3', derInteger(tcb.snp)),
      amd('3.8', derInteger(tcb.microcode)),
      amd('4', hwid),
    ],
  });
  return {
    certs: [vcek, ask, ark].map((c) => Buffer.from(c.rawData)),
    roots: new Map([[sha256Hex(ark.rawData), 'TEST ARK-Milan']]),
    vcekKey: KeyObject.from(vcekKeys.privateKey),
    hwid,
    tcb,
  };
}

export interface SevReportFields {
  reportData?: Uint8Array;
  measurement?: Uint8Array;
  policy?: bigint;
  guestSvn?: number;
  vmpl?: number;
}

/** A version 2 SEV-SNP report for the test chip, signed by `signer` (default the test VCEK). */
export function makeSevReport(
  pki: TestSevPki,
  fields: SevReportFields = {},
  signer: KeyObject = pki.vcekKey,
): Buffer {
  const r = Buffer.alloc(0x4a0);
  r.writeUInt32LE(2, 0x00);
  r.writeUInt32LE(fields.guestSvn ?? 1, 0x04);
  r.writeBigUInt64LE(fields.policy ?? 0x30000n, 0x08);
  r.writeUInt32LE(fields.vmpl ?? 0, 0x30);
  r.writeUInt32LE(1, 0x34);
  const tcb = Buffer.from([pki.tcb.bootloader, pki.tcb.tee, 0, 0, 0, 0, pki.tcb.snp, pki.tcb.microcode]);
  tcb.copy(r, 0x38);
  if (fields.reportData) Buffer.from(fields.reportData).copy(r, 0x50);
  Buffer.from(fields.measurement ?? Buffer.alloc(48, 0xab)).copy(r, 0x90);
  tcb.copy(r, 0x180);
  pki.hwid.copy(r, 0x1a0);
  tcb.copy(r, 0x1e0);
  tcb.copy(r, 0x1f0);
  const sig = sign('sha384', r.subarray(0, 0x2a0), { key: signer, dsaEncoding: 'ieee-p1363' });
  Buffer.from(sig.subarray(0, 48)).reverse().copy(r, 0x2a0);
  Buffer.from(sig.subarray(48, 96))
    .reverse()
    .copy(r, 0x2a0 + 72);
  return r;
}

// -------------------------------------------------------------------------------------------- Nitro

export interface TestNitroPki {
  /** Leaf, and cabundle [root, intermediate] as Nitro documents carry it. */
  leaf: Buffer;
  cabundle: Buffer[];
  roots: Map<string, string>;
  leafKey: KeyObject;
}

export async function makeNitroPki(): Promise<TestNitroPki> {
  const rootKeys = (await subtle.generateKey(P384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const midKeys = (await subtle.generateKey(P384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leafKeys = (await subtle.generateKey(P384, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ES384 = { name: 'ECDSA', hash: 'SHA-384' };
  const notBefore = new Date(TEST_NOW.getTime() - 3600_000);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '11',
    name: 'CN=TEST nitro root',
    notBefore: new Date(TEST_NOW.getTime() - YEAR),
    notAfter: new Date(TEST_NOW.getTime() + YEAR),
    keys: rootKeys,
    signingAlgorithm: ES384,
    extensions: CA_EXTENSIONS(),
  });
  const mid = await x509.X509CertificateGenerator.create({
    serialNumber: '12',
    subject: 'CN=TEST nitro intermediate',
    issuer: root.subject,
    notBefore,
    notAfter: new Date(TEST_NOW.getTime() + 24 * 3600_000),
    publicKey: midKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: ES384,
    extensions: CA_EXTENSIONS(),
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '13',
    subject: 'CN=TEST enclave',
    issuer: mid.subject,
    notBefore,
    // Nitro leaves live about three hours.
    notAfter: new Date(TEST_NOW.getTime() + 2 * 3600_000),
    publicKey: leafKeys.publicKey,
    signingKey: midKeys.privateKey,
    signingAlgorithm: ES384,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return {
    leaf: Buffer.from(leaf.rawData),
    cabundle: [root, mid].map((c) => Buffer.from(c.rawData)),
    roots: new Map([[sha256Hex(root.rawData), 'TEST nitro root']]),
    leafKey: KeyObject.from(leafKeys.privateKey),
  };
}

export interface NitroFields {
  pcrs?: Map<number, Buffer>;
  publicKey?: Buffer | null;
  userData?: Buffer | null;
  nonce?: Buffer | null;
  timestamp?: number;
}

/**
 * A Nitro attestation document signed by the test leaf. Its payload is an indefinite-length CBOR map
 * (0xbf ... 0xff), as some NSM versions write it.
 */
export function makeNitroDocument(pki: TestNitroPki, fields: NitroFields = {}): Buffer {
  const pcrs = fields.pcrs ?? new Map([0, 1, 2, 3, 4].map((i) => [i, Buffer.alloc(48, i + 1)]));
  const entries: [string, unknown][] = [
    ['module_id', 'i-0123456789abcdef0-enc0123456789abcdef'],
    ['digest', 'SHA384'],
    ['timestamp', fields.timestamp ?? TEST_NOW.getTime()],
    ['pcrs', pcrs],
    ['certificate', pki.leaf],
    ['cabundle', pki.cabundle],
    ['public_key', fields.publicKey ?? null],
    ['user_data', fields.userData ?? null],
    ['nonce', fields.nonce ?? null],
  ];
  const payload = Buffer.concat([
    Buffer.from([0xbf]),
    ...entries.flatMap(([k, v]) => [encode(k), encode(v)]),
    Buffer.from([0xff]),
  ]);
  const protectedHeader = Buffer.from([0xa1, 0x01, 0x38, 0x22]);
  const toBeSigned = encode(['Signature1', protectedHeader, Buffer.alloc(0), payload]);
  const signature = sign('sha384', toBeSigned, { key: pki.leafKey, dsaEncoding: 'ieee-p1363' });
  return encode([protectedHeader, new Map(), payload, signature]);
}
