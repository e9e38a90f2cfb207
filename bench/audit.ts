// `npm run bench -- audit`: durable appends per second (group commit, O_DSYNC writes), verification
// throughput over a 1,000,000-entry log against `sha256sum` over the same bytes, and inclusion-proof
// generation at 1M leaves.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENESIS_PREV, sealEntry } from '../src/audit/entry.js';
import {
  DEFAULT_ORIGIN,
  findKeyFiles,
  openDataDirLog,
  readDataDirLog,
  segmentsDir,
} from '../src/audit/log_files.js';
import { MerkleTree } from '../src/audit/merkle.js';
import { signCheckpoint } from '../src/audit/checkpoint.js';
import { generateLogKey } from '../src/audit/log_files.js';
import { segmentName } from '../src/audit/segment_store.js';
import { verifyLog } from '../src/audit/verify.js';
import { percentiles } from './timing.js';

/** A decision-sized payload, the common case for the log. */
function payload(i: number) {
  return {
    decision: i % 7 === 0 ? 'QUARANTINE' : 'ALLOW',
    rule: `R${(i % 9) + 1}`,
    tool: 'migrate_vm',
    request_hash: `sha256:${(i * 2654435761).toString(16).padStart(64, '0').slice(-64)}`,
    inputs: {
      declared_intent: 'remediate_reversible',
      provenance: 'trusted',
      blast_radius: 'node',
      injection_flag: false,
    },
  };
}

export async function runAuditBench(options: { iterations: number }): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'carapace-bench-audit-'));
  try {
    await durableAppends(join(root, 'appends'), Math.min(options.iterations, 100_000));
    await verification(join(root, 'verify'), 1_000_000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    'published, not measured here: Tessera POSIX ~2,900 writes/s on local disk; EnforceCore verifies 100 entries in 1.1 ms',
  );
}

function findVkey(dataDir: string) {
  const found = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  if (!found) throw new Error('no key');
  return found.vkey;
}

async function durableAppends(dataDir: string, total: number): Promise<void> {
  for (const inFlight of [1, 64, 1024]) {
    const dir = join(dataDir, String(inFlight));
    const { log } = await openDataDirLog(dir, { checkpointEvery: 1000, checkpointIntervalMs: 1000 });
    const count = inFlight === 1 ? Math.min(total, 2_000) : total;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) await log.append('decision', payload(next++));
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await log.close();
    const perSecond = count / seconds;
    console.log(
      `durable appends, ${String(inFlight).padStart(4)} in flight: ${Math.round(perSecond).toLocaleString('en')}/s (${count} entries in ${seconds.toFixed(2)} s, each durable on disk before it resolved)${inFlight === 1024 ? ` — goal >= 20,000/s: ${perSecond >= 20_000 ? 'met' : 'MISSED'}` : ''}`,
    );
  }
}

async function verification(dataDir: string, entries: number): Promise<void> {
  // Build a 1M-entry log directly (the append path is measured above), with a checkpoint every 1000.
  const { key } = generateLogKey(dataDir, DEFAULT_ORIGIN);
  const tree = new MerkleTree();
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  let seq = 0;
  const ts = new Date(0).toISOString();
  while (seq < entries) {
    const sealed =
      seq % 1001 === 1000
        ? (() => {
            const rootHash = tree.root(seq);
            const note = signCheckpoint({ origin: DEFAULT_ORIGIN, size: seq, rootHash }, key);
            return sealEntry(
              seq,
              ts,
              'checkpoint',
              { origin: DEFAULT_ORIGIN, size: seq, root: rootHash.toString('base64'), note },
              prev,
            );
          })()
        : sealEntry(seq, ts, 'decision', payload(seq), prev);
    lines.push(sealed.line);
    tree.append(sealed.leafHash);
    prev = sealed.entry.hash;
    seq++;
  }
  const dir = segmentsDir(dataDir);
  execFileSync('mkdir', ['-p', dir]);
  const file = join(dir, segmentName(0));
  writeFileSync(file, `${lines.join('\n')}\n`);
  lines.length = 0;
  const bytes = statSync(file).size;
  const mb = bytes / 1e6;

  // Verification as an auditor runs it: the built CLI over the data directory, timed as a whole
  // process (start, read, verify), against sha256sum over the same file, best of three runs each.
  const cli = fileURLToPath(new URL('../bin/carapace.js', import.meta.url));
  const time = (command: string, args: string[]) => {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const started = process.hrtime.bigint();
      execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return best;
  };
  const verifySeconds = time(process.execPath, [cli, 'audit', 'verify', dataDir]);
  const shaSeconds = time('sha256sum', [file]);
  const inThread = verifyLog((await readDataDirLog(dataDir)).sources, { key: findVkey(dataDir) });
  if (!inThread.ok) throw new Error('the bench log does not verify');
  console.log(
    `verify ${entries.toLocaleString('en')} entries (${mb.toFixed(0)} MB, ${inThread.checkpoints} checkpoints) with \`carapace audit verify\` (${availableParallelism()} threads): ${verifySeconds.toFixed(2)} s = ${(mb / verifySeconds).toFixed(0)} MB/s; sha256sum over the same file: ${shaSeconds.toFixed(2)} s = ${(mb / shaSeconds).toFixed(0)} MB/s; ratio ${((100 * shaSeconds) / verifySeconds).toFixed(0)}% (goal >= 50%: ${shaSeconds / verifySeconds >= 0.5 ? 'met' : 'MISSED'})`,
  );

  const samples = new Float64Array(100_000);
  for (let i = 0; i < 10_000; i++) tree.inclusionProof((i * 7919) % entries, entries);
  for (let i = 0; i < samples.length; i++) {
    const index = (i * 104_729) % entries;
    const t = process.hrtime.bigint();
    tree.inclusionProof(index, entries);
    samples[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  const p = percentiles(samples);
  console.log(
    `inclusion proof at ${entries.toLocaleString('en')} leaves: p50 ${p.p50.toFixed(2)} µs, p99 ${p.p99.toFixed(2)} µs (goal <= 50 µs: ${p.p99 <= 50 ? 'met' : 'MISSED'})`,
  );
}
