// C2SP tlog-checkpoint: Go sumdb's checkpoint text round-trips, parsing is strict, and a signed
// checkpoint opens only with the log's key and origin.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CheckpointErrorCode,
  CheckpointError,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from '../../src/audit/checkpoint.js';
import { generateSigningKey, signingKeyFromSeed, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { NoteError, parseVerifierKey, signNote } from '../../src/crypto/signed_note.js';

// golang.org/x/mod sumdb/tlog/note_test.go (TestFormatTree, TestParseTree).
const GO_TREE = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n';
const GO_SIZE = 123456789012;
/** tlog.RecordHash("hello world"): the RFC 6962 leaf hash SHA-256(0x00 ‖ data). */
const HELLO_WORLD = createHash('sha256')
  .update(Buffer.concat([Buffer.from([0x00]), Buffer.from('hello world')]))
  .digest();

// PeterNeumann from golang.org/x/mod sumdb/note/note_test.go.
const peterKey = signingKeyFromSeed(
  'PeterNeumann',
  Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1),
);
const peter = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');

function throwsCheckpoint(
  fn: () => unknown,
  code: CheckpointErrorCode,
  message?: RegExp,
  line?: number,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

test("Go sumdb's tree of size 123456789012 formats to its golden text, and parses back", () => {
  assert.equal(HELLO_WORLD.toString('base64'), 'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=');
  assert.equal(
    formatCheckpoint({ origin: 'go.sum database tree', size: GO_SIZE, rootHash: HELLO_WORLD }),
    GO_TREE,
  );
  assert.deepEqual(parseCheckpoint(GO_TREE), {
    origin: 'go.sum database tree',
    size: GO_SIZE,
    rootHash: HELLO_WORLD,
    extensions: [],
  });
});

test("Go's bad trees are refused, naming the line", () => {
  throwsCheckpoint(
    () => parseCheckpoint(GO_TREE.replace('123456789012', '0xabcdef')),
    'E_CHECKPOINT_MALFORMED',
    /0xabcdef/,
    2,
  );
  throwsCheckpoint(
    () =>
      parseCheckpoint(
        'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n',
      ),
    'E_CHECKPOINT_MALFORMED',
    undefined,
    3,
  );
});

test('lines after the root hash are extension lines; they must be non-empty and the text must end in a newline', () => {
  assert.deepEqual(parseCheckpoint(GO_TREE + 'JOE\n').extensions, ['JOE']);
  assert.deepEqual(parseCheckpoint(GO_TREE + 'JOE\n'.repeat(3)).extensions, ['JOE', 'JOE', 'JOE']);
  throwsCheckpoint(() => parseCheckpoint(GO_TREE + 'JOE'), 'E_CHECKPOINT_MALFORMED', /end with a newline/);
  throwsCheckpoint(() => parseCheckpoint(GO_TREE + '\n'), 'E_CHECKPOINT_MALFORMED', /non-empty/, 4);
  throwsCheckpoint(() => parseCheckpoint(GO_TREE + 'a\n\nb\n'), 'E_CHECKPOINT_MALFORMED', /non-empty/, 5);
});

test('the tree size is decimal with no leading zeros and fits in 2^53-1', () => {
  const withSize = (size: string) => GO_TREE.replace('123456789012', size);
  assert.equal(parseCheckpoint(withSize('0')).size, 0);
  assert.equal(parseCheckpoint(withSize('9007199254740991')).size, Number.MAX_SAFE_INTEGER);
  for (const bad of ['00', '0123', '-1', '+1', '1e3', ' 1', '1 ', '1.0', '', '١٢', '9007199254740992']) {
    throwsCheckpoint(() => parseCheckpoint(withSize(bad)), 'E_CHECKPOINT_MALFORMED', undefined, 2);
  }
});

test('the root hash is the canonical base64 of exactly 32 bytes', () => {
  const withRoot = (root: string) => GO_TREE.replace('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=', root);
  for (const bad of [
    'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0', // padding missing
    'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=', // non-zero padding bits
    Buffer.alloc(31).toString('base64'),
    Buffer.alloc(33).toString('base64'),
    'TszzRgjTG6xce-z2AG31kAXYKBgQVtCSCE40HmuwBb0=', // base64url
    '',
  ]) {
    throwsCheckpoint(() => parseCheckpoint(withRoot(bad)), 'E_CHECKPOINT_MALFORMED', /root hash/, 3);
  }
});

test('a checkpoint has a non-empty origin and at least three lines', () => {
  throwsCheckpoint(
    () => parseCheckpoint('\n1\n' + HELLO_WORLD.toString('base64') + '\n'),
    'E_CHECKPOINT_MALFORMED',
    /origin is empty/,
    1,
  );
  throwsCheckpoint(() => parseCheckpoint('origin\n1\n'), 'E_CHECKPOINT_MALFORMED', /at least 3 lines/);
  throwsCheckpoint(
    () => parseCheckpoint(GO_TREE.replace(/\n/g, '\r\n')),
    'E_CHECKPOINT_MALFORMED',
    /U\+000D/,
  );
});

test('formatting refuses what parsing would refuse', () => {
  const ok = { origin: 'example.com/log', size: 1, rootHash: HELLO_WORLD };
  throwsCheckpoint(
    () => formatCheckpoint({ ...ok, origin: '' }),
    'E_CHECKPOINT_MALFORMED',
    /origin is empty/,
  );
  throwsCheckpoint(
    () => formatCheckpoint({ ...ok, origin: 'a\n5' }),
    'E_CHECKPOINT_MALFORMED',
    /single line/,
  );
  for (const size of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
    throwsCheckpoint(() => formatCheckpoint({ ...ok, size }), 'E_CHECKPOINT_MALFORMED', /tree size/);
  }
  throwsCheckpoint(
    () => formatCheckpoint({ ...ok, rootHash: Buffer.alloc(31) }),
    'E_CHECKPOINT_MALFORMED',
    /31 bytes/,
  );
  throwsCheckpoint(
    () => formatCheckpoint({ ...ok, extensions: [''] }),
    'E_CHECKPOINT_MALFORMED',
    /extension line 1/,
  );
  throwsCheckpoint(
    () => formatCheckpoint({ ...ok, extensions: ['a\nb'] }),
    'E_CHECKPOINT_MALFORMED',
    /extension line 1/,
  );
  assert.equal(
    formatCheckpoint({ ...ok, extensions: ['x y'] }),
    `example.com/log\n1\n${HELLO_WORLD.toString('base64')}\nx y\n`,
  );
});

test('a checkpoint signed by the log opens with its verifier key (deterministic signature)', () => {
  const note = signCheckpoint({ origin: 'PeterNeumann', size: GO_SIZE, rootHash: HELLO_WORLD }, peterKey);
  assert.equal(
    note,
    'PeterNeumann\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n' +
      '— PeterNeumann x08gowDbUu4eLjiOPrMpO0nqTqLU+ZvZ0rJweMRVIamct6jYopVpF+Hiz1L1mCFWMd6qb/dZJxT8F0VEVs3xHnLPqAw=\n',
  );
  const opened = openCheckpoint(note, peter);
  assert.deepEqual(opened, {
    origin: 'PeterNeumann',
    size: GO_SIZE,
    rootHash: HELLO_WORLD,
    extensions: [],
    note,
  });
  assert.deepEqual(openCheckpoint(Buffer.from(note), peter).size, GO_SIZE);
});

test('a log signs only checkpoints of its own origin', () => {
  const key = generateSigningKey('example.com/log');
  throwsCheckpoint(
    () => signCheckpoint({ origin: 'example.com/other', size: 0, rootHash: HELLO_WORLD }, key),
    'E_CHECKPOINT_ORIGIN',
    /example\.com\/log.*example\.com\/other/,
  );
});

test('a checkpoint opens only with the expected origin, by default the key name', () => {
  const sumdbStyle = signNote(GO_TREE, [peterKey]); // origin differs from the key name, as on sum.golang.org
  throwsCheckpoint(
    () => openCheckpoint(sumdbStyle, peter),
    'E_CHECKPOINT_ORIGIN',
    /go\.sum database tree/,
    1,
  );
  assert.equal(openCheckpoint(sumdbStyle, peter, 'go.sum database tree').size, GO_SIZE);
  const notGo = signNote('not-' + GO_TREE, [peterKey]);
  throwsCheckpoint(() => openCheckpoint(notGo, peter, 'go.sum database tree'), 'E_CHECKPOINT_ORIGIN');
});

test('a checkpoint signed by another key, or altered after signing, does not open', () => {
  const key = generateSigningKey('example.com/log');
  const note = signCheckpoint({ origin: 'example.com/log', size: 7, rootHash: HELLO_WORLD }, key);
  const impostor = verifierKeyOf(generateSigningKey('example.com/log'));
  assert.throws(
    () => openCheckpoint(note, impostor),
    (e) => e instanceof NoteError && e.code === 'E_NOTE_UNVERIFIED',
  );
  const grown = note.replace('\n7\n', '\n8\n');
  assert.throws(
    () => openCheckpoint(grown, verifierKeyOf(key)),
    (e) => e instanceof NoteError && e.code === 'E_NOTE_BAD_SIGNATURE',
  );
});

test('a validly signed note that is not a checkpoint is refused as malformed', () => {
  const note = signNote('PeterNeumann\nnot a size\nroot\n', [peterKey]);
  throwsCheckpoint(() => openCheckpoint(note, peter), 'E_CHECKPOINT_MALFORMED', undefined, 2);
});

test('property: formatting then parsing any checkpoint gives it back', () => {
  const origin = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 30 })
    .map((s) => s.replace(/[\x00-\x1f]/g, ''))
    .filter((s) => s.length > 0);
  const extension = fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
    .filter((s) => !/[\x00-\x1f]/.test(s));
  fc.assert(
    fc.property(
      origin,
      fc.maxSafeNat(),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(extension, { maxLength: 3 }),
      (o, size, root, extensions) => {
        const checkpoint = { origin: o, size, rootHash: Buffer.from(root), extensions };
        assert.deepEqual(parseCheckpoint(formatCheckpoint(checkpoint)), checkpoint);
      },
    ),
    { numRuns: 500 },
  );
});
