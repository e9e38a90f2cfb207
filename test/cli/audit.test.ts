// The audit commands as an auditor runs them: verify a data directory or a bundle, export, write a
// receipt and check it with nothing but the public key; tampering gives exit 1 naming the entry.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatVerifierKey } from '../../src/crypto/signed_note.js';
import { filledLog, segmentPath, tempDataDir } from '../audit/helpers.js';
import { carapace, json } from './run_carapace.js';

const { dataDir, vkey } = await filledLog(30, 8);
const vkeyText = formatVerifierKey(vkey);
const work = tempDataDir();

test('`keys show` prints the log verifier key; `keys generate` never replaces a key', async () => {
  const shown = await carapace(['keys', 'show', '--data-dir', dataDir]);
  assert.equal(shown.code, 0);
  assert.equal(shown.stdout.trim(), vkeyText);
  const fresh = join(work, 'fresh');
  const generated = await carapace(['keys', 'generate', '--data-dir', fresh]);
  assert.equal(generated.code, 0, generated.stdout);
  assert.match(String(json(generated).vkey), /^carapace\.local\/audit\+[0-9a-f]{8}\+/);
  assert.doesNotMatch(generated.stdout, /PRIVATE KEY/);
  const again = await carapace(['keys', 'generate', '--data-dir', fresh]);
  assert.equal(again.code, 2);
  assert.equal(json(again).code, 'E_KEY_EXISTS');
});

test('`audit verify` on a good log exits 0 with a one-line summary', async () => {
  const run = await carapace(['audit', 'verify', dataDir, '--key', vkeyText]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(run.stdout.trim().split('\n').length, 1);
  assert.match(run.stdout, /^OK: \d+ entries, \d+ checkpoints/);
});

test('`audit verify` on a tampered log exits 1 naming the first bad entry', async () => {
  const copy = tempDataDir();
  await carapace(['audit', 'export', '--data-dir', dataDir, '--out', join(copy, 'bundle')]);
  const path = await segmentPath(dataDir);
  const original = readFileSync(path);
  const lines = original.toString('utf8').split('\n');
  lines[11] = (lines[11] ?? '').replace('event number 1', 'event number 9');
  writeFileSync(path, lines.join('\n'));
  const run = await carapace(['audit', 'verify', dataDir, '--key', vkeyText]);
  writeFileSync(path, original);
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stdout, /^FAIL at seq 11 \(segment-0+\.ndjson byte \d+\): hash is/);
});

test('an exported bundle verifies with the public key alone', async () => {
  const bundle = join(work, 'audit.bundle');
  const exported = await carapace(['audit', 'export', '--data-dir', dataDir, '--out', bundle]);
  assert.equal(exported.code, 0, exported.stdout);
  const run = await carapace(['audit', 'verify', bundle, '--key', vkeyText]);
  assert.equal(run.code, 0, run.stdout);
  assert.match(run.stdout, /^OK: /);
  const other = await carapace(['keys', 'generate', '--data-dir', join(work, 'other')]);
  const wrong = await carapace(['audit', 'verify', bundle, '--key', String(json(other).vkey)]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stdout, /signature does not verify/);
});

test('`audit proof` writes a receipt that `audit verify-receipt` accepts with only the public key', async () => {
  const receipt = join(work, 'receipt-7.json');
  const proof = await carapace(['audit', 'proof', '7', '--data-dir', dataDir, '--out', receipt]);
  assert.equal(proof.code, 0, proof.stdout);
  const pub = join(work, 'log.pub');
  writeFileSync(pub, `${vkeyText}\n`);
  const ok = await carapace(['audit', 'verify-receipt', receipt, '--key', pub]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /^OK: entry 7 \(test\.event\)/);

  const tampered = JSON.parse(readFileSync(receipt, 'utf8'));
  tampered.entry.payload.text = 'rewritten';
  writeFileSync(receipt, JSON.stringify(tampered));
  const bad = await carapace(['audit', 'verify-receipt', receipt, '--key', pub]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^FAIL: entry 7: hash is/);
});

test('`audit proof` for an entry that does not exist exits 2 with {error, code, detail}', async () => {
  const run = await carapace(['audit', 'proof', '100000', '--data-dir', dataDir]);
  assert.equal(run.code, 2);
  assert.equal(json(run).code, 'E_NO_SUCH_ENTRY');
  const junk = await carapace(['audit', 'proof', '-1', '--data-dir', dataDir]);
  assert.equal(junk.code, 2);
});
