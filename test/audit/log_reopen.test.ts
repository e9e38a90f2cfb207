// The audit log after a failed append: it refuses appends until its store can be read again, then
// reopens it (cutting what a failed write left half-written, recorded as `recovery`) and resumes, with
// every acknowledged entry kept and the log verifying.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AuditEntry } from '../../src/audit/entry.js';
import { AuditLog, AuditLogError } from '../../src/audit/log.js';
import { DEFAULT_ORIGIN, findKeyFiles, openDataDirLog, segmentsDir } from '../../src/audit/log_files.js';
import { SegmentStore } from '../../src/audit/segment_store.js';
import type { AuditStore } from '../../src/audit/store.js';
import { readSigningKey } from '../../src/crypto/ed25519_key.js';
import { readLines, segmentPath, tempDataDir, verifyDataDir } from './helpers.js';

test('a write that fails half-way is cut when the log reopens its store, and appends resume', async () => {
  const dataDir = tempDataDir();
  await (await openDataDirLog(dataDir)).log.close(); // makes the key
  const found = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  assert.ok(found);
  const inner = new SegmentStore(segmentsDir(dataDir));
  const fault = { on: false };
  // While the fault is on, an append writes the first half of its batch's bytes, then fails (ENOSPC).
  const store: AuditStore = {
    open: (onEntry) => inner.open(onEntry),
    close: () => inner.close(),
    append: async (entries) => {
      if (!fault.on) return inner.append(entries);
      const text = entries.map((e) => `${e.line}\n`).join('');
      appendFileSync(await segmentPath(dataDir), text.slice(0, text.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
  const { log } = await AuditLog.open({
    store,
    key: readSigningKey(found.privatePath, DEFAULT_ORIGIN),
    checkpointIntervalMs: 60_000,
    retryMs: 50,
  });
  const acknowledged: AuditEntry[] = [];
  for (let i = 0; i < 3; i++) acknowledged.push(await log.append('test.event', { i }));

  fault.on = true;
  await assert.rejects(
    log.append('test.event', { i: 3 }),
    (e: AuditLogError) => e.code === 'E_AUDIT_UNAVAILABLE',
  );
  assert.equal(log.failing, true);
  // Within retryMs of the failure, refused without touching the store.
  await assert.rejects(
    log.append('test.event', { i: 4 }),
    (e: AuditLogError) => e.code === 'E_AUDIT_UNAVAILABLE',
  );
  assert.equal(await log.ready(), false);

  fault.on = false;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await log.ready(), true, 'the probe reopens the store once the fault is gone');
  const resumed = await log.append('test.event', { i: 5 });
  acknowledged.push(resumed);
  await log.close();

  const lines = readLines(await segmentPath(dataDir)).map((l) => JSON.parse(l) as AuditEntry);
  for (const entry of acknowledged) assert.equal(lines[entry.seq]?.hash, entry.hash);
  const recovery = lines.find((e) => e.kind === 'recovery');
  assert.ok(recovery, 'the cut half-line is recorded');
  assert.equal((recovery.payload as { next_seq: number }).next_seq, acknowledged[2]!.seq + 1);
  assert.ok(
    !lines.some((e) => (e.payload as { i?: number }).i === 3 || (e.payload as { i?: number }).i === 4),
  );
  const result = await verifyDataDir(dataDir, found.vkey);
  assert.ok(result.ok, JSON.stringify(result));
});
