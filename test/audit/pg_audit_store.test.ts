// The audit log in PostgreSQL, written by several instances at once (issue 13): one gapless sequence,
// one chain and tree, every acknowledged entry present, each instance's checkpoints verifying with the
// set of keys (and refused without its key), a changed row detected, a reopen that continues, and a
// property: any interleaving of appends and checkpoints from N instances yields a verifiable log.
// Skipped when PostgreSQL is unreachable, unless CARAPACE_REQUIRE_PG=1.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { readBundle, writeBundleOfSources } from '../../src/audit/bundle.js';
import { openClusterAuditLog, readClusterLog } from '../../src/audit/cluster_log.js';
import type { AuditEntry } from '../../src/audit/entry.js';
import type { AuditLog } from '../../src/audit/log.js';
import { PgAuditStore } from '../../src/audit/pg_audit_store.js';
import { verifyLog } from '../../src/audit/verify.js';
import { generateSigningKey, type SigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { formatVerifierKey, parseVerifierKey } from '../../src/crypto/signed_note.js';
import { dropSchema, freshSchema, PG_URL, pgSkip, sql } from './pg_helpers.js';

const skip = await pgSkip();
const CRASH_CHILD = fileURLToPath(new URL('./fixtures/pg_append_child.mjs', import.meta.url));

const schemas: string[] = [];
function schema(): string {
  const s = freshSchema();
  schemas.push(s);
  return s;
}
after(async () => {
  if (!skip) for (const s of schemas) await dropSchema(s);
});

function instanceKeys(n: number): SigningKey[] {
  return Array.from({ length: n }, (_, i) => generateSigningKey(`carapace.cluster/audit/i${i}`));
}

async function openAll(s: string, keys: SigningKey[], checkpointEvery = 200): Promise<AuditLog[]> {
  const opened = await Promise.all(
    keys.map((key) =>
      openClusterAuditLog(PG_URL, { schema: s, key, checkpointEvery, checkpointIntervalMs: 60_000 }),
    ),
  );
  return opened.map((o) => o.log);
}

async function verifyCluster(s: string, keys: SigningKey[]) {
  const { sources } = await readClusterLog(PG_URL, s);
  return verifyLog(sources, { key: keys.map(verifierKeyOf) });
}

describe('PostgreSQL audit log shared by several instances', { skip }, () => {
  test('three instances appending 3,000 entries concurrently make one gapless, verifiable log with every acknowledged entry', async () => {
    const s = schema();
    const keys = instanceKeys(3);
    const logs = await openAll(s, keys); // concurrent opens: the migrations run once, under the lock
    const acked: AuditEntry[] = [];
    const perInstance = 1000;
    await Promise.all(
      logs.map(async (log, i) => {
        // Waves of 50 concurrent appends, so batches from the three instances interleave.
        for (let w = 0; w < perInstance; w += 50) {
          const wave = Array.from({ length: 50 }, (_, j) =>
            log.append('test.event', { instance: i, n: w + j }),
          );
          acked.push(...(await Promise.all(wave)));
        }
      }),
    );
    for (const log of logs) await log.close();

    const result = await verifyCluster(s, keys);
    assert.equal(result.ok, true, JSON.stringify(result));
    const rows = await sql<{ seq: string; hash: string; line: string }>(
      `SELECT seq, hash, line FROM "${s}".audit_entries ORDER BY seq`,
    );
    assert.equal(result.entries, rows.length);
    rows.forEach((r, i) => assert.equal(Number(r.seq), i, 'the sequence has no gap'));
    assert.equal(acked.length, 3 * perInstance);
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
    for (const e of acked)
      assert.equal(bySeq.get(e.seq)?.hash, e.hash, `acknowledged entry ${e.seq} is stored`);
    const seen = new Set(acked.map((e) => JSON.stringify(e.payload)));
    assert.equal(seen.size, 3 * perInstance, 'no two acknowledgements share an entry');
    const origins = new Set(
      rows
        .filter((r) => r.line.includes('"kind":"checkpoint"'))
        .map((r) => JSON.parse(r.line).payload.origin),
    );
    assert.deepEqual(
      [...origins].sort(),
      keys.map((k) => k.name).sort(),
      'every instance signed checkpoints',
    );
  });

  test('a checkpoint signed by a key the verifier was not given is refused', async () => {
    const s = schema();
    const keys = instanceKeys(3);
    const logs = await openAll(s, keys, 20);
    await Promise.all(
      logs.map(async (log, i) => {
        for (let n = 0; n < 30; n++) await log.append('test.event', { i, n });
      }),
    );
    for (const log of logs) await log.close();
    const { sources } = await readClusterLog(PG_URL, s);
    const result = verifyLog(sources, { key: keys.slice(0, 2).map(verifierKeyOf) });
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.problem, /signed by none of the given keys/);
    // A key of the right name but another secret is refused as well.
    const impostor = verifierKeyOf(generateSigningKey(keys[2]!.name));
    const again = verifyLog((await readClusterLog(PG_URL, s)).sources, {
      key: [...keys.slice(0, 2).map(verifierKeyOf), impostor],
    });
    assert.equal(again.ok, false);
    if (!again.ok) assert.match(again.problem, /does not verify/);
  });

  test('two instances checkpointing at nearly the same size, in either order, both verify', async () => {
    const s = schema();
    const keys = instanceKeys(2);
    const [a, b] = (await openAll(s, keys, 1_000_000)) as [AuditLog, AuditLog];
    await a.append('test.event', { n: 1 });
    await b.append('test.event', { n: 2 }); // b catches up on a's entry, so b knows a larger tree
    await b.append('test.event', { n: 3 });
    const cb = await b.checkpoint(); // size 3
    const ca = await a.checkpoint(); // size 1 (what a knew), sealed after b's larger one
    assert.ok(cb && ca && ca.size < cb.size && ca.seq > cb.seq, JSON.stringify({ ca, cb }));
    // The same size at once: both sign, both land.
    await a.append('test.event', { n: 4 });
    await b.append('test.event', { n: 5 });
    await a.append('test.event', { n: 6 });
    const [x, y] = await Promise.all([a.checkpoint(), b.checkpoint()]);
    assert.ok(x && y);
    await a.close();
    await b.close();
    const result = await verifyCluster(s, keys);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.ok(result.ok && result.checkpoints >= 4);
  });

  test('an UPDATE of an entry is refused by the table, and detected by the verifier when forced', async () => {
    const s = schema();
    const keys = instanceKeys(2);
    const logs = await openAll(s, keys, 10);
    for (let n = 0; n < 40; n++) await logs[n % 2]!.append('test.event', { n, text: `event ${n}` });
    for (const log of logs) await log.close();
    await assert.rejects(
      sql(`UPDATE "${s}".audit_entries SET line = replace(line, 'event 7', 'event 8') WHERE seq = 7`),
      /append-only/,
    );
    await assert.rejects(sql(`DELETE FROM "${s}".audit_entries WHERE seq = 7`), /append-only/);
    // Someone who owns the table turns the trigger off: the verifier still names the entry.
    const [row] = await sql<{ seq: string }>(
      `SELECT seq FROM "${s}".audit_entries WHERE line LIKE '%"text":"event 7"%'`,
    );
    const seq = Number(row!.seq);
    await sql(`ALTER TABLE "${s}".audit_entries DISABLE TRIGGER audit_entries_no_change`);
    await sql(`UPDATE "${s}".audit_entries SET line = replace(line, 'event 7', 'event 8') WHERE seq = $1`, [
      seq,
    ]);
    const result = await verifyCluster(s, keys);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.seq, seq);
    // A writer opening the changed log refuses it rather than building on it.
    await assert.rejects(
      openClusterAuditLog(PG_URL, { schema: s, key: keys[0]!, checkpointIntervalMs: 60_000 }),
      /E_AUDIT_CORRUPT|hash/,
    );
  });

  test('a restart continues the sequence, and another instance continues it too', async () => {
    const s = schema();
    const [ka, kb] = instanceKeys(2) as [SigningKey, SigningKey];
    let { log: a } = await openClusterAuditLog(PG_URL, { schema: s, key: ka, checkpointIntervalMs: 60_000 });
    for (let n = 0; n < 10; n++) await a.append('test.event', { n });
    await a.close();
    const { log: b } = await openClusterAuditLog(PG_URL, {
      schema: s,
      key: kb,
      checkpointIntervalMs: 60_000,
    });
    assert.equal(b.size, 11, '10 entries and a checkpoint');
    const e = await b.append('test.event', { n: 10 });
    assert.equal(e.seq, 11);
    ({ log: a } = await openClusterAuditLog(PG_URL, { schema: s, key: ka, checkpointIntervalMs: 60_000 }));
    const f = await a.append('test.event', { n: 11 }); // a reopened before b closed: it catches up in the append
    await b.close();
    const g = await a.append('test.event', { n: 12 });
    assert.equal(f.seq, 12);
    assert.ok(g.seq > f.seq);
    await a.close();
    const result = await verifyCluster(s, [ka, kb]);
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  test('an export bundle of the cluster log names every instance key and verifies offline', async () => {
    const s = schema();
    const keys = instanceKeys(3);
    const logs = await openAll(s, keys, 25);
    await Promise.all(
      logs.map(async (log, i) => {
        for (let n = 0; n < 40; n++) await log.append('test.event', { i, n });
      }),
    );
    for (const log of logs) await log.close();
    const cluster = await readClusterLog(PG_URL, s);
    assert.deepEqual(cluster.vkeys.map((k) => k.name).sort(), keys.map((k) => k.name).sort());
    const out = join(mkdtempSync(join(tmpdir(), 'carapace-pg-bundle-')), 'bundle.ndjson');
    const entries = await writeBundleOfSources(
      out,
      {
        origin: keys[0]!.name,
        vkey: formatVerifierKey(verifierKeyOf(keys[0]!)),
        vkeys: cluster.vkeys.map(formatVerifierKey),
      },
      cluster.sources,
    );
    assert.equal(entries, cluster.entries);
    const bundle = await readBundle(out);
    const result = verifyLog([bundle.source], { key: (bundle.header.vkeys ?? []).map(parseVerifierKey) });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.entries, entries);
  });

  test('a failed transaction fails only its batch: appends resume and the log stays verifiable', async () => {
    const s = schema();
    const [key] = instanceKeys(1) as [SigningKey];
    const { log } = await openClusterAuditLog(PG_URL, { schema: s, key, checkpointIntervalMs: 60_000 });
    await log.append('test.event', { n: 0 });
    // The head row is locked by someone else's long transaction that then breaks the head: simulate a
    // failure by making the insert violate a constraint for one batch.
    await sql(`ALTER TABLE "${s}".audit_entries ADD CONSTRAINT no_boom CHECK (line NOT LIKE '%boom%')`);
    await assert.rejects(log.append('test.event', { text: 'boom' }), { code: 'E_AUDIT_UNAVAILABLE' });
    await sql(`ALTER TABLE "${s}".audit_entries DROP CONSTRAINT no_boom`);
    const next = await log.append('test.event', { n: 2 });
    assert.equal(next.seq, 1, 'the failed entry took no seq');
    await log.close();
    const result = await verifyCluster(s, [key]);
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  test('connections killed mid-run fail only their batches; acknowledged entries survive and appends resume', async () => {
    const s = schema();
    const [key] = instanceKeys(1) as [SigningKey];
    const app = `carapace-audit-fault-${s}`;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4, application_name: app });
    pool.on('error', () => {});
    const store = new PgAuditStore({ pool, schema: s });
    const { AuditLog: Log } = await import('../../src/audit/log.js');
    const { log } = await Log.open({ store, key, checkpointIntervalMs: 60_000 });
    const acked: AuditEntry[] = [];
    const refused: string[] = [];
    const appending = (async () => {
      for (let w = 0; w < 40; w++) {
        const wave = await Promise.allSettled(
          Array.from({ length: 20 }, (_, j) => log.append('test.event', { w, j })),
        );
        for (const r of wave)
          if (r.status === 'fulfilled') acked.push(r.value);
          else refused.push((r.reason as { code?: string }).code ?? String(r.reason));
      }
    })();
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setTimeout(r, 30));
      await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [app]);
    }
    await appending;
    assert.equal(acked.length + refused.length, 800, 'every append was answered');
    assert.ok(
      refused.every((c) => c === 'E_AUDIT_UNAVAILABLE'),
      refused.join(','),
    );
    const after = await log.append('test.event', { after: true });
    assert.ok(after.seq >= acked.length);
    await log.close();
    await pool.end();
    const result = await verifyCluster(s, [key]);
    assert.equal(result.ok, true, JSON.stringify(result));
    const rows = await sql<{ seq: string; hash: string }>(`SELECT seq, hash FROM "${s}".audit_entries`);
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r.hash]));
    for (const e of acked) assert.equal(bySeq.get(e.seq), e.hash, `acknowledged entry ${e.seq} is stored`);
  });

  test('instances SIGKILLed while appending lose no acknowledged entry; the log verifies after', async () => {
    const s = schema();
    const acked = new Map<number, string>();
    // Two writers at a time, each killed at a random moment; every run uses a new instance key.
    for (let round = 0; round < 4; round++) {
      const runs = [0, 1].map(
        (i) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [CRASH_CHILD, PG_URL, s, `crash.r${round}/i${i}`], {
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let out = '';
            let err = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
              if (out.includes('ready\n') && !child.killed)
                setTimeout(() => child.kill('SIGKILL'), 50 + Math.random() * 300);
            });
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('close', (_code, signal) => {
              if (signal !== 'SIGKILL') return reject(new Error(`the writer exited by itself: ${err}`));
              for (const line of out.split('\n'))
                if (line.startsWith('ack ')) {
                  const [, seq, hash] = line.split(' ');
                  acked.set(Number(seq), hash as string);
                }
              resolve();
            });
          }),
      );
      await Promise.all(runs);
    }
    assert.ok(acked.size > 0, 'the writers acknowledged entries before they were killed');
    // A surviving instance opens (continuing the sequence) and closes with a checkpoint over everything.
    const [key] = instanceKeys(1) as [SigningKey];
    const { log } = await openClusterAuditLog(PG_URL, { schema: s, key, checkpointIntervalMs: 60_000 });
    await log.append('test.event', { after: 'crashes' });
    await log.close();
    const rows = await sql<{ seq: string; hash: string }>(`SELECT seq, hash FROM "${s}".audit_entries`);
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r.hash]));
    for (const [seq, hash] of acked)
      assert.equal(bySeq.get(seq), hash, `acknowledged entry ${seq} is stored`);
    // Every instance that ever opened the log recorded its key: the log verifies with them.
    const { sources, vkeys } = await readClusterLog(PG_URL, s);
    const result = verifyLog(sources, { key: vkeys });
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  test('property: any interleaving of appends and checkpoints from N instances yields a verifiable log', async () => {
    const op = fc.record({
      instance: fc.nat(2),
      kind: fc.constantFrom('append', 'append', 'append', 'checkpoint'),
      count: fc.integer({ min: 1, max: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        async (n, rounds) => {
          const s = schema();
          const keys = instanceKeys(n);
          const logs = await openAll(s, keys, 7);
          const acked: AuditEntry[] = [];
          try {
            for (const round of rounds)
              // The operations of one round run at once, so their transactions race.
              await Promise.all(
                round.map(async ({ instance, kind, count }) => {
                  const log = logs[instance % n]!;
                  if (kind === 'checkpoint') return void (await log.checkpoint());
                  acked.push(
                    ...(await Promise.all(
                      Array.from({ length: count }, (_, j) => log.append('test.event', { instance, j })),
                    )),
                  );
                }),
              );
          } finally {
            for (const log of logs) await log.close();
          }
          const { sources } = await readClusterLog(PG_URL, s);
          const result = verifyLog(sources, { key: keys.map(verifierKeyOf) });
          assert.equal(result.ok, true, JSON.stringify(result));
          const store = new PgAuditStore({ url: PG_URL, schema: s });
          const hashes = new Map<number, string>();
          await store.open((e) => hashes.set(e.seq, e.hash));
          await store.close();
          for (const e of acked) assert.equal(hashes.get(e.seq), e.hash);
          await dropSchema(s);
        },
      ),
      { numRuns: 25 },
    );
  });
});
