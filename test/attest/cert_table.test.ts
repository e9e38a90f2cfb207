// The SEV-SNP certificate table (configfs-tsm auxblob): built and parsed back, GUIDs in string byte
// order, and every malformed table (no closing entry, out-of-bounds offset, duplicate) refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildSevCertTable, parseSevCertTable } from '../../src/attest/index.js';
import { AttestError } from '../../src/attest/errors.js';
import { sevVirtee } from './vectors.js';

test('a table with VCEK, ASK and ARK parses back to the same certificates', () => {
  const table = buildSevCertTable({ vcek: sevVirtee.vcek, ask: sevVirtee.ask[0], ark: sevVirtee.ark[0] });
  // The first entry's GUID bytes are the string's bytes in order (libuuid, go-sev-guest).
  const guids = [0, 24, 48].map((at) => table.subarray(at, at + 16).toString('hex'));
  assert.ok(guids.includes('63da758de6644564adc5f4b93be8accd'));
  const parsed = parseSevCertTable(table);
  assert.deepEqual(parsed.certs.vcek, Buffer.from(sevVirtee.vcek));
  assert.deepEqual(parsed.certs.ask, sevVirtee.ask[0]);
  assert.deepEqual(parsed.certs.ark, sevVirtee.ark[0]);
  assert.deepEqual(parsed.other, []);
});

test('malformed tables are refused with E_ATTEST_MALFORMED', () => {
  const table = buildSevCertTable({ vcek: sevVirtee.vcek });
  const refused = (blob: Buffer) =>
    assert.throws(
      () => parseSevCertTable(blob),
      (e: unknown) => e instanceof AttestError && e.code === 'E_ATTEST_MALFORMED',
    );
  refused(Buffer.alloc(10));
  refused(table.subarray(0, 30)); // no closing entry
  const far = Buffer.from(table);
  far.writeUInt32LE(table.length, 16); // offset past the end
  refused(far);
  const twice = Buffer.concat([
    table.subarray(0, 24),
    table.subarray(0, 24),
    Buffer.alloc(24),
    table.subarray(48),
  ]);
  twice.writeUInt32LE(72, 16);
  twice.writeUInt32LE(72, 40);
  refused(twice);
});

test('property: any bytes either parse to certificates inside the blob or are refused; never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        const t = parseSevCertTable(bytes);
        for (const der of Object.values(t.certs)) assert.ok(der.length > 0 && der.length <= bytes.length);
      } catch (e) {
        assert.ok(e instanceof AttestError && e.code === 'E_ATTEST_MALFORMED', String(e));
      }
    }),
  );
});
