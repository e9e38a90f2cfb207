// The gateway's witness exporter over a real audit log and a real witness on a port: checkpoints end up
// cosigned in the log and the offline check passes; it fails when a cosignature is tampered or missing;
// a witness that is down costs no append, the gap is reported, and later checkpoints are cosigned.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditLog } from '../../src/audit/log.js';
import { readDataDirLog } from '../../src/audit/log_files.js';
import { openDataDirLog } from '../../src/audit/log_files.js';
import { verifyLog } from '../../src/audit/verify.js';
import { generateSigningKey, type SigningKey } from '../../src/crypto/ed25519_key.js';
import { cosignerKeyOf } from '../../src/witness/cosignature.js';
import { WitnessExporter } from '../../src/witness/exporter.js';
import { buildWitnessServer } from '../../src/witness/server.js';
import { verifyWitnessed } from '../../src/witness/verify_witnessed.js';
import { Witness } from '../../src/witness/witness.js';
import { readLines, segmentPath, tempDataDir, writeLines } from '../audit/helpers.js';
import { findKeyFiles, DEFAULT_ORIGIN } from '../../src/audit/log_files.js';

const witnessKey = generateSigningKey('witness.test/w1');

async function startWitness(logVkey: ReturnType<typeof findKeyFiles>, port = 0, dir?: string) {
  if (!logVkey) throw new Error('no log key');
  const witness = new Witness({
    dataDir: dir ?? mkdtempSync(join(tmpdir(), 'carapace-witness-')),
    key: witnessKey,
    logKeys: [logVkey.vkey],
  });
  const app = buildWitnessServer(witness, witnessKey.publicKeyRaw);
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port };
}

async function until(what: string, predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openLog(dataDir: string): Promise<AuditLog> {
  const { log } = await openDataDirLog(dataDir, { checkpointEvery: 5, checkpointIntervalMs: 100 });
  return log;
}

async function check(dataDir: string, key: SigningKey = witnessKey) {
  const { sources, vkey } = await readDataDirLog(dataDir);
  assert.ok(vkey);
  // verifyLog consumes the bytes it reads: the witness check gets its own copy.
  const copies = sources.map((s) => ({ ...s, bytes: Buffer.from(s.bytes) }));
  const own = verifyLog(sources, { key: vkey });
  assert.ok(own.ok, JSON.stringify(own));
  return verifyWitnessed(copies, [cosignerKeyOf(key)]);
}

test('every checkpoint of a growing log is cosigned in the audit, and the offline check passes', async () => {
  const dataDir = tempDataDir();
  const log = await openLog(dataDir);
  const w = await startWitness(findKeyFiles(dataDir, DEFAULT_ORIGIN));
  const exporter = new WitnessExporter(log, [{ url: w.url, key: cosignerKeyOf(witnessKey) }], {
    retryMs: 100,
  });
  for (let i = 0; i < 23; i++) await log.append('test.event', { i });
  await log.checkpoint();
  await until('all cosigned', () => exporter.status().allCosigned);
  assert.ok((exporter.status().witnesses[0]?.cosignedSize ?? 0) >= 23);
  await exporter.close();
  await log.close();
  await w.app.close();
  const result = await check(dataDir);
  assert.ok(result.ok, JSON.stringify(result));
  assert.ok(result.cosignatures >= 2, 'several checkpoints were cosigned as the log grew');
  // Another witness key than the one that cosigned: nothing is witnessed for it.
  const other = await check(dataDir, generateSigningKey('witness.test/w1'));
  assert.equal(other.ok, false);
});

test('a tampered or a missing cosignature fails the offline check', async () => {
  const dataDir = tempDataDir();
  const log = await openLog(dataDir);
  const w = await startWitness(findKeyFiles(dataDir, DEFAULT_ORIGIN));
  const exporter = new WitnessExporter(log, [{ url: w.url, key: cosignerKeyOf(witnessKey) }], {
    retryMs: 100,
  });
  for (let i = 0; i < 7; i++) await log.append('test.event', { i });
  await log.checkpoint();
  await until('all cosigned', () => exporter.status().allCosigned);
  await exporter.close();
  await log.close();
  await w.app.close();
  assert.ok((await check(dataDir)).ok);

  // Tamper: flip a character of the recorded cosignature, re-sealing nothing (the chain also breaks,
  // so check the witness step alone on the raw sources).
  const path = await segmentPath(dataDir);
  const lines = readLines(path);
  const i = lines.findIndex((l) => l.includes('"checkpoint.cosigned"'));
  assert.ok(i >= 0);
  const original = lines[i] as string;
  const m = /("cosignature":"— witness\.test\/w1 )([A-Za-z0-9+/]{20})/.exec(original);
  assert.ok(m);
  const flipped = (m[2] as string).replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  writeLines(
    path,
    lines.map((l, j) => (j === i ? original.replace(m[0], `${m[1]}${flipped}`) : l)),
  );
  const { sources } = await readDataDirLog(dataDir);
  const tampered = verifyWitnessed(sources, [cosignerKeyOf(witnessKey)]);
  assert.equal(tampered.ok, false);

  // Missing: the cosignature records removed (the log itself is re-verified separately by audit verify).
  writeLines(
    path,
    lines.filter((l) => !l.includes('"checkpoint.cosigned"')),
  );
  const { sources: without } = await readDataDirLog(dataDir);
  const missing = verifyWitnessed(without, [cosignerKeyOf(witnessKey)]);
  assert.equal(missing.ok, false);
  assert.match(missing.ok ? '' : missing.problem, /no valid cosignature by witness witness\.test\/w1/);
});

test('witness down: appends flow, the gap is reported; back up: later checkpoints are cosigned', async () => {
  const dataDir = tempDataDir();
  const log = await openLog(dataDir);
  const logKeys = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  const witnessDir = mkdtempSync(join(tmpdir(), 'carapace-witness-'));
  const first = await startWitness(logKeys, 0, witnessDir);
  const exporter = new WitnessExporter(log, [{ url: first.url, key: cosignerKeyOf(witnessKey) }], {
    retryMs: 100,
    timeoutMs: 1000,
  });
  for (let i = 0; i < 6; i++) await log.append('test.event', { i });
  await log.checkpoint();
  await until('cosigned before the outage', () => exporter.status().allCosigned);
  await first.app.close();

  for (let i = 0; i < 12; i++) await log.append('test.decision', { i }); // never blocked
  await log.checkpoint();
  await until('the outage reported', () => exporter.status().witnesses[0]?.lastError !== null);
  const gap = exporter.status();
  assert.equal(gap.allCosigned, false);
  assert.match(gap.witnesses[0]?.lastError ?? '', /unreachable/);

  const back = await startWitness(logKeys, first.port, witnessDir);
  for (let i = 0; i < 3; i++) await log.append('test.decision', { i: 100 + i });
  await log.checkpoint();
  await until('cosigned after the outage', () => exporter.status().allCosigned);
  assert.equal(exporter.status().witnesses[0]?.lastError, null);
  await exporter.close();
  await log.close();
  await back.app.close();
  const result = await check(dataDir);
  assert.ok(result.ok, JSON.stringify(result));
});

test('a restarted gateway learns the size the witness has (409) and proves consistency from it', async () => {
  const dataDir = tempDataDir();
  let log = await openLog(dataDir);
  const w = await startWitness(findKeyFiles(dataDir, DEFAULT_ORIGIN));
  const target = { url: w.url, key: cosignerKeyOf(witnessKey) };
  let exporter = new WitnessExporter(log, [target], { retryMs: 100 });
  for (let i = 0; i < 9; i++) await log.append('test.event', { i });
  await log.checkpoint();
  await until('cosigned in the first run', () => exporter.status().allCosigned);
  const firstSize = exporter.status().witnesses[0]?.cosignedSize ?? 0;
  await exporter.close();
  await log.close();

  log = await openLog(dataDir);
  exporter = new WitnessExporter(log, [target], { retryMs: 100 });
  for (let i = 0; i < 5; i++) await log.append('test.event', { i: 100 + i });
  await log.checkpoint();
  await until('cosigned in the second run', () => exporter.status().allCosigned);
  assert.ok((exporter.status().witnesses[0]?.cosignedSize ?? 0) > firstSize);
  await exporter.close();
  await log.close();
  await w.app.close();
  const result = await check(dataDir);
  assert.ok(result.ok, JSON.stringify(result));
});
