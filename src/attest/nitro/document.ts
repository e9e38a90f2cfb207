// The AWS Nitro Enclaves attestation document: a COSE_Sign1 (RFC 9052) whose payload is a CBOR map
// of module id, PCRs, certificate, CA bundle and optional public key, user data and nonce. Decoded
// with cbor-x (indefinite-length maps allowed); every field is then checked for type and size as
// AWS's aws-nitro-enclaves-nsm-api docs/attestation_process.md "syntactical validation" lists.

import { Decoder, Tag } from 'cbor-x';
import { AttestError } from '../errors.js';

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const COSE_SIGN1_TAG = 18;
const ES384 = -35;
const MAX_DOCUMENT = 64 * 1024;
const PAYLOAD_KEYS = [
  'module_id',
  'digest',
  'timestamp',
  'pcrs',
  'certificate',
  'cabundle',
  'public_key',
  'user_data',
  'nonce',
];

export interface NitroDocument {
  /** The protected header and payload exactly as signed. */
  protectedBytes: Buffer;
  payloadBytes: Buffer;
  /** r || s, 96 bytes. */
  signature: Buffer;
  moduleId: string;
  timestamp: number;
  pcrs: Map<number, Buffer>;
  certificate: Buffer;
  /** Root first, as the document carries it. */
  cabundle: Buffer[];
  publicKey: Buffer | null;
  userData: Buffer | null;
  nonce: Buffer | null;
}

function malformed(where: string, detail: string): AttestError {
  return new AttestError('E_ATTEST_MALFORMED', 'document.parse', where, detail);
}

function decodeCbor(bytes: Uint8Array, where: string): unknown {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw malformed(where, `${where} is not one well-formed CBOR item: ${(e as Error).message}`);
  }
}

function byteString(value: unknown, where: string, min: number, max: number): Buffer {
  if (!Buffer.isBuffer(value)) throw malformed(where, `${where} must be a byte string`);
  if (value.length < min || value.length > max)
    throw malformed(where, `${where} is ${value.length} bytes; allowed ${min} to ${max}`);
  return value;
}

function optionalByteString(value: unknown, where: string, max: number): Buffer | null {
  return value === undefined || value === null ? null : byteString(value, where, 0, max);
}

/** Decodes and checks a document; `bytes` is the raw COSE_Sign1, tagged (18) or not. */
export function parseNitroDocument(bytes: Uint8Array): NitroDocument {
  if (bytes.length === 0 || bytes.length > MAX_DOCUMENT)
    throw malformed('document length', `a Nitro document is 1 to ${MAX_DOCUMENT} bytes; got ${bytes.length}`);
  let top = decodeCbor(bytes, 'COSE_Sign1');
  if (top instanceof Tag) {
    if (top.tag !== COSE_SIGN1_TAG)
      throw malformed('COSE_Sign1 tag', `tag ${top.tag} is not COSE_Sign1 (18)`);
    top = top.value;
  }
  if (!Array.isArray(top) || top.length !== 4)
    throw malformed('COSE_Sign1', 'COSE_Sign1 must be an array of 4 items');
  const [protectedRaw, unprotected, payloadRaw, signatureRaw] = top as unknown[];
  const protectedBytes = byteString(protectedRaw, 'COSE_Sign1 protected header', 1, 256);
  const header = decodeCbor(protectedBytes, 'COSE_Sign1 protected header');
  if (!(header instanceof Map) || header.size !== 1 || !header.has(1))
    throw malformed(
      'COSE_Sign1 protected header',
      'the protected header must hold exactly the algorithm (label 1)',
    );
  if (header.get(1) !== ES384)
    throw new AttestError(
      'E_ATTEST_UNSUPPORTED',
      'document.parse',
      'COSE_Sign1 protected header alg',
      `algorithm ${String(header.get(1))} is not ES384 (-35)`,
    );
  // AWS leaves the unprotected header empty; anything in it would be unsigned, so it is refused.
  if (!(unprotected instanceof Map) || unprotected.size !== 0)
    throw malformed('COSE_Sign1 unprotected header', 'the unprotected header must be an empty map');
  const payloadBytes = byteString(payloadRaw, 'COSE_Sign1 payload', 1, MAX_DOCUMENT);
  const signature = byteString(signatureRaw, 'COSE_Sign1 signature', 96, 96);

  const payload = decodeCbor(payloadBytes, 'payload');
  if (!(payload instanceof Map)) throw malformed('payload', 'the payload must be a CBOR map');
  for (const key of payload.keys())
    if (typeof key !== 'string' || !PAYLOAD_KEYS.includes(key))
      throw malformed('payload', `unknown payload field ${JSON.stringify(String(key))}`);
  const moduleId = payload.get('module_id');
  if (typeof moduleId !== 'string' || moduleId.length === 0 || moduleId.length > 256)
    throw malformed('payload.module_id', 'module_id must be a non-empty text string');
  if (payload.get('digest') !== 'SHA384') throw malformed('payload.digest', 'digest must be "SHA384"');
  const ts = payload.get('timestamp');
  const timestamp = typeof ts === 'bigint' && ts <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ts) : ts;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= 0)
    throw malformed('payload.timestamp', 'timestamp must be a positive integer of milliseconds');
  const pcrsRaw = payload.get('pcrs');
  if (!(pcrsRaw instanceof Map) || pcrsRaw.size < 1 || pcrsRaw.size > 32)
    throw malformed('payload.pcrs', 'pcrs must be a map of 1 to 32 entries');
  const pcrs = new Map<number, Buffer>();
  for (const [index, value] of pcrsRaw) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 31)
      throw malformed('payload.pcrs', `PCR index ${String(index)} is not 0 to 31`);
    const pcr = byteString(value, `payload.pcrs[${index}]`, 32, 64);
    if (![32, 48, 64].includes(pcr.length))
      throw malformed(`payload.pcrs[${index}]`, `PCR${index} is ${pcr.length} bytes, not 32, 48 or 64`);
    pcrs.set(index, pcr);
  }
  const certificate = byteString(payload.get('certificate'), 'payload.certificate', 1, 1024);
  const bundle = payload.get('cabundle');
  if (!Array.isArray(bundle) || bundle.length === 0 || bundle.length > 16)
    throw malformed('payload.cabundle', 'cabundle must be a list of 1 to 16 certificates');
  const cabundle = bundle.map((c: unknown, i) => byteString(c, `payload.cabundle[${i}]`, 1, 1024));
  return {
    protectedBytes,
    payloadBytes,
    signature,
    moduleId,
    timestamp,
    pcrs,
    certificate,
    cabundle,
    publicKey: optionalByteString(payload.get('public_key'), 'payload.public_key', 1024),
    userData: optionalByteString(payload.get('user_data'), 'payload.user_data', 512),
    nonce: optionalByteString(payload.get('nonce'), 'payload.nonce', 512),
  };
}

/** RFC 9052 §4.4 Sig_structure for COSE_Sign1 with empty external AAD: the bytes the signature covers. */
export function coseSign1SignedBytes(protectedBytes: Buffer, payloadBytes: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([0x84, 0x6a]),
    Buffer.from('Signature1', 'ascii'),
    byteStringHeader(protectedBytes.length),
    protectedBytes,
    Buffer.from([0x40]),
    byteStringHeader(payloadBytes.length),
    payloadBytes,
  ]);
}

/** The CBOR major type 2 header for a byte string of `length` bytes (length < 2^32). */
function byteStringHeader(length: number): Buffer {
  if (length < 24) return Buffer.from([0x40 | length]);
  if (length < 0x100) return Buffer.from([0x58, length]);
  if (length < 0x10000) return Buffer.from([0x59, length >> 8, length & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x5a;
  b.writeUInt32BE(length, 1);
  return b;
}
