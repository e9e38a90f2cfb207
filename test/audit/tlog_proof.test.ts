// c2sp.org/tlog-proof@v1 text: the spec's example parses and formats back byte for byte, parsing
// is strict and names the line, and a proof carries a checkpoint that still opens.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { openCheckpoint, signCheckpoint } from '../../src/audit/checkpoint.js';
import { formatTlogProof, parseTlogProof, TlogProofError } from '../../src/audit/tlog_proof.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';

// C2SP/C2SP tlog-proof.md example (its signatures are elided with "[...]": shape only).
const EXAMPLE_HASHES = [
  'gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=',
  'B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=',
  'EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=',
  'RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=',
  'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=',
];
const EXAMPLE_CHECKPOINT =
  'example.com/fancylog\n' +
  '109482\n' +
  'sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n' +
  '\n' +
  '— example.com/fancylog hI2DJw[...]1roloI=\n' +
  '— witness1.example mJirIklj[...]qY9v2B/5bg==\n' +
  '— witness2.example TnKKVHLX[...]xwYwrSjgow==\n' +
  '— witness3.example S4X82uH5[...]3oEcROGLFQ==\n';
const EXAMPLE =
  'c2sp.org/tlog-proof@v1\n' +
  'extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n' +
  'index 73894\n' +
  EXAMPLE_HASHES.map((h) => `${h}\n`).join('') +
  '\n' +
  EXAMPLE_CHECKPOINT;

const HASH = createHash('sha256').update('leaf').digest();
const NOTE = 'example.com/log\n1\n' + HASH.toString('base64') + '\n\n— example.com/log AAAAAAA=\n';

function throwsProof(fn: () => unknown, message?: RegExp, line?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlogProofError, `expected a TlogProofError, got ${String(e)}`);
    assert.equal(e.code, 'E_TLOG_PROOF_MALFORMED');
    if (message) assert.match(e.message, message);
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

test("the spec's example parses into extra data, index, five hashes and the checkpoint verbatim", () => {
  const proof = parseTlogProof(EXAMPLE);
  assert.equal(proof.extra?.subarray(0, 30).toString(), 'age-v1.2.1-darwin-arm64.tar.gz');
  assert.equal(proof.index, 73894);
  assert.deepEqual(
    proof.proof.map((h) => h.toString('base64')),
    EXAMPLE_HASHES,
  );
  assert.equal(proof.checkpointNote, EXAMPLE_CHECKPOINT);
});

test("formatting the spec's example gives back its exact text", () => {
  assert.equal(formatTlogProof(parseTlogProof(EXAMPLE)), EXAMPLE);
});

test('without extra data the extra line is omitted, and an empty proof is allowed', () => {
  const text = formatTlogProof({ index: 0, proof: [], checkpointNote: NOTE });
  assert.equal(text, `c2sp.org/tlog-proof@v1\nindex 0\n\n${NOTE}`);
  assert.deepEqual(parseTlogProof(text), { extra: null, index: 0, proof: [], checkpointNote: NOTE });
  assert.equal(formatTlogProof({ extra: null, index: 0, proof: [], checkpointNote: NOTE }), text);
});

test('a proof made from a signed checkpoint yields a checkpoint that opens with the log key', () => {
  const key = generateSigningKey('example.com/log');
  const checkpointNote = signCheckpoint({ origin: 'example.com/log', size: 2, rootHash: HASH }, key);
  const parsed = parseTlogProof(formatTlogProof({ index: 1, proof: [HASH], checkpointNote }));
  const checkpoint = openCheckpoint(parsed.checkpointNote, verifierKeyOf(key));
  assert.equal(checkpoint.size, 2);
  assert.deepEqual(parsed.proof, [HASH]);
});

test('the first line must be exactly the v1 header', () => {
  for (const header of ['c2sp.org/tlog-proof@v2', 'C2SP.org/tlog-proof@v1', 'c2sp.org/tlog-proof@v1 ', '']) {
    throwsProof(() => parseTlogProof(EXAMPLE.replace('c2sp.org/tlog-proof@v1', header)), /first line/, 1);
  }
  throwsProof(() => parseTlogProof(EXAMPLE.replace(/\n/g, '\r\n')), /first line/, 1);
  throwsProof(() => parseTlogProof('c2sp.org/tlog-proof@v1'), /end of the text/, 1);
});

test('extra data is non-empty canonical base64 on the second line only', () => {
  const withExtra = (line: string) => EXAMPLE.replace(/^extra .*$/m, line);
  for (const bad of ['extra ', 'extra Zm9', 'extra Zh==', 'extra  Zm9v', 'extra Zm9v ']) {
    throwsProof(() => parseTlogProof(withExtra(bad)), /extra data/, 2);
  }
  throwsProof(() => parseTlogProof(withExtra('extra')), /index/, 2);
  throwsProof(() => parseTlogProof(withExtra('Extra Zm9v')), /index/, 2);
  const extraTwice = EXAMPLE.replace('index 73894', 'extra Zm9v\nindex 73894');
  throwsProof(() => parseTlogProof(extraTwice), /index/, 3);
  const extraAfterIndex = EXAMPLE.replace(/^extra .*\n(index .*\n)/m, '$1extra Zm9v\n');
  throwsProof(() => parseTlogProof(extraAfterIndex), /proof hash/, 3);
});

test('the index is decimal with no leading zeros and fits in 2^53-1', () => {
  const withIndex = (line: string) => EXAMPLE.replace('index 73894', line);
  assert.equal(parseTlogProof(withIndex('index 0')).index, 0);
  assert.equal(parseTlogProof(withIndex('index 9007199254740991')).index, Number.MAX_SAFE_INTEGER);
  for (const bad of [
    'index 073894',
    'index -1',
    'index +1',
    'index 1e3',
    'index',
    'index ',
    'index  1',
    'Index 1',
    'index 1 ',
  ]) {
    throwsProof(() => parseTlogProof(withIndex(bad)), /index/, 3);
  }
  throwsProof(() => parseTlogProof(withIndex('index 9007199254740992')), /2\^53-1/, 3);
});

test('each proof line is the canonical base64 of a 32-byte hash, naming the bad line', () => {
  const withHash = (i: number, h: string) => EXAMPLE.replace(EXAMPLE_HASHES[i] ?? '', h);
  throwsProof(() => parseTlogProof(withHash(2, Buffer.alloc(31).toString('base64'))), /31 bytes/, 6);
  throwsProof(() => parseTlogProof(withHash(0, Buffer.alloc(33).toString('base64'))), /33 bytes/, 4);
  throwsProof(
    () => parseTlogProof(withHash(4, 'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk')),
    /canonical base64/,
    8,
  );
  throwsProof(
    () => parseTlogProof(withHash(4, 'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vl=')),
    /canonical base64/,
    8,
  );
  const tooMany = `c2sp.org/tlog-proof@v1\nindex 0\n${`${HASH.toString('base64')}\n`.repeat(65)}\n${NOTE}`;
  throwsProof(() => parseTlogProof(tooMany), /more than 64/, 67);
  const sixtyFour = `c2sp.org/tlog-proof@v1\nindex 0\n${`${HASH.toString('base64')}\n`.repeat(64)}\n${NOTE}`;
  assert.equal(parseTlogProof(sixtyFour).proof.length, 64);
});

test('the checkpoint follows one empty line and is a whole signed note', () => {
  const head = `c2sp.org/tlog-proof@v1\nindex 0\n${HASH.toString('base64')}\n`;
  throwsProof(() => parseTlogProof(head), /end of the text/, 4);
  throwsProof(() => parseTlogProof(head + '\n'), /checkpoint note is missing/, 5);
  throwsProof(() => parseTlogProof(head + NOTE), /canonical base64/, 4); // no empty line: the origin is read as a hash
  throwsProof(
    () => parseTlogProof(head + '\nexample.com/log\n1\n' + HASH.toString('base64') + '\n'),
    /no empty line/,
    5,
  );
  throwsProof(() => parseTlogProof(head + '\n' + NOTE.slice(0, -1)), /end with a newline/, 5);
  throwsProof(() => parseTlogProof(head + '\n' + NOTE.replace('\n1\n', '\n1\x07\n')), /U\+0007/, 5);
});

test('formatting refuses what parsing would refuse', () => {
  const ok = { index: 3, proof: [HASH], checkpointNote: NOTE };
  for (const index of [-1, 1.5, Number.NaN, 2 ** 53])
    throwsProof(() => formatTlogProof({ ...ok, index }), /index/);
  throwsProof(() => formatTlogProof({ ...ok, extra: Buffer.alloc(0) }), /extra data is empty/);
  throwsProof(() => formatTlogProof({ ...ok, proof: [HASH, Buffer.alloc(33)] }), /proof hash 1 is 33 bytes/);
  throwsProof(
    () => formatTlogProof({ ...ok, proof: Array.from({ length: 65 }, () => HASH) }),
    /65 proof hashes/,
  );
  throwsProof(() => formatTlogProof({ ...ok, checkpointNote: '' }), /missing/);
  throwsProof(() => formatTlogProof({ ...ok, checkpointNote: 'origin\n1\nroot\n' }), /no empty line/);
});

test('property: formatting then parsing any proof gives it back', () => {
  fc.assert(
    fc.property(
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: null }),
      fc.maxSafeNat(),
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }),
      (extra, index, hashes) => {
        const proof = {
          extra: extra === null ? null : Buffer.from(extra),
          index,
          proof: hashes.map((h) => Buffer.from(h)),
          checkpointNote: NOTE,
        };
        assert.deepEqual(parseTlogProof(formatTlogProof(proof)), proof);
      },
    ),
    { numRuns: 300 },
  );
});
