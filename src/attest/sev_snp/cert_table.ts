// The SEV-SNP certificate table (GHCB specification 2.x, §4.1.8.1) that the host hands a guest with an
// extended report and that Linux configfs-tsm exposes as a report's `auxblob`: entries of a 16-byte GUID
// (in its string byte order, as libuuid's uuid_parse and go-sev-guest write it), a little-endian u32
// offset and a u32 length, both relative to the table's start, closed by an all-zero entry. Only the
// certificates this module verifies with are picked out: VCEK, ASK, ARK (VLEK is reported, not used).

import { AttestError } from '../errors.js';

const ENTRY = 24;
/** Known GUIDs (string byte order). */
export const SEV_CERT_GUIDS = {
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  vlek: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1',
} as const;

export type SevCertName = keyof typeof SEV_CERT_GUIDS;

export interface SevCertTable {
  /** DER of each known certificate present. */
  certs: Partial<Record<SevCertName, Buffer>>;
  /** GUIDs of entries that are not one of the known certificates (kept for the report). */
  other: string[];
}

function guidString(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function invalid(where: string, detail: string): AttestError {
  return new AttestError('E_ATTEST_MALFORMED', 'sev-snp.cert_table', where, detail);
}

/** Parses a certificate table; throws AttestError (E_ATTEST_MALFORMED) on anything out of bounds. */
export function parseSevCertTable(blob: Uint8Array): SevCertTable {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const byGuid = new Map<string, SevCertName>(
    Object.entries(SEV_CERT_GUIDS).map(([name, guid]) => [guid, name as SevCertName]),
  );
  const table: SevCertTable = { certs: {}, other: [] };
  for (let at = 0; ; at += ENTRY) {
    if (at + ENTRY > buf.length)
      throw invalid(`entry at ${at}`, 'the table ends before its all-zero closing entry');
    const guid = guidString(buf.subarray(at, at + 16));
    const offset = buf.readUInt32LE(at + 16);
    const length = buf.readUInt32LE(at + 20);
    if (guid === '00000000-0000-0000-0000-000000000000' && offset === 0 && length === 0) break;
    if (length === 0 || offset < at + ENTRY || offset + length > buf.length)
      throw invalid(
        `entry ${guid}`,
        `offset ${offset} length ${length} is outside the ${buf.length}-byte table`,
      );
    const name = byGuid.get(guid);
    if (!name) {
      table.other.push(guid);
      continue;
    }
    if (table.certs[name]) throw invalid(`entry ${guid}`, `the ${name} certificate appears twice`);
    table.certs[name] = Buffer.from(buf.subarray(offset, offset + length));
  }
  return table;
}

/** Builds a table from certificates (the host's side; used by tests to simulate configfs-tsm). */
export function buildSevCertTable(certs: Partial<Record<SevCertName, Uint8Array>>): Buffer {
  const entries = (Object.keys(SEV_CERT_GUIDS) as SevCertName[]).filter((n) => certs[n] !== undefined);
  const header = Buffer.alloc((entries.length + 1) * ENTRY);
  const bodies: Buffer[] = [];
  let offset = header.length;
  entries.forEach((name, i) => {
    const der = Buffer.from(certs[name] as Uint8Array);
    Buffer.from(SEV_CERT_GUIDS[name].replace(/-/g, ''), 'hex').copy(header, i * ENTRY);
    header.writeUInt32LE(offset, i * ENTRY + 16);
    header.writeUInt32LE(der.length, i * ENTRY + 20);
    bodies.push(der);
    offset += der.length;
  });
  return Buffer.concat([header, ...bodies]);
}
