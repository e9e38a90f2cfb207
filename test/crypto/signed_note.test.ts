// The C2SP signed-note format: the spec's own example, Go sumdb/note's known answers, and the ways a
// note must fail (tampering, unknown keys, malformed lines).

import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateSigningKey, signingKeyFromSeed, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import {
  decodeCanonicalBase64,
  describeInvalidNoteText,
  formatVerifierKey,
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  NoteError,
  type NoteErrorCode,
  noteKeyId,
  openNote,
  parseVerifierKey,
  signNote,
  type VerifierKey,
} from '../../src/crypto/signed_note.js';

// c2sp.org/signed-note example (C2SP/C2SP signed-note.md).
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE =
  'This is an example message.\n' +
  '\n' +
  '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

// golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen).
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** Go's signer key text: PRIVATE+KEY+<name>+<hex id>+base64(0x01 ‖ 32-byte seed). */
function goSigningKey(skey: string) {
  const [, name = '', idHex, b64 = ''] = /^PRIVATE\+KEY\+([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(skey) ?? [];
  const bytes = Buffer.from(b64, 'base64');
  assert.equal(bytes[0], 0x01);
  const key = signingKeyFromSeed(name, bytes.subarray(1));
  assert.equal(noteKeyId(key.name, 0x01, key.publicKeyRaw).toString(16).padStart(8, '0'), idHex);
  return key;
}

const peterKey = goSigningKey(PETER_SKEY);
const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function throwsNote(fn: () => unknown, code: NoteErrorCode, message?: RegExp, line?: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NoteError, `expected a NoteError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

test('the C2SP example note verifies against its vkey, whose key ID recomputes to 530d903a', () => {
  const v = parseVerifierKey(C2SP_VKEY);
  assert.equal(v.name, 'example.com/foo');
  assert.equal(v.keyId, 0x530d903a);
  assert.equal(formatVerifierKey(v), C2SP_VKEY);
  const opened = openNote(C2SP_NOTE, [v]);
  assert.equal(opened.text, 'This is an example message.\n');
  assert.deepEqual(opened.signatures, [{ name: 'example.com/foo', keyId: 0x530d903a, verified: true }]);
});

test("the key ID is SHA-256(name ‖ 0x0A ‖ type ‖ key)[:4], big-endian (PeterNeumann's is c74f20a3)", () => {
  const manual = createHash('sha256')
    .update(Buffer.concat([Buffer.from('PeterNeumann\n'), Buffer.from([0x01]), peter.publicKeyRaw]))
    .digest()
    .readUInt32BE(0);
  assert.equal(manual, 0xc74f20a3);
  assert.equal(noteKeyId('PeterNeumann', 0x01, peter.publicKeyRaw), 0xc74f20a3);
  assert.notEqual(noteKeyId('PeterNeumann', 0x04, peter.publicKeyRaw), 0xc74f20a3);
});

test("the seed in Go's PRIVATE+KEY string yields PeterNeumann's published vkey", () => {
  assert.equal(formatVerifierKey(peterKey), PETER_VKEY);
  assert.deepEqual(peterKey.publicKeyRaw, peter.publicKeyRaw);
});

test('signing the Go text with PeterNeumann reproduces the Go signature byte for byte', () => {
  const note = signNote(GO_TEXT, [peterKey]);
  assert.equal(note, `${GO_TEXT}\n${PETER_SIG}`);
  assert.deepEqual(openNote(note, [peter]).signatures, [
    { name: 'PeterNeumann', keyId: 0xc74f20a3, verified: true },
  ]);
});

test('a note signed by a known and an unknown key opens, reporting the unknown one as unverified', () => {
  const opened = openNote(GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter]);
  assert.equal(opened.text, GO_TEXT);
  assert.deepEqual(opened.signatures, [
    { name: 'PeterNeumann', keyId: 0xc74f20a3, verified: true },
    { name: 'EnochRoot', keyId: 0xaf0cfe78, verified: false },
  ]);
});

test('a note signed by two known keys has both signatures verified', () => {
  const opened = openNote(GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG, [peter, enoch]);
  assert.deepEqual(
    opened.signatures.map((s) => [s.name, s.verified]),
    [
      ['PeterNeumann', true],
      ['EnochRoot', true],
    ],
  );
});

test('a note signed by an unknown key only is rejected', () => {
  throwsNote(() => openNote(GO_TEXT + '\n' + ENOCH_SIG, [peter]), 'E_NOTE_UNVERIFIED', /EnochRoot\+af0cfe78/);
  throwsNote(() => openNote(GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG, []), 'E_NOTE_UNVERIFIED');
});

test("a signature sharing only the name, or only the key ID, with a known key is an unknown key's", () => {
  const otherPeter = verifierKeyOf(generateSigningKey('PeterNeumann')); // same name, different key ID
  throwsNote(() => openNote(GO_TEXT + '\n' + PETER_SIG, [otherPeter]), 'E_NOTE_UNVERIFIED');
  const renamed = PETER_SIG.replace('PeterNeumann', 'CarmenSandiego'); // same key ID, different name
  throwsNote(
    () => openNote(GO_TEXT + '\n' + renamed, [peter]),
    'E_NOTE_UNVERIFIED',
    /CarmenSandiego\+c74f20a3/,
  );
});

test('changing one byte of the text breaks the signature, and the error names the key and the line', () => {
  const tampered = GO_TEXT.replace('answer', 'answex') + '\n' + PETER_SIG;
  throwsNote(() => openNote(tampered, [peter]), 'E_NOTE_BAD_SIGNATURE', /PeterNeumann\+c74f20a3/, 4);
});

test('changing one byte of the signature is rejected', () => {
  const sig = PETER_SIG.replace('x08go/ZJ', 'x08go/ZK');
  throwsNote(() => openNote(GO_TEXT + '\n' + sig, [peter]), 'E_NOTE_BAD_SIGNATURE', /PeterNeumann/, 4);
  // Go's own case: four characters inserted into the base64 make a 67-byte signature.
  const longer = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
  throwsNote(() => openNote(GO_TEXT + '\n' + longer, [peter]), 'E_NOTE_BAD_SIGNATURE');
});

test('a verifier with the right name and key ID but the wrong public key rejects the note', () => {
  const impostor = verifierKeyOf(generateSigningKey('PeterNeumann'));
  const wrongKey: VerifierKey = { ...impostor, keyId: 0xc74f20a3 };
  throwsNote(() => openNote(GO_TEXT + '\n' + PETER_SIG, [wrongKey]), 'E_NOTE_BAD_SIGNATURE', /PeterNeumann/);
});

test('a bad signature from a known key rejects the note even when another known key verifies', () => {
  const badEnoch = ENOCH_SIG.slice(0, 60) + 'ABCD' + ENOCH_SIG.slice(60);
  throwsNote(
    () => openNote(GO_TEXT + '\n' + PETER_SIG + badEnoch, [peter, enoch]),
    'E_NOTE_BAD_SIGNATURE',
    /EnochRoot\+af0cfe78/,
    5,
  );
  // ...but from an unknown key it is ignored.
  assert.equal(openNote(GO_TEXT + '\n' + PETER_SIG + badEnoch, [peter]).signatures.length, 2);
});

test('a second signature by the same known key is rejected, naming its line', () => {
  throwsNote(
    () => openNote(GO_TEXT + '\n' + PETER_SIG + PETER_SIG, [peter]),
    'E_NOTE_DUPLICATE_SIGNATURE',
    /PeterNeumann\+c74f20a3/,
    5,
  );
  throwsNote(() => signNote(GO_TEXT, [peterKey, peterKey]), 'E_NOTE_DUPLICATE_SIGNATURE');
});

test('repeated signatures by an unknown key are ignored like any other unknown signature', () => {
  const opened = openNote(GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter]);
  assert.deepEqual(
    opened.signatures.map((s) => s.verified),
    [true, false, false],
  );
});

test('two different verifier keys with the same name and key ID are refused as ambiguous', () => {
  const twin: VerifierKey = { ...verifierKeyOf(generateSigningKey('PeterNeumann')), keyId: 0xc74f20a3 };
  throwsNote(() => openNote(GO_TEXT + '\n' + PETER_SIG, [peter, twin]), 'E_NOTE_AMBIGUOUS_VERIFIER');
  assert.equal(openNote(GO_TEXT + '\n' + PETER_SIG, [peter, peter]).text, GO_TEXT); // the same key twice is fine
});

test('a note without its final newline is malformed', () => {
  throwsNote(
    () => openNote(GO_TEXT + '\n' + PETER_SIG.slice(0, -1), [peter]),
    'E_NOTE_MALFORMED',
    /newline/,
    4,
  );
});

test('note text without a final newline cannot be signed', () => {
  throwsNote(() => signNote('abc', [peterKey]), 'E_NOTE_MALFORMED', /end with a newline/);
  throwsNote(() => signNote('', [peterKey]), 'E_NOTE_MALFORMED');
});

test('a signature line whose em dash became a hyphen is malformed', () => {
  const hyphen = PETER_SIG.replace('\u2014', '-');
  throwsNote(() => openNote(GO_TEXT + '\n' + hyphen, [peter]), 'E_NOTE_MALFORMED', /em dash/, 4);
  const enDash = PETER_SIG.replace('\u2014', '\u2013');
  throwsNote(() => openNote(GO_TEXT + '\n' + enDash, [peter]), 'E_NOTE_MALFORMED', /em dash/, 4);
});

test("Go's malformed notes are malformed here too", () => {
  const bad = [
    GO_TEXT,
    GO_TEXT + '\n',
    GO_TEXT + '\n' + PETER_SIG.slice(0, -1),
    '\x01' + GO_TEXT + '\n' + PETER_SIG,
    GO_TEXT +
      '\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
    GO_TEXT + '\n' + PETER_SIG + 'Unexpected line.\n',
  ];
  for (const note of bad) throwsNote(() => openNote(note, [peter]), 'E_NOTE_MALFORMED');
  const invalidUtf8 = Buffer.concat([Buffer.from([0xff]), Buffer.from(GO_TEXT + '\n' + PETER_SIG)]);
  throwsNote(() => openNote(invalidUtf8, [peter]), 'E_NOTE_MALFORMED', /UTF-8 at byte offset 0/, 1);
});

test('a note given as bytes opens like the same note as a string; invalid UTF-8 is located', () => {
  assert.equal(openNote(Buffer.from(GO_TEXT + '\n' + PETER_SIG), [peter]).text, GO_TEXT);
  const bytes = Buffer.from(GO_TEXT + '\n' + PETER_SIG);
  bytes[60] = 0xc0; // an overlong-encoding lead byte, on line 2
  throwsNote(() => openNote(bytes, [peter]), 'E_NOTE_MALFORMED', /byte offset 60/, 2);
  throwsNote(() => openNote('a\ud800b\n\n' + PETER_SIG, [peter]), 'E_NOTE_MALFORMED', /lone surrogate/, 1);
});

test('control characters other than newline are refused when signing and when opening', () => {
  for (const text of ['tab\there\n', 'crlf\r\n', 'nul\0\n', 'esc\x1b\n']) {
    throwsNote(() => signNote(text, [peterKey]), 'E_NOTE_MALFORMED', /control character U\+00/);
  }
  const crlf = (GO_TEXT + '\n' + PETER_SIG).replace(/\n/g, '\r\n');
  throwsNote(() => openNote(crlf, [peter]), 'E_NOTE_MALFORMED', /U\+000D/, 1);
  throwsNote(() => openNote('ok\nb\x7f\x01\n\n' + PETER_SIG, [peter]), 'E_NOTE_MALFORMED', /U\+0001/, 2);
  assert.equal(describeInvalidNoteText('DEL \x7f is not an ASCII control character here\n'), undefined);
});

test('text may contain empty lines: the signatures start after the last empty line', () => {
  const text = 'first\n\nthird\n\n\nsixth\n';
  const note = signNote(text, [peterKey]);
  assert.equal(openNote(note, [peter]).text, text);
  const trailingEmpty = 'ends with an empty line\n\n';
  assert.equal(openNote(signNote(trailingEmpty, [peterKey]), [peter]).text, trailingEmpty);
  assert.equal(openNote(signNote('\n', [peterKey]), [peter]).text, '\n');
});

test('the signed message is the text including its final newline and nothing more', () => {
  const note = signNote(GO_TEXT, [peterKey]);
  const signature = Buffer.from(note.slice(note.lastIndexOf(' ') + 1, -1), 'base64').subarray(4);
  const signs = (message: string) => verify(null, Buffer.from(message), peter.publicKey, signature);
  assert.equal(signs(GO_TEXT), true);
  assert.equal(signs(GO_TEXT + '\n'), false);
  assert.equal(signs(GO_TEXT.slice(0, -1)), false);
});

test('non-canonical base64 in a signature line is malformed (padding bits must be zero)', () => {
  // "...AM=" and "...AN=" decode to the same 68 bytes; only the first is canonical.
  const sloppy = PETER_SIG.replace('JnAM=', 'JnAN=');
  assert.deepEqual(
    Buffer.from(
      'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=',
      'base64',
    ),
    Buffer.from(
      'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
      'base64',
    ),
  );
  throwsNote(() => openNote(GO_TEXT + '\n' + sloppy, [peter]), 'E_NOTE_MALFORMED', /canonical base64/, 4);
  const unpadded = PETER_SIG.replace('JnAM=', 'JnAM');
  throwsNote(() => openNote(GO_TEXT + '\n' + unpadded, [peter]), 'E_NOTE_MALFORMED', /canonical base64/);
  assert.equal(decodeCanonicalBase64('Zm9v')?.toString(), 'foo');
  for (const s of ['Zm9', 'Zm9=', 'Zm8=x', 'Zm 9v', 'Zm9v\n', 'Zh==', 'Zm9v-_', 'Zm9vYg']) {
    assert.equal(decodeCanonicalBase64(s), null, s);
  }
});

test('a signature line needs a valid key name, a space and at least a key ID and one byte', () => {
  const lines = [
    '— PeterNeumann',
    '— PeterNeumann ',
    '—  x08g',
    '— Peter+Neumann x08go/ZJ',
    '— PeterNeumann AAAA',
  ];
  for (const line of lines) {
    throwsNote(
      () => openNote(`${GO_TEXT}\n${PETER_SIG}${line}\n`, [peter]),
      'E_NOTE_MALFORMED',
      undefined,
      5,
    );
  }
});

test(`at most ${MAX_NOTE_SIGNATURES} signature lines are read`, () => {
  throwsNote(
    () => openNote(GO_TEXT + '\n' + PETER_SIG.repeat(MAX_NOTE_SIGNATURES + 1), [peter]),
    'E_NOTE_TOO_MANY_SIGNATURES',
  );
  throwsNote(
    () => openNote(GO_TEXT + '\n' + ENOCH_SIG.repeat(MAX_NOTE_SIGNATURES + 1), []),
    'E_NOTE_TOO_MANY_SIGNATURES',
  );
  assert.equal(
    openNote(GO_TEXT + '\n' + PETER_SIG + ENOCH_SIG.repeat(MAX_NOTE_SIGNATURES - 1), [peter]).text,
    GO_TEXT,
  );
});

test('a note signed by 16 different keys opens with all 16 verified (the spec minimum)', () => {
  const keys = Array.from({ length: 16 }, (_, i) => generateSigningKey(`witness${i}.example`));
  const opened = openNote(signNote(GO_TEXT, keys), keys.map(verifierKeyOf));
  assert.equal(opened.signatures.filter((s) => s.verified).length, 16);
});

test('signing needs at least one signer, each with a valid name and an Ed25519 private key', () => {
  throwsNote(() => signNote(GO_TEXT, []), 'E_NOTE_SIGNER');
  throwsNote(() => signNote(GO_TEXT, [{ ...peterKey, name: 'Peter Neumann' }]), 'E_NOTE_KEY_NAME');
  throwsNote(
    () => signNote(GO_TEXT, [{ ...peterKey, privateKey: peterKey.publicKey }]),
    'E_NOTE_SIGNER',
    /PeterNeumann/,
  );
});

test('key names are non-empty, without Unicode white space or plus', () => {
  for (const good of ['example.com/log42', 'PeterNeumann', 'ünïcødé', 'a—b', 'go.sum/database']) {
    assert.equal(isValidKeyName(good), true, good);
  }
  for (const bad of [
    '',
    'a b',
    'a+b',
    'a\tb',
    'a\u00a0b',
    'a\u2003b',
    'a\u3000b',
    'a\u0085b',
    'a\u2028b',
    'a\x01b',
  ]) {
    assert.equal(isValidKeyName(bad), false, JSON.stringify(bad));
  }
});

test("every substring and every one-byte change of PeterNeumann's vkey is refused (Go TestNewVerifier)", () => {
  const b = Buffer.from(PETER_VKEY);
  for (let i = 0; i <= b.length; i++) {
    for (let j = i + 1; j <= b.length; j++) {
      if (i === 0 && j === b.length) continue;
      assert.throws(
        () => parseVerifierKey(b.subarray(i, j).toString()),
        NoteError,
        b.subarray(i, j).toString(),
      );
    }
  }
  for (let i = 0; i < b.length; i++) {
    const changed = Buffer.from(b);
    changed[i] = (changed[i] ?? 0) + 1;
    assert.throws(() => parseVerifierKey(changed.toString()), NoteError, changed.toString());
  }
});

test('a vkey of another signature type, or of a key that is not 32 bytes, is refused even with a matching key ID', () => {
  throwsNote(
    () => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    'E_NOTE_VERIFIER_KEY',
    /unsupported signature type 0x65/,
  );
  throwsNote(
    () => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    'E_NOTE_VERIFIER_KEY',
  );
  const cosigner = Buffer.concat([Buffer.from([0x04]), peter.publicKeyRaw]);
  const cosignerId = noteKeyId('w', 0x04, peter.publicKeyRaw).toString(16).padStart(8, '0');
  throwsNote(
    () => parseVerifierKey(`w+${cosignerId}+${cosigner.toString('base64')}`),
    'E_NOTE_VERIFIER_KEY',
    /0x04/,
  );
  throwsNote(
    () => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    'E_NOTE_VERIFIER_KEY',
    /c74f20a3/,
  );
  throwsNote(
    () => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    'E_NOTE_KEY_NAME',
  );
});

test('a vkey with an upper-case key ID parses (as Go accepts it) and formats back in lower case', () => {
  const v = parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  assert.equal(formatVerifierKey(v), PETER_VKEY);
});

// Note text: any Unicode scalar values except ASCII control characters other than newline, ending in "\n".
const noteLine = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\x00-\x1f]/g, ''));
const noteText = fc.array(noteLine, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n') + '\n');
const otherKey = generateSigningKey('example.com/other');

test('property: any valid text signed by one or two keys opens to the same text', () => {
  fc.assert(
    fc.property(noteText, fc.boolean(), (text, two) => {
      assert.equal(describeInvalidNoteText(text), undefined);
      const signers = two ? [peterKey, otherKey] : [peterKey];
      const opened = openNote(signNote(text, signers), signers.map(verifierKeyOf));
      assert.equal(opened.text, text);
      assert.equal(opened.signatures.length, signers.length);
      assert.ok(opened.signatures.every((s) => s.verified));
    }),
    { numRuns: 300 },
  );
});

test('property: changing any single byte of a signed note makes it fail to open', () => {
  fc.assert(
    fc.property(noteText, fc.nat(), fc.integer({ min: 1, max: 255 }), (text, at, delta) => {
      const bytes = Buffer.from(signNote(text, [peterKey]));
      const i = at % bytes.length;
      bytes[i] = ((bytes[i] ?? 0) + delta) % 256;
      assert.throws(() => openNote(bytes, [peter]), NoteError);
    }),
    { numRuns: 2000 },
  );
});

test('property: every byte position of the Go note, changed, fails to open', () => {
  const note = Buffer.from(GO_TEXT + '\n' + PETER_SIG);
  for (let i = 0; i < note.length; i++) {
    for (const delta of [1, 0x20, 0x80]) {
      const bytes = Buffer.from(note);
      bytes[i] = ((bytes[i] ?? 0) + delta) % 256;
      assert.throws(() => openNote(bytes, [peter]), NoteError, `byte ${i} + ${delta}`);
    }
  }
});
