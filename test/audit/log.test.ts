// The audit log: durable, hash-chained appends; checkpoints every N entries or T ms, recorded in the
// log; a torn tail cut and recorded on the next start; a failed store fails every later append.

import assert from 'node:assert/strict';
import { appendFileSync, constants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import { AuditEntryError, GENESIS_PREV } from '../../src/audit/entry.js';
import { AuditLog, AuditLogError } from '../../src/audit/log.js';
import { openDataDirLog } from '../../src/audit/log_files.js';
import { AuditStoreError } from '../../src/audit/segment_store.js';
import type { AuditStore } from '../../src/audit/store.js';
import { filledLog, readLines, segmentPath, tempDataDir, verifyDataDir, writeLines } from './helpers.js';

test('appends get consecutive seq numbers, each entry chaining to the one before', async () => {
  const dataDir = tempDataDir();
  const { log } = await openDataDirLog(dataDir, { checkpointEvery: 1000, checkpointIntervalMs: 60_000 });
  const entries = await Promise.all([1, 2, 3].map((i) => log.append('test.event', { i })));
  assert.deepEqual(
    entries.map((e) => e.seq),
    [0, 1, 2],
  );
  assert.equal(entries[0]?.prev, GENESIS_PREV);
  assert.equal(entries[1]?.prev, entries[0]?.hash);
  assert.equal(entries[2]?.prev, entries[1]?.hash);
  assert.match(entries[0]?.ts ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await log.close();
});

test('segment files are written with O_DSYNC, so an append is durable when its write returns', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc/self/fdinfo, which only Linux has');
  const dataDir = tempDataDir();
  const { log } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  try {
    await log.append('test.event', { i: 0 });
    const segment = await segmentPath(dataDir);
    const fds = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === segment;
      } catch {
        return false;
      }
    });
    assert.equal(fds.length, 1, 'one open segment file');
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fds[0]}`, 'utf8'))?.[1];
    assert.ok(flags, 'fdinfo has the flags');
    assert.ok((parseInt(flags, 8) & constants.O_DSYNC) === constants.O_DSYNC, `flags ${flags} lack O_DSYNC`);
  } finally {
    await log.close();
  }
  // Reopened for appending after a restart: O_DSYNC again.
  const { log: again } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  const reopened = await segmentPath(dataDir);
  try {
    const fd = readdirSync('/proc/self/fd').find((f) => {
      try {
        return readlinkSync(`/proc/self/fd/${f}`) === reopened;
      } catch {
        return false;
      }
    });
    const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0';
    assert.ok((parseInt(flags, 8) & constants.O_DSYNC) === constants.O_DSYNC, `reopened flags ${flags}`);
  } finally {
    await again.close();
  }
});

test('what was appended is there after a restart, with the same root', async () => {
  const dataDir = tempDataDir();
  const first = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  for (let i = 0; i < 25; i++) await first.log.append('test.event', { i });
  const size = first.log.durableSize;
  const root = first.log.tree.root(size).toString('hex');
  await first.log.close();
  const second = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  assert.equal(second.recovery, null);
  assert.equal(second.keyCreated, false);
  assert.ok(second.log.size >= size);
  assert.equal(second.log.tree.root(size).toString('hex'), root);
  await second.log.close();
});

test('a checkpoint is signed and recorded every N entries, and each verifies', async () => {
  const { dataDir, vkey } = await filledLog(95, 10);
  const lines = readLines(await segmentPath(dataDir));
  const checkpoints = lines.map((l) => JSON.parse(l)).filter((e) => e.kind === 'checkpoint');
  assert.ok(checkpoints.length >= 9, `only ${checkpoints.length} checkpoints`);
  for (const c of checkpoints)
    assert.ok(c.payload.size <= c.seq, 'a checkpoint covers only entries before it');
  const result = await verifyDataDir(dataDir, vkey);
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.checkpoints, checkpoints.length);
  assert.equal(result.uncovered, 0, 'close() leaves everything covered');
});

test('a checkpoint is emitted after T ms for entries below N', async () => {
  const dataDir = tempDataDir();
  const { log } = await openDataDirLog(dataDir, { checkpointEvery: 1000, checkpointIntervalMs: 25 });
  await log.append('test.event', { i: 1 });
  await log.append('test.event', { i: 2 });
  const deadline = Date.now() + 2000;
  while (log.latestCheckpoint?.size !== 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(log.latestCheckpoint?.size, 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(log.size, 3, 'an idle log does not checkpoint its own checkpoints');
  await log.close();
});

test('a payload that is not bounded JSON is refused and uses no seq', async () => {
  const dataDir = tempDataDir();
  const { log } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  for (const payload of [{ f: () => 1 }, { n: Number.NaN }, { big: 'x'.repeat(1024 * 1024) }])
    await assert.rejects(log.append('test.event', payload), AuditEntryError);
  await assert.rejects(log.append('Bad Kind', {}), AuditEntryError);
  assert.equal((await log.append('test.event', { ok: true })).seq, 0);
  await log.close();
});

test('when the store fails, that append and every later one fail: nothing is acknowledged that is not durable', async () => {
  let calls = 0;
  const store: AuditStore = {
    open: async () => null,
    append: async () => {
      calls++;
      if (calls >= 2) throw new Error('disk full');
    },
    close: async () => {},
  };
  const log = (
    await AuditLog.open({ store, key: generateSigningKey('test.local/log'), checkpointIntervalMs: 60_000 })
  ).log;
  assert.equal((await log.append('test.event', { i: 0 })).seq, 0);
  await assert.rejects(
    log.append('test.event', { i: 1 }),
    (e: AuditLogError) => e.code === 'E_AUDIT_UNAVAILABLE',
  );
  await assert.rejects(
    log.append('test.event', { i: 2 }),
    (e: AuditLogError) => e.code === 'E_AUDIT_UNAVAILABLE',
  );
});

test('a torn tail is cut on start, recorded in a recovery entry, and every acknowledged entry stays', async () => {
  const { dataDir, vkey } = await filledLog(20);
  const path = await segmentPath(dataDir);
  const before = readLines(path);
  appendFileSync(path, '{"hash":"sha256:0123');
  const { log, recovery } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  assert.ok(recovery);
  assert.equal(recovery.reason, 'incomplete last line (no newline)');
  assert.equal(recovery.next_seq, before.length);
  await log.close();
  const after = readLines(path);
  assert.deepEqual(after.slice(0, before.length), before);
  const recoveryEntry = JSON.parse(after[before.length] ?? '{}');
  assert.equal(recoveryEntry.kind, 'recovery');
  assert.equal(recoveryEntry.payload.bytes_cut, '{"hash":"sha256:0123'.length);
  const result = await verifyDataDir(dataDir, vkey);
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.recoveries, 1);
});

test('a corrupt last line (complete but wrong) is cut as a torn tail too', async () => {
  const { dataDir, vkey } = await filledLog(5);
  const path = await segmentPath(dataDir);
  const lines = readLines(path);
  const last = lines[lines.length - 1] ?? '';
  writeLines(path, [...lines, last.replace(/"seq":\d+/, `"seq":${lines.length}`)]);
  const { log, recovery } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  assert.match(recovery?.reason ?? '', /hash is/);
  assert.equal(recovery?.lines_cut, 1);
  await log.close();
  assert.ok((await verifyDataDir(dataDir, vkey)).ok);
});

test('corruption with valid entries after it is not a torn tail: the log refuses to open', async () => {
  const { dataDir } = await filledLog(10);
  const path = await segmentPath(dataDir);
  const lines = readLines(path);
  lines[3] = (lines[3] ?? '').replace('event number', 'event NUMBER');
  writeLines(path, lines);
  await assert.rejects(
    openDataDirLog(dataDir),
    (e: AuditStoreError) => e.code === 'E_AUDIT_CORRUPT' && /seq 3/.test(e.message),
  );
});
