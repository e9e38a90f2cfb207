// Crash safety: a writer killed with SIGKILL at random moments, 100 times, loses no acknowledged
// entry, and the log verifies afterwards.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ORIGIN, findKeyFiles } from '../../src/audit/log_files.js';
import { crashAndRecover } from './crash_harness.js';
import { tempDataDir, verifyDataDir } from './helpers.js';

test('100 SIGKILLs of an appending writer: every acknowledged entry survives and the log verifies', async () => {
  const dataDir = tempDataDir();
  const stats = await crashAndRecover(dataDir, 100);
  assert.equal(stats.kills, 100);
  assert.ok(stats.acknowledged > 100, `the writer acknowledged only ${stats.acknowledged} entries`);
  const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  assert.ok(key);
  const result = await verifyDataDir(dataDir, key.vkey);
  assert.ok(result.ok, JSON.stringify(result));
  assert.ok(result.entries >= stats.acknowledged);
});
