// One gateway per data directory: a second start on the same directory is refused (in this process or
// another), the lock goes with a clean close, a lock left by a killed process is taken over, and a
// failed start (port in use) leaves the directory unlocked.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE } from '../../src/gateway/data_dir_lock.js';
import { GatewayError } from '../../src/gateway/gateway_error.js';
import { startGateway } from '../../src/gateway/serve.js';

const start = (dataDir: string, port = 0) => startGateway({ dataDir, port, logLevel: 'silent' });

test('a second gateway on the same data directory is refused until the first closes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-lock-'));
  const first = await start(dataDir);
  try {
    await assert.rejects(
      start(dataDir),
      (e: unknown) => e instanceof GatewayError && e.code === 'E_DATA_DIR_LOCKED',
    );
  } finally {
    await first.close();
  }
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
  const second = await start(dataDir);
  await second.close();
});

test('a lock left by a process that is gone is taken over', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-lock-stale-'));
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout) }));
  const gateway = await start(dataDir);
  await gateway.close();
});

test('a gateway that cannot listen leaves the data directory unlocked', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-lock-port-'));
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const { port } = squatter.address() as { port: number };
  try {
    await assert.rejects(start(dataDir, port), /EADDRINUSE/);
  } finally {
    squatter.close();
  }
  assert.equal(existsSync(join(dataDir, LOCK_FILE)), false);
  const gateway = await start(dataDir);
  await gateway.close();
});
