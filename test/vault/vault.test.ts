// The vault seals secrets at rest: values never on disk in any form, records that unseal only as they
// were written (a tampered byte or a widened policy is refused), keys from the environment or a 0600
// key file, and every failure a VaultError with a code, never the value.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { VaultError, type VaultErrorCode } from '../../src/vault/errors.js';
import { secretsDir } from '../../src/vault/record_files.js';
import { Vault } from '../../src/vault/vault.js';
import { CANARY, freshDataDir, githubPolicy, leaksIn, TEST_MASTER_KEY_HEX } from './helpers.js';

const value = Buffer.from(CANARY);

function throwsCode(fn: () => unknown, code: VaultErrorCode) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VaultError, `expected a VaultError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes(CANARY), 'an error message carries the secret');
    return true;
  });
}

function recordFile(dataDir: string, id = 'github') {
  return join(secretsDir(dataDir), `${id}.json`);
}

function editRecord(dataDir: string, edit: (r: Record<string, unknown>) => void, id = 'github') {
  const record = JSON.parse(readFileSync(recordFile(dataDir, id), 'utf8')) as Record<string, unknown>;
  edit(record);
  writeFileSync(recordFile(dataDir, id), JSON.stringify(record));
}

test('a sealed secret unseals to its value in memory, and no form of it is written anywhere in the data directory', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  const meta = vault.put('github', value, githubPolicy());
  assert.equal(meta.version, 1);
  assert.match(meta.policy_hash, /^sha256:[0-9a-f]{64}$/);
  const seen = vault.use('github', (v) => v.toString('utf8'));
  assert.equal(seen, CANARY);
  assert.deepEqual(leaksIn(dataDir, CANARY), []);
  // Born owner-only: the key file, the record, the directories.
  assert.equal(statSync(join(dataDir, 'vault', 'master.key')).mode & 0o777, 0o600);
  assert.equal(statSync(recordFile(dataDir)).mode & 0o777, 0o600);
  assert.equal(statSync(secretsDir(dataDir)).mode & 0o777, 0o700);
});

test('the value lent to a function is zeroed when the function returns, also when it is async', async () => {
  const vault = new Vault(freshDataDir(), { env: {} });
  vault.put('github', value, githubPolicy());
  let kept: Buffer | null = null;
  vault.use('github', (v) => {
    kept = v;
  });
  assert.ok(kept !== null && (kept as Buffer).every((b) => b === 0));
  let keptAsync: Buffer | null = null;
  await vault.use('github', async (v) => {
    keptAsync = v;
    await new Promise((r) => setTimeout(r, 1));
    assert.equal(v.toString(), CANARY);
  });
  assert.ok(keptAsync !== null && (keptAsync as Buffer).every((b) => b === 0));
});

test('a flipped byte anywhere in the ciphertext, nonce, tag or salt fails to unseal (E_VAULT_UNSEAL)', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  const original = readFileSync(recordFile(dataDir), 'utf8');
  fc.assert(
    fc.property(
      fc.constantFrom('ciphertext', 'nonce', 'tag', 'salt'),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (field, at, xor) => {
        writeFileSync(recordFile(dataDir), original);
        editRecord(dataDir, (r) => {
          const bytes = Buffer.from(r[field] as string, 'base64url');
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ xor;
          r[field] = bytes.toString('base64url');
        });
        throwsCode(() => vault.use('github', () => 'unsealed'), 'E_VAULT_UNSEAL');
      },
    ),
    { numRuns: 60 },
  );
});

test('a widened policy on disk fails to unseal: another host, method, port, scheme, address range or limit', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  const original = readFileSync(recordFile(dataDir), 'utf8');
  type Policy = Record<string, unknown> & { hosts: unknown[]; limits: Record<string, number> };
  const widenings: [string, (p: Policy) => void][] = [
    ['a second host', (p) => p.hosts.push({ match: 'exact', value: 'attacker.example' })],
    ['subdomain match', (p) => (p.hosts = [{ match: 'subdomain', value: 'github.com' }])],
    ['every method', (p) => (p.methods = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'])],
    ['another port', (p) => (p.ports = [443, 8443])],
    ['plain http', (p) => (p.schemes = ['http', 'https'])],
    ['private addresses', (p) => (p.addresses = 'any')],
    ['a higher rate', (p) => (p.limits = { ...p.limits, rpm: 10_000 })],
    ['another header', (p) => (p.inject = { kind: 'header', name: 'x-api-key', template: '{secret}' })],
  ];
  for (const [what, widen] of widenings) {
    writeFileSync(recordFile(dataDir), original);
    editRecord(dataDir, (r) => widen(r.policy as Policy));
    assert.throws(
      () => vault.use('github', () => 'unsealed'),
      (e: unknown) => e instanceof VaultError && e.code === 'E_VAULT_UNSEAL',
      what,
    );
  }
  // And the other fields the associated data binds.
  for (const [field, v] of [
    ['version', 2],
    ['created_at', '2020-01-01T00:00:00.000Z'],
  ] as const) {
    writeFileSync(recordFile(dataDir), original);
    editRecord(dataDir, (r) => (r[field] = v));
    throwsCode(() => vault.use('github', () => 'unsealed'), 'E_VAULT_UNSEAL');
  }
  writeFileSync(recordFile(dataDir), original);
  assert.equal(
    vault.use('github', (v) => v.toString()),
    CANARY,
  );
});

test('a record copied under another id does not unseal as that id', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  vault.put('other', Buffer.from('another-value'), githubPolicy('api.other.test'));
  const stolen = JSON.parse(readFileSync(recordFile(dataDir), 'utf8')) as Record<string, unknown>;
  stolen.id = 'other';
  writeFileSync(recordFile(dataDir, 'other'), JSON.stringify(stolen));
  throwsCode(() => vault.use('other', () => 'unsealed'), 'E_VAULT_UNSEAL');
});

test('a malformed or foreign record is E_VAULT_RECORD_INVALID, never half-read', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  const original = readFileSync(recordFile(dataDir), 'utf8');
  for (const bad of ['not json', '{}', JSON.stringify({ ...JSON.parse(original), extra: 1 })]) {
    writeFileSync(recordFile(dataDir), bad);
    throwsCode(() => vault.use('github', () => 'unsealed'), 'E_VAULT_RECORD_INVALID');
  }
  // A policy that is not in sealed (normal) form: unsorted methods.
  writeFileSync(recordFile(dataDir), original);
  editRecord(dataDir, (r) => ((r.policy as Record<string, unknown>).methods = ['POST', 'GET']));
  throwsCode(() => vault.use('github', () => 'unsealed'), 'E_VAULT_RECORD_INVALID');
});

test('sealed under another master key: E_VAULT_KEY_MISMATCH; the environment key is used when set', () => {
  const dataDir = freshDataDir();
  new Vault(dataDir, { env: {} }).put('github', value, githubPolicy());
  const other = new Vault(dataDir, { env: { CARAPACE_MASTER_KEY: TEST_MASTER_KEY_HEX } });
  throwsCode(() => other.use('github', () => 'unsealed'), 'E_VAULT_KEY_MISMATCH');
  other.put('env-sealed', value, githubPolicy());
  assert.equal(
    other.use('env-sealed', (v) => v.toString()),
    CANARY,
  );
  const base64Key = Buffer.from(TEST_MASTER_KEY_HEX, 'hex').toString('base64');
  assert.equal(
    new Vault(dataDir, { env: { CARAPACE_MASTER_KEY: base64Key } }).use('env-sealed', (v) => v.toString()),
    CANARY,
  );
});

test('a malformed master key, a key file others can read, or no key when reading: E_VAULT_MASTER_KEY', () => {
  const dataDir = freshDataDir();
  const malformed = 'not-a-key-but-maybe-a-secret-typed-by-mistake';
  assert.throws(
    () => new Vault(dataDir, { env: { CARAPACE_MASTER_KEY: malformed } }).put('x', value, githubPolicy()),
    (e: unknown) =>
      e instanceof VaultError && e.code === 'E_VAULT_MASTER_KEY' && !e.message.includes(malformed),
  );
  // Reading a vault that has no key never creates one.
  const empty = new Vault(dataDir, { env: {} });
  assert.deepEqual(empty.list(), []);
  throwsCode(() => empty.use('github', () => 'x'), 'E_VAULT_SECRET_UNKNOWN');
  throwsCode(() => empty.rootInfo(false), 'E_VAULT_MASTER_KEY');
  assert.equal(existsSync(join(dataDir, 'vault', 'master.key')), false);
  new Vault(dataDir, { env: {} }).put('github', value, githubPolicy());
  chmodSync(join(dataDir, 'vault', 'master.key'), 0o644);
  throwsCode(() => new Vault(dataDir, { env: {} }).use('github', () => 'x'), 'E_VAULT_MASTER_KEY');
});

test('rotate seals a new value as the next version; a tampered record is not overwritten', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  const rotated = vault.rotate('github', Buffer.from('ghp_rotated_value_0000'));
  assert.equal(rotated.version, 2);
  assert.equal(
    vault.use('github', (v) => v.toString()),
    'ghp_rotated_value_0000',
  );
  assert.deepEqual(leaksIn(dataDir, CANARY), []);
  editRecord(dataDir, (r) => ((r.policy as Record<string, unknown>).addresses = 'any'));
  throwsCode(() => vault.rotate('github', value), 'E_VAULT_UNSEAL');
  assert.deepEqual(
    vault.list().map((s) => [s.id, s.sealed]),
    [['github', 'E_VAULT_UNSEAL']],
  );
});

test('put refuses a taken id, a bad id, a value that cannot go into a header; rm refuses an unknown id', () => {
  const vault = new Vault(freshDataDir(), { env: {} });
  vault.put('github', value, githubPolicy());
  throwsCode(() => vault.put('github', value, githubPolicy()), 'E_VAULT_SECRET_EXISTS');
  throwsCode(() => vault.put('../escape', value, githubPolicy()), 'E_VAULT_ID_INVALID');
  throwsCode(
    () => vault.put('lf', Buffer.from('a\r\nInjected: yes'), githubPolicy()),
    'E_VAULT_VALUE_INVALID',
  );
  throwsCode(() => vault.put('empty', Buffer.alloc(0), githubPolicy()), 'E_VAULT_VALUE_INVALID');
  vault.remove('github');
  throwsCode(() => vault.remove('github'), 'E_VAULT_SECRET_UNKNOWN');
  assert.deepEqual(vault.list(), []);
});

test('list shows ids, versions and policies, never values', () => {
  const dataDir = freshDataDir();
  const vault = new Vault(dataDir, { env: {} });
  vault.put('github', value, githubPolicy());
  const listed = vault.list();
  assert.equal(listed.length, 1);
  assert.equal(listed[0]?.sealed, 'ok');
  assert.equal(listed[0]?.policy.inject.template, 'Bearer {secret}');
  assert.ok(!JSON.stringify(listed).includes(CANARY));
});
