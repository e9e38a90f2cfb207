// Kills an appending child process with SIGKILL at random moments and checks, after each recovery,
// that every entry the child saw acknowledged is in the log with the payload it wrote. Used by the
// test suite (100 kills) and by `npm run stress -- audit-crash` (as many as you ask for).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDataDirLog, segmentsDir } from '../../src/audit/log_files.js';
import { listSegments } from '../../src/audit/segment_store.js';
import { segmentPath } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/append_child.mjs', import.meta.url));

interface Ack {
  seq: number;
  pid: number;
  n: number;
}

/** One child run: start, wait `delayMs` after it is ready, SIGKILL; returns what it acknowledged. */
function runChildAndKill(dataDir: string, delayMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (timer === null && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`the writer exited by itself: ${err}`));
      const acks = out
        .split('\n')
        .filter((l) => l.startsWith('ack '))
        .map((l) => {
          const [, seq, pid, n] = l.split(' ');
          return { seq: Number(seq), pid: Number(pid), n: Number(n) };
        });
      resolve(acks);
    });
  });
}

export interface CrashStats {
  kills: number;
  acknowledged: number;
  recoveries: number;
}

/** Runs `kills` kill-and-recover rounds on one data directory; throws on the first lost entry. */
export async function crashAndRecover(
  dataDir: string,
  kills: number,
  random: () => number = Math.random,
): Promise<CrashStats> {
  const stats: CrashStats = { kills: 0, acknowledged: 0, recoveries: 0 };
  for (let round = 0; round < kills; round++) {
    const acks = await runChildAndKill(dataDir, Math.floor(random() * 60));
    stats.kills++;
    stats.acknowledged += acks.length;
    const { log, recovery } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
    if (recovery) stats.recoveries++;
    await log.close();
    // A writer killed before its first segment existed acknowledged nothing, and left nothing to check.
    if ((await listSegments(segmentsDir(dataDir))).length === 0) {
      assert.equal(acks.length, 0, `round ${round}: entries were acknowledged but no segment exists`);
      continue;
    }
    const lines = readFileSync(await segmentPath(dataDir), 'utf8').split('\n');
    for (const ack of acks) {
      const entry = JSON.parse(lines[ack.seq] ?? 'null');
      assert.ok(entry, `round ${round}: acknowledged entry ${ack.seq} is gone`);
      assert.deepEqual(
        [entry.seq, entry.payload.pid, entry.payload.n],
        [ack.seq, ack.pid, ack.n],
        `round ${round}: entry ${ack.seq} changed`,
      );
    }
  }
  return stats;
}
