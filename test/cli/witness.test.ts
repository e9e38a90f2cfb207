// `carapace witness serve` as its own process, and `carapace audit verify --witness-key`: a log whose
// checkpoints the witness cosigned verifies; with another witness key, or a cosignature tampered, it fails.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_ORIGIN, findKeyFiles, openDataDirLog } from '../../src/audit/log_files.js';
import { formatVerifierKey } from '../../src/crypto/signed_note.js';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import { cosignerKeyOf, formatCosignerKey, parseCosignerKey } from '../../src/witness/cosignature.js';
import { WitnessExporter } from '../../src/witness/exporter.js';
import { segmentPath } from '../audit/helpers.js';
import { carapace } from './run_carapace.js';

const BIN = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));

test('witness serve cosigns a log; audit verify --witness-key passes, and fails on another key or a tampered cosignature', async () => {
  const root = mkdtempSync(join(tmpdir(), 'carapace-cli-witness-'));
  const dataDir = join(root, 'gw');
  const { log } = await openDataDirLog(dataDir, { checkpointEvery: 4, checkpointIntervalMs: 100 });
  const logVkey = findKeyFiles(dataDir, DEFAULT_ORIGIN)?.vkey;
  assert.ok(logVkey);
  const child = spawn(process.execPath, [
    BIN,
    'witness',
    'serve',
    '--data-dir',
    join(root, 'w'),
    '--port',
    '0',
    '--log-key',
    formatVerifierKey(logVkey),
  ]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 30_000;
    while (!/listening on (http:\/\/\S+) /.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`witness did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /listening on (http:\/\/\S+) /.exec(out)?.[1] as string;
    const vkeyPath = join(root, 'w', 'witness.vkey');
    const key = parseCosignerKey(readFileSync(vkeyPath, 'utf8'));
    const exporter = new WitnessExporter(log, [{ url, key }], { retryMs: 100 });
    for (let i = 0; i < 10; i++) await log.append('test.event', { i });
    await log.checkpoint();
    const until = Date.now() + 15_000;
    while (!exporter.status().allCosigned) {
      if (Date.now() > until) throw new Error(`not cosigned: ${JSON.stringify(exporter.status())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await exporter.close();
    await log.close();

    const ok = await carapace(['audit', 'verify', dataDir, '--witness-key', vkeyPath]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /witnessed: \d+ cosignatures?; carapace\.local\/witness cosigned up to size \d+/);

    const otherPath = join(root, 'other.vkey');
    writeFileSync(otherPath, formatCosignerKey(cosignerKeyOf(generateSigningKey('carapace.local/witness'))));
    const other = await carapace(['audit', 'verify', dataDir, '--witness-key', otherPath]);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /FAIL .*\(witness\)/);

    // Tamper with a cosignature: the log no longer verifies at all (the entry's hash covers it).
    const path = await segmentPath(dataDir);
    const text = readFileSync(path, 'utf8');
    const tampered = text.replace(
      /("cosignature":"— carapace\.local\/witness )(.)/,
      (_m, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`,
    );
    assert.notEqual(tampered, text);
    writeFileSync(path, tampered);
    const bad = await carapace(['audit', 'verify', dataDir, '--witness-key', vkeyPath]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^FAIL/);
  } finally {
    child.kill('SIGTERM');
  }
});
