// `carapace doctor` checks the deployment serve would run with the same flags against SH-1..SH-3, and
// `carapace serve --security-level` refuses to start at a level that is not met, naming what is missing.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTestPki, opensslMissing } from '../gateway/tls_certs.js';
import { carapace, json } from './run_carapace.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'carapace-doctor-'));
type Check = { id: string; level: string; pass: boolean; evidence: string; fix: string };

test('doctor on the default embedded setup reports its SH-1 gaps honestly: TLS off on loopback is fine', async () => {
  const dir = dataDir();
  const text = await carapace(['doctor', '-d', dir]);
  assert.equal(text.code, 0, text.stdout + text.stderr);
  assert.match(text.stdout, /PASS {2}tls-non-loopback: .*\n {8}every listener is loopback-only/);
  assert.match(text.stdout, /FAIL {2}keys-sealed: .*\n.*\n {8}fix: give a sealing root/);
  assert.match(text.stdout, /meets: no level/);
  const asked = await carapace(['doctor', '-d', dir, '--level', 'SH-1', '--json']);
  assert.equal(asked.code, 1, 'a level not met exits 1');
  const report = json(asked) as { level_met: string | null; ok: boolean; checks: Check[] };
  assert.equal(report.ok, false);
  assert.equal(report.level_met, null);
  assert.equal(report.checks.find((c) => c.id === 'tls-non-loopback')?.pass, true);
  assert.equal(
    report.checks.find((c) => c.id === 'control-plane-split')?.pass,
    true,
    'serve splits by default',
  );
});

test('doctor: plain HTTP on a public address is an SH-1 failure', async () => {
  const run = await carapace(['doctor', '-d', dataDir(), '--broker', '--host', '0.0.0.0', '--json']);
  const checks = (json(run) as { checks: Check[] }).checks;
  const tls = checks.find((c) => c.id === 'tls-non-loopback');
  assert.equal(tls?.pass, false);
  assert.match(tls?.evidence ?? '', /plain HTTP on data 0\.0\.0\.0:8787/);
  assert.match(tls?.fix ?? '', /--tls-cert/);
});

test(
  'doctor: a configured TLS deployment passes SH-2, and says what SH-3 lacks',
  { skip: opensslMissing() ?? false },
  async () => {
    const pki = makeTestPki();
    const args = [
      'doctor',
      '-d',
      dataDir(),
      '--broker',
      '--host',
      '0.0.0.0',
      '--tls-cert',
      pki.certFile,
      '--tls-key',
      pki.keyFile,
      '--security-level',
      'SH-2',
    ];
    const run = await carapace([...args, '--level', 'SH-2', '--json']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = json(run) as { level_met: string; checks: Check[] };
    assert.equal(report.level_met, 'SH-2');
    const sh3 = await carapace([...args, '--level', 'SH-3']);
    assert.equal(sh3.code, 1);
    assert.match(sh3.stdout, /FAIL {2}tee-present/);
    assert.match(sh3.stdout, /FAIL {2}tee-verified: .*\n {8}no TEE report obtained: /);
    assert.match(sh3.stdout, /FAIL {2}audit-witness/);
  },
);

test('serve --security-level SH-3 without TEE evidence refuses to start and says why', async () => {
  const run = await carapace([
    'serve',
    '--broker',
    '--hall',
    'none',
    '--port',
    '0',
    '--control-port',
    '0',
    '-d',
    dataDir(),
    '--security-level',
    'SH-3',
  ]);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  const error = json(run);
  assert.equal(error.code, 'E_SECURITY_LEVEL');
  assert.match(error.error as string, /SH-3 is not met; the gateway did not start/);
  assert.match(error.detail as string, /tee-present \(.*no TEE/);
  assert.match(error.detail as string, /tee-verified/);
  assert.match(error.detail as string, /audit-witness/);
});

test('serve refuses a half TLS configuration and an unknown level', async () => {
  const half = await carapace(['serve', '--hall', 'none', '-d', dataDir(), '--tls-cert', '/x.pem']);
  assert.equal(half.code, 2);
  assert.equal(json(half).code, 'E_SERVE_OPTION');
  const level = await carapace(['serve', '--hall', 'none', '-d', dataDir(), '--security-level', 'SH-9']);
  assert.equal(json(level).code, 'E_SERVE_OPTION');
});

test('keys sealed at rest through the CLI: generate sealed under $CARAPACE_MASTER_KEY, doctor names them, serve refuses another root with its code', async () => {
  const dir = dataDir();
  const rootA = { CARAPACE_MASTER_KEY: Buffer.alloc(32, 1).toString('hex') };
  const rootB = { CARAPACE_MASTER_KEY: Buffer.alloc(32, 2).toString('hex') };
  const generated = await carapace(['keys', 'generate', '-d', dir], '', rootA);
  assert.equal(generated.code, 0, generated.stdout + generated.stderr);
  assert.equal(json(generated).sealed, true);
  assert.doesNotMatch(readFileSync(String(json(generated).private_key), 'utf8'), /PRIVATE KEY/);
  const doctor = await carapace(['doctor', '-d', dir, '--json'], '', rootA);
  const check = (json(doctor) as { checks: Check[] }).checks.find((c) => c.id === 'keys-sealed');
  assert.equal(check?.pass, true, check?.evidence);
  assert.match(check?.evidence ?? '', /sealed: carapace\.local\/audit/);
  const wrong = await carapace(['serve', '--hall', 'none', '--port', '0', '-d', dir], '', rootB);
  assert.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
  assert.equal(json(wrong).code, 'E_KEY_SEALED_ROOT');
  assert.match(String(json(wrong).error), /did not start/);
  // A --token-key file sealed in place for a cluster's instances.
  const plainDir = dataDir();
  const made = await carapace(['keys', 'generate', '-d', plainDir, '--origin', 'carapace.local/exec'], '', {
    CARAPACE_MASTER_KEY: undefined,
  });
  assert.equal(json(made).sealed, false);
  const tokenFile = String(json(made).private_key);
  const sealed = await carapace(['keys', 'seal', '--file', tokenFile, '-d', dir], '', rootA);
  assert.equal(sealed.code, 0, sealed.stdout + sealed.stderr);
  assert.equal(json(sealed).was_plain, true);
  assert.doesNotMatch(readFileSync(tokenFile, 'utf8'), /PRIVATE KEY/);
});
