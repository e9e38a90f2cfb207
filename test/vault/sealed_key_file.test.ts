// The gateway's own private key files sealed at rest (issue 14, SH-1): written sealed, read back
// sealed, a plain one sealed in place with its plain bytes wiped; another root, another key's file or
// any changed byte refuses with its code, never a key.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  generateSigningKey,
  isSealedKeyFile,
  KeyError,
  readSigningKey,
  sealKeyFileInPlace,
  signingKeyFromSeed,
  writeKeyFiles,
} from '../../src/crypto/ed25519_key.js';
import { rootFromKey } from '../../src/vault/root_key.js';
import {
  dataDirKeySealer,
  keySealerOf,
  SEALED_KEY_FORMAT,
  sealingRootAvailable,
} from '../../src/vault/sealed_key_file.js';
import { freshDataDir, TEST_MASTER_KEY_HEX } from './helpers.js';

const rootA = () => rootFromKey(Buffer.from(TEST_MASTER_KEY_HEX, 'hex'), 'env');
const rootB = () => rootFromKey(Buffer.alloc(32, 7), 'env');
const NAME = 'carapace.local/exec';

const codeIs = (code: string) => (e: unknown) => e instanceof KeyError && e.code === code;

function keyDir(): string {
  const dir = join(freshDataDir('carapace-sealed-key-'), 'keys');
  mkdirSync(dir, { recursive: true });
  return dir;
}

test('a key written with a sealer holds no PEM and no seed, is owner-only, and reads back as the same key', () => {
  const dir = keyDir();
  const seed = Buffer.alloc(32, 0x5a);
  const key = signingKeyFromSeed(NAME, seed);
  const { privatePath, publicPath, sealed } = writeKeyFiles(dir, key, { sealer: keySealerOf(rootA()) });
  assert.equal(sealed, true);
  const text = readFileSync(privatePath, 'utf8');
  assert.doesNotMatch(text, /BEGIN/);
  for (const form of [seed.toString('hex'), seed.toString('base64'), seed.toString('base64url')])
    assert.ok(!text.includes(form), 'the seed is not in the file in any encoding');
  const file = JSON.parse(text) as Record<string, unknown>;
  assert.equal(file.format, SEALED_KEY_FORMAT);
  assert.equal(file.name, NAME);
  assert.equal(file.aead, 'AES-256-GCM');
  assert.equal(statSync(privatePath).mode & 0o777, 0o600);
  assert.match(
    readFileSync(publicPath, 'utf8'),
    /^carapace\.local\/exec\+[0-9a-f]{8}\+/,
    'the .pub stays plain',
  );
  assert.equal(isSealedKeyFile(privatePath), true);
  const back = readSigningKey(privatePath, NAME, { sealer: keySealerOf(rootA()) });
  assert.deepEqual(back.publicKeyRaw, key.publicKeyRaw);
});

test('a sealed key refuses: without a root (E_KEY_SEALED), under another root (E_KEY_SEALED_ROOT), as another key (E_KEY_UNSEAL)', () => {
  const dir = keyDir();
  const { privatePath } = writeKeyFiles(dir, generateSigningKey(NAME), { sealer: keySealerOf(rootA()) });
  assert.throws(() => readSigningKey(privatePath, NAME), codeIs('E_KEY_SEALED'));
  assert.throws(
    () => readSigningKey(privatePath, NAME, { sealer: keySealerOf(rootB()) }),
    (e: unknown) =>
      codeIs('E_KEY_SEALED_ROOT')(e) && /give the root it was sealed under/.test((e as Error).message),
  );
  // The token key's file given as the audit key's: its name is bound, it does not unseal.
  assert.throws(
    () => readSigningKey(privatePath, 'carapace.local/audit', { sealer: keySealerOf(rootA()) }),
    codeIs('E_KEY_UNSEAL'),
  );
});

test('property: any change to a sealed file (ciphertext, tag, nonce, salt, name, purpose) refuses', () => {
  const dir = keyDir();
  const sealer = keySealerOf(rootA());
  const { privatePath } = writeKeyFiles(dir, generateSigningKey(NAME), { sealer });
  const original = JSON.parse(readFileSync(privatePath, 'utf8')) as Record<string, string>;
  const fields = ['ciphertext', 'tag', 'nonce', 'salt', 'name', 'purpose'] as const;
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 1, max: 255 }), (field, at, flip) => {
      const value = Buffer.from(
        original[field]!,
        field === 'name' || field === 'purpose' ? 'utf8' : 'base64url',
      );
      value[at % value.length]! ^= flip;
      const changed = {
        ...original,
        [field]:
          field === 'name' || field === 'purpose' ? value.toString('latin1') : value.toString('base64url'),
      };
      const bytes = Buffer.from(JSON.stringify(changed));
      assert.throws(
        () => sealer.unseal(NAME, bytes, privatePath),
        (e: unknown) => e instanceof KeyError && ['E_KEY_UNSEAL', 'E_KEY_INVALID'].includes(e.code),
      );
    }),
    { numRuns: 120 },
  );
});

test('a plain PEM key is sealed in place: same key, no plain bytes left under any name, idempotent', () => {
  const dir = keyDir();
  const key = generateSigningKey(NAME);
  const { privatePath } = writeKeyFiles(dir, key);
  assert.equal(isSealedKeyFile(privatePath), false);
  const sealer = keySealerOf(rootA());
  assert.equal(sealKeyFileInPlace(privatePath, NAME, sealer), true);
  assert.equal(isSealedKeyFile(privatePath), true);
  assert.equal(statSync(privatePath).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['carapace.local_exec.key', 'carapace.local_exec.pub']);
  for (const name of readdirSync(dir))
    assert.doesNotMatch(readFileSync(join(dir, name), 'utf8'), /PRIVATE KEY/);
  assert.deepEqual(readSigningKey(privatePath, NAME, { sealer }).publicKeyRaw, key.publicKeyRaw);
  assert.equal(sealKeyFileInPlace(privatePath, NAME, sealer), false, 'already sealed: left as it is');
});

test('a plain copy left by an interrupted sealing is wiped by the next one', () => {
  const dir = keyDir();
  const { privatePath } = writeKeyFiles(dir, generateSigningKey(NAME));
  const pem = readFileSync(privatePath);
  const sealer = keySealerOf(rootA());
  sealKeyFileInPlace(privatePath, NAME, sealer);
  writeFileSync(`${privatePath}.plain`, pem, { mode: 0o600 }); // as if the process died before the wipe
  assert.equal(sealKeyFileInPlace(privatePath, NAME, sealer), false);
  assert.equal(existsSync(`${privatePath}.plain`), false);
});

test("the data directory's sealer exists only with a root: environment or <data>/vault/master.key", () => {
  const dataDir = freshDataDir('carapace-sealed-key-root-');
  assert.equal(sealingRootAvailable(dataDir, { env: {} }), false);
  assert.equal(dataDirKeySealer(dataDir, { env: {} }), null);
  const fromEnv = dataDirKeySealer(dataDir, { env: { CARAPACE_MASTER_KEY: TEST_MASTER_KEY_HEX } });
  assert.equal(fromEnv?.root.source, 'env');
  mkdirSync(join(dataDir, 'vault'), { recursive: true });
  writeFileSync(join(dataDir, 'vault', 'master.key'), `${Buffer.alloc(32, 3).toString('base64')}\n`, {
    mode: 0o600,
  });
  assert.equal(dataDirKeySealer(dataDir, { env: {} })?.root.source, 'file');
  assert.equal(fromEnv?.root.key_id, keySealerOf(rootA()).root.key_id);
});
