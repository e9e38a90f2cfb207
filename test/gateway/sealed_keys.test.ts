// The gateway's own signing keys (audit checkpoint key, execution-token key) sealed at rest when a
// sealing root is there (issue 14, SH-1): made sealed, plain ones sealed in place at start (recorded,
// no key material), the same keys across restarts (the audit log verifies across them), and a start
// refused with its code under another root or with a changed file: never a fresh key.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findKeyFiles, keysDir, readDataDirLog } from '../../src/audit/log_files.js';
import { verifyLog } from '../../src/audit/verify.js';
import {
  generateSigningKey,
  KeyError,
  sealKeyFileInPlace,
  writeKeyFiles,
} from '../../src/crypto/ed25519_key.js';
import { openGatewayContext, startGateway, TOKEN_KEY_NAME } from '../../src/gateway/serve.js';
import { dataDirKeySealer } from '../../src/vault/sealed_key_file.js';
import { freshDataDir } from '../vault/helpers.js';

const AUDIT_KEY = 'carapace.local/audit';
// The root these tests give is the data directory's master.key; one from the environment would win.
delete process.env.CARAPACE_MASTER_KEY;

/** Puts a master key file (the embedded default root) in the data directory. */
function giveRoot(dataDir: string, fill = 1): void {
  mkdirSync(join(dataDir, 'vault'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'vault', 'master.key'), `${Buffer.alloc(32, fill).toString('base64')}\n`, {
    mode: 0o600,
  });
}

/** Every file under `dir`, recursively. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? allFiles(join(dir, d.name)) : [join(dir, d.name)],
  );
}

function assertNoPemPrivateKey(dataDir: string): void {
  for (const file of allFiles(dataDir))
    assert.doesNotMatch(
      readFileSync(file, 'latin1'),
      /BEGIN (ED25519 |EC )?PRIVATE KEY/,
      `${file} holds a PEM key`,
    );
}

async function openAndClose(dataDir: string) {
  const opened = await openGatewayContext({ dataDir, openedBy: 'test', watchPolicy: false });
  const facts = {
    tokenKey: opened.ctx.tokenKey.publicKeyRaw.toString('hex'),
    storage: opened.ctx.keyStorage,
  };
  await opened.close();
  return facts;
}

async function auditEntries(dataDir: string): Promise<{ kind: string; payload: unknown }[]> {
  const { sources } = await readDataDirLog(dataDir);
  return sources.flatMap((s) =>
    s.bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { kind: string; payload: unknown }),
  );
}

async function assertAuditVerifies(dataDir: string): Promise<void> {
  const vkey = findKeyFiles(dataDir, AUDIT_KEY)?.vkey;
  assert.ok(vkey);
  const result = verifyLog((await readDataDirLog(dataDir)).sources, { key: vkey });
  assert.ok(result.ok, JSON.stringify(result));
}

test('with a root, the keys are made sealed (no PEM private key anywhere in the data directory) and stay the same across restarts', async () => {
  const dataDir = freshDataDir('carapace-sealkeys-new-');
  giveRoot(dataDir);
  const first = await openAndClose(dataDir);
  assert.deepEqual(
    first.storage?.keys.map((k) => [k.name, k.sealed]),
    [
      [AUDIT_KEY, true],
      [TOKEN_KEY_NAME, true],
    ],
  );
  assert.equal(first.storage?.sealingRoot, true);
  assertNoPemPrivateKey(dataDir);
  for (const name of readdirSync(keysDir(dataDir)).filter((n) => n.endsWith('.key')))
    assert.equal(statSync(join(keysDir(dataDir), name)).mode & 0o777, 0o600);
  const again = await openAndClose(dataDir);
  assert.equal(again.tokenKey, first.tokenKey, 'the same token key after a restart');
  await assertAuditVerifies(dataDir);
  assert.ok(!(await auditEntries(dataDir)).some((e) => e.kind === 'keys.sealed'), 'nothing was migrated');
});

test('plain keys found at start are sealed in place when a root appears, recorded without key material; the log verifies across', async () => {
  const dataDir = freshDataDir('carapace-sealkeys-migrate-');
  const plain = await openAndClose(dataDir);
  assert.deepEqual(
    plain.storage?.keys.map((k) => k.sealed),
    [false, false],
  );
  const pems = allFiles(keysDir(dataDir))
    .filter((f) => f.endsWith('.key'))
    .map((f) => readFileSync(f, 'utf8'));
  assert.ok(pems.every((p) => p.includes('BEGIN PRIVATE KEY')));
  giveRoot(dataDir);
  const sealed = await openAndClose(dataDir);
  assert.equal(sealed.tokenKey, plain.tokenKey, 'the same token key, now sealed');
  assert.deepEqual(
    sealed.storage?.keys.map((k) => k.sealed),
    [true, true],
  );
  assertNoPemPrivateKey(dataDir);
  assert.deepEqual(
    readdirSync(keysDir(dataDir)).sort(),
    [
      'carapace.local_audit.key',
      'carapace.local_audit.pub',
      'carapace.local_exec.key',
      'carapace.local_exec.pub',
    ],
    'no plain copy left under another name',
  );
  const recorded = (await auditEntries(dataDir)).filter((e) => e.kind === 'keys.sealed');
  assert.deepEqual(
    recorded.map((e) => (e.payload as { keys: string[] }).keys),
    [[AUDIT_KEY], [TOKEN_KEY_NAME]],
  );
  const text = JSON.stringify(recorded);
  for (const pem of pems) {
    const body = pem.split('\n').slice(1, -2).join('');
    assert.ok(!text.includes(body), 'no key material in the audit entry');
  }
  assert.match(text, /"source":"file"/);
  // Audit continuity: the log signed before with the plain key verifies with the same key, now sealed.
  await assertAuditVerifies(dataDir);
});

test('another root, a changed sealed file or a missing root refuses the start with its code; no fresh key is made', async () => {
  const dataDir = freshDataDir('carapace-sealkeys-refuse-');
  giveRoot(dataDir, 1);
  const first = await openAndClose(dataDir);
  const before = allFiles(keysDir(dataDir))
    .sort()
    .map((f) => readFileSync(f, 'utf8'));
  const refused = async (code: string) =>
    assert.rejects(openGatewayContext({ dataDir, openedBy: 'test', watchPolicy: false }), (e: unknown) => {
      assert.ok(e instanceof KeyError, String(e));
      assert.equal(e.code, code);
      assert.doesNotMatch(e.message, /BEGIN|ciphertext/);
      return true;
    });
  giveRoot(dataDir, 2);
  await refused('E_KEY_SEALED_ROOT');
  rmSync(join(dataDir, 'vault', 'master.key'));
  await refused('E_KEY_SEALED');
  giveRoot(dataDir, 1);
  const tokenFile = join(keysDir(dataDir), 'carapace.local_exec.key');
  const sealed = JSON.parse(readFileSync(tokenFile, 'utf8')) as { ciphertext: string };
  const bytes = Buffer.from(sealed.ciphertext, 'base64url');
  bytes[5]! ^= 1;
  writeFileSync(tokenFile, JSON.stringify({ ...sealed, ciphertext: bytes.toString('base64url') }), {
    mode: 0o600,
  });
  await refused('E_KEY_UNSEAL');
  // Nothing was replaced by a fresh key, and the data directory was released each time.
  const after = allFiles(keysDir(dataDir))
    .sort()
    .map((f) => readFileSync(f, 'utf8'));
  assert.equal(after.length, before.length);
  assert.equal(after[0], before[0], 'the audit key file is untouched');
  writeFileSync(tokenFile, before[2]!, { mode: 0o600 });
  assert.equal((await openAndClose(dataDir)).tokenKey, first.tokenKey);
});

test('a sealed --token-key file opens on every instance given the same root, and on none without it', async () => {
  const keyDirPath = join(freshDataDir('carapace-sealkeys-shared-'), 'shared');
  const shared = generateSigningKey(TOKEN_KEY_NAME);
  const { privatePath } = writeKeyFiles(keyDirPath, shared);
  const a = freshDataDir('carapace-sealkeys-a-');
  const b = freshDataDir('carapace-sealkeys-b-');
  giveRoot(a, 9);
  giveRoot(b, 9);
  const sealer = dataDirKeySealer(a, { env: {} });
  assert.ok(sealer);
  assert.equal(sealKeyFileInPlace(privatePath, TOKEN_KEY_NAME, sealer), true);
  for (const dataDir of [a, b]) {
    const opened = await openGatewayContext({
      dataDir,
      openedBy: 'test',
      tokenKeyFile: privatePath,
      watchPolicy: false,
    });
    try {
      assert.deepEqual(opened.ctx.tokenKey.publicKeyRaw, shared.publicKeyRaw);
      assert.deepEqual(
        opened.ctx.keyStorage?.keys.find((k) => k.name === TOKEN_KEY_NAME),
        { name: TOKEN_KEY_NAME, path: privatePath, sealed: true },
      );
    } finally {
      await opened.close();
    }
  }
  await assert.rejects(
    openGatewayContext({
      dataDir: freshDataDir('carapace-sealkeys-c-'),
      openedBy: 'test',
      tokenKeyFile: privatePath,
    }),
    (e: unknown) => e instanceof KeyError && e.code === 'E_KEY_SEALED',
  );
});

test('SH-1 keys-sealed: fails with plain keys saying how to fix, passes once a root sealed them', async () => {
  const dataDir = freshDataDir('carapace-sealkeys-sh1-');
  const plain = await startGateway({ dataDir, port: 0, logLevel: 'silent' });
  const failing = plain.security.find((c) => c.id === 'keys-sealed');
  await plain.close();
  assert.equal(failing?.pass, false);
  assert.match(failing?.evidence ?? '', /plain PEM: carapace\.local\/audit .*carapace\.local\/exec/);
  assert.match(failing?.fix ?? '', /CARAPACE_MASTER_KEY/);
  giveRoot(dataDir);
  const sealed = await startGateway({ dataDir, port: 0, logLevel: 'silent', securityLevel: 'SH-1' });
  const passing = sealed.security.find((c) => c.id === 'keys-sealed');
  await sealed.close();
  assert.equal(passing?.pass, true, passing?.evidence);
  assert.match(passing?.evidence ?? '', /sealed: carapace\.local\/audit, carapace\.local\/exec/);
});
