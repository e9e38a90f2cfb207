// Ed25519 key files: the private key is born owner-only and never overwritten, loading refuses
// exposed files, and no error ever quotes key material.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  generateSigningKey,
  KeyError,
  type KeyErrorCode,
  readSigningKey,
  readVerifierKey,
  signingKeyFromSeed,
  verifierKeyOf,
  writeKeyFiles,
} from '../../src/crypto/ed25519_key.js';
import { formatVerifierKey, openNote, parseVerifierKey, signNote } from '../../src/crypto/signed_note.js';

const root = mkdtempSync(join(tmpdir(), 'carapace-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => join(root, `d${dirCount++}`);

function throwsKey(fn: () => unknown, code: KeyErrorCode, message?: RegExp): KeyError {
  let caught: KeyError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KeyError, `expected a KeyError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    caught = e;
    return true;
  });
  return caught as KeyError;
}

const mode = (path: string) => statSync(path).mode & 0o777;

test('a generated key is an Ed25519 pair with its 32-byte raw public key', () => {
  const key = generateSigningKey('example.com/log');
  assert.equal(key.name, 'example.com/log');
  assert.equal(key.privateKey.asymmetricKeyType, 'ed25519');
  assert.equal(key.publicKey.asymmetricKeyType, 'ed25519');
  assert.equal(key.publicKeyRaw.length, 32);
  const sig = sign(null, Buffer.from('m'), key.privateKey);
  assert.ok(verify(null, Buffer.from('m'), key.publicKey, sig));
  assert.deepEqual(key.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32), key.publicKeyRaw);
});

test('a key name that is not a valid note key name is refused', () => {
  for (const name of ['', 'has space', 'has+plus', 'tab\there']) {
    throwsKey(() => generateSigningKey(name), 'E_KEY_NAME');
  }
});

test('a key derived from a seed is the RFC 8032 key of that seed (RFC 8032 §7.1 test 1)', () => {
  const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
  const key = signingKeyFromSeed('rfc8032', seed);
  assert.equal(
    key.publicKeyRaw.toString('hex'),
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  );
  assert.equal(
    sign(null, Buffer.alloc(0), key.privateKey).toString('hex'),
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' +
      '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  );
  throwsKey(() => signingKeyFromSeed('short', seed.subarray(1)), 'E_KEY_INVALID');
});

test('writeKeyFiles creates the directory 0700, the private key 0600 and the vkey file', () => {
  const dir = join(freshDir(), 'nested', 'keys');
  const key = generateSigningKey('example.com/log');
  const { privatePath, publicPath } = writeKeyFiles(dir, key);
  assert.equal(privatePath, join(dir, 'example.com_log.key'));
  assert.equal(publicPath, join(dir, 'example.com_log.pub'));
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(privatePath), 0o600);
  assert.match(readFileSync(privatePath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(readFileSync(publicPath, 'utf8'), `${formatVerifierKey(key)}\n`);
});

test('the private key file is 0600 from its creation, whatever the umask', () => {
  const previous = process.umask(0);
  try {
    const { privatePath, publicPath } = writeKeyFiles(freshDir(), generateSigningKey('umask-zero'));
    assert.equal(mode(privatePath), 0o600);
    assert.equal(mode(publicPath), 0o644);
  } finally {
    process.umask(previous);
  }
});

test('an existing key file is never overwritten, and a refused write leaves no half pair', () => {
  const dir = freshDir();
  const first = generateSigningKey('log');
  const { privatePath, publicPath } = writeKeyFiles(dir, first);
  const before = readFileSync(privatePath);
  throwsKey(() => writeKeyFiles(dir, generateSigningKey('log')), 'E_KEY_EXISTS', /log\.key already exists/);
  assert.deepEqual(readFileSync(privatePath), before);
  assert.equal(readFileSync(publicPath, 'utf8'), `${formatVerifierKey(first)}\n`);

  const other = freshDir();
  writeKeyFiles(other, generateSigningKey('x'));
  rmSync(join(other, 'x.key'));
  throwsKey(() => writeKeyFiles(other, generateSigningKey('x')), 'E_KEY_EXISTS', /x\.pub already exists/);
  assert.equal(existsSync(join(other, 'x.key')), false);
});

test('file names are made safe: no path separators, no leading dot', () => {
  const dir = freshDir();
  assert.equal(
    writeKeyFiles(dir, generateSigningKey('../../etc/passwd')).privatePath,
    join(dir, '_._.._etc_passwd.key'),
  );
  assert.equal(writeKeyFiles(dir, generateSigningKey('.hidden')).publicPath, join(dir, '_hidden.pub'));
});

test('a written key reads back as the same key, and signs notes its vkey file verifies', () => {
  const dir = freshDir();
  const key = generateSigningKey('carapace.local/audit');
  const { privatePath, publicPath } = writeKeyFiles(dir, key);
  const loaded = readSigningKey(privatePath, 'carapace.local/audit');
  assert.deepEqual(loaded.publicKeyRaw, key.publicKeyRaw);
  const vkey = readVerifierKey(publicPath);
  const expected = verifierKeyOf(key);
  assert.deepEqual(
    [vkey.name, vkey.keyId, vkey.publicKeyRaw],
    [expected.name, expected.keyId, expected.publicKeyRaw],
  );
  assert.equal(openNote(signNote('hello\n', [loaded]), [vkey]).text, 'hello\n');
});

test('a private key file readable or writable by group or others is refused', () => {
  const dir = freshDir();
  const { privatePath } = writeKeyFiles(dir, generateSigningKey('k'));
  for (const m of [0o640, 0o604, 0o620, 0o602, 0o644]) {
    chmodSync(privatePath, m);
    throwsKey(
      () => readSigningKey(privatePath, 'k'),
      'E_KEY_PERMISSIONS',
      new RegExp(`mode 0${m.toString(8)}`),
    );
  }
  chmodSync(privatePath, 0o400);
  assert.equal(readSigningKey(privatePath, 'k').name, 'k');
});

test('errors about a private key file never quote its contents', () => {
  const dir = freshDir();
  const secret = 'SECRET-d41d8cd98f00b204e9800998ecf8427e';
  const garbage = join(dir, 'garbage.key');
  writeKeyFiles(dir, generateSigningKey('g')); // creates dir
  writeFileSync(garbage, `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`, {
    mode: 0o600,
  });
  const e1 = throwsKey(
    () => readSigningKey(garbage, 'g'),
    'E_KEY_INVALID',
    /garbage\.key is not a PEM private key/,
  );
  assert.ok(!e1.message.includes(secret) && !String(e1.stack).includes(secret) && e1.cause === undefined);

  chmodSync(garbage, 0o644);
  const e2 = throwsKey(() => readSigningKey(garbage, 'g'), 'E_KEY_PERMISSIONS');
  assert.ok(!e2.message.includes(secret));

  const ec = join(dir, 'ec.key');
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  });
  writeFileSync(ec, pem, { mode: 0o600 });
  const e3 = throwsKey(() => readSigningKey(ec, 'g'), 'E_KEY_INVALID', /is ec, not Ed25519/);
  assert.ok(!e3.message.includes(pem.toString().split('\n')[1] ?? 'unreachable'));

  throwsKey(() => readSigningKey(join(dir, 'missing.key'), 'g'), 'E_KEY_IO', /ENOENT/);
  throwsKey(() => readSigningKey(dir, 'g'), 'E_KEY_INVALID', /not a regular file/);
  throwsKey(() => readSigningKey(join(dir, 'g.key'), 'bad name'), 'E_KEY_NAME');
});

test('a verifier key is read from its text or from a file holding it', () => {
  const vkeyText = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  assert.equal(readVerifierKey(vkeyText).keyId, 0xc74f20a3);
  const dir = freshDir();
  writeKeyFiles(dir, generateSigningKey('d')); // creates dir
  const file = join(dir, 'peter.pub');
  writeFileSync(file, `${vkeyText}\n`);
  assert.deepEqual(readVerifierKey(file).publicKeyRaw, parseVerifierKey(vkeyText).publicKeyRaw);
  writeFileSync(file, 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n');
  throwsKey(() => readVerifierKey(file), 'E_KEY_INVALID', /peter\.pub.*key ID/);
  throwsKey(
    () => readVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    'E_KEY_INVALID',
  );
  throwsKey(() => readVerifierKey(join(dir, 'nope.pub')), 'E_KEY_IO', /nope\.pub/);
});
