// `node --import tsx bench/audit_pg.ts [entries]`: durable appends per second to the cluster audit log in
// PostgreSQL (one transaction per group-committed batch), from one and from three instances appending
// at once, with 64 appends in flight per instance; append latency p50/p99; then verification of the log.

import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openClusterAuditLog, readClusterLog } from '../src/audit/cluster_log.js';
import type { AuditLog } from '../src/audit/log.js';
import { verifyLog } from '../src/audit/verify.js';
import { generateSigningKey, verifierKeyOf } from '../src/crypto/ed25519_key.js';
import { percentiles } from './timing.js';

const URL = process.env.CARAPACE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_FLIGHT = 64;

async function run(instances: number, total: number): Promise<void> {
  const schema = `bench_audit_${process.pid}_${instances}`;
  const keys = Array.from({ length: instances }, (_, i) => generateSigningKey(`bench.cluster/i${i}`));
  const logs: AuditLog[] = [];
  for (const key of keys) logs.push((await openClusterAuditLog(URL, { schema, key })).log);
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    logs.flatMap((log) =>
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < total; i = next++) {
          const t = performance.now();
          await log.append('bench.decision', { i, decision: i % 7 ? 'ALLOW' : 'DENY', rule: `R${i % 9}` });
          latencies[i] = performance.now() - t;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const log of logs) await log.close();
  const p = percentiles(latencies);
  const t = performance.now();
  const { sources, entries } = await readClusterLog(URL, schema);
  const result = verifyLog(sources, { key: keys.map(verifierKeyOf) });
  const verifyMs = performance.now() - t;
  console.log(
    `${instances} instance(s): ${total} appends in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)}/s; ` +
      `append p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms; read+verify ${entries} entries ${verifyMs.toFixed(0)} ms, ok=${result.ok}`,
  );
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
}

const total = Number(process.argv[2] ?? 20_000);
await run(1, total);
await run(3, total);
