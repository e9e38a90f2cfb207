// One gateway per data directory: two processes appending to the same audit log would fork its hash
// chain. The lock is a file holding the owner's pid, created exclusively; a lock whose process is gone
// (a crash, a SIGKILL) is taken over, so a crash never needs a person to clean up.

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from './gateway_error.js';

export const LOCK_FILE = 'gateway.lock';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = lockOwner(path);
      if (owner !== null && isRunning(owner))
        throw new GatewayError(
          409,
          'E_DATA_DIR_LOCKED',
          'the data directory is in use',
          `${dataDir} is served by process ${owner}; stop it, or remove ${path} if that process is not a gateway`,
        );
      // Stale (its process is gone) or unreadable: take it over.
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      continue;
    }
    writeSync(fd, `${JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() })}\n`);
    closeSync(fd);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        if (lockOwner(path) === process.pid) unlinkSync(path);
      },
    };
  }
  throw new GatewayError(409, 'E_DATA_DIR_LOCKED', 'the data directory is in use', `cannot take ${path}`);
}

function lockOwner(path: string): number | null {
  try {
    const pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
