// The SQLite engine passes the store contract (on a file shared by two instances, and in memory), and
// keeps what is SQLite's own: file mode, WAL and FULL sync, migrations, and exactly-once redemption.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { openSqliteStore } from '../../src/store/sqlite_store.js';
import { MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/sqlite_schema.js';
import { at, principal, rejectsWith, review, storeContract } from './contract.js';

function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'carapace-store-')), 'carapace.db');
}

storeContract('sqlite file', async () => {
  const path = tempDbPath();
  return {
    store: await openSqliteStore(path),
    reopen: () => openSqliteStore(path),
    second: () => openSqliteStore(path),
  };
});

storeContract('sqlite :memory:', async () => ({ store: await openSqliteStore(':memory:') }));

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

test('the database file and its WAL and shared-memory files are created owner-only (0600)', async () => {
  const path = tempDbPath();
  const store = await openSqliteStore(path);
  await store.redeemToken('jti', at(5), at(0));
  assert.equal(modeOf(path), 0o600);
  for (const suffix of ['-wal', '-shm']) {
    assert.ok(existsSync(path + suffix), `${suffix} exists while the store is open`);
    assert.equal(modeOf(path + suffix), 0o600, suffix);
  }
  await store.close();
});

test('an existing database file readable by others is narrowed to 0600 when opened', async () => {
  const path = tempDbPath();
  writeFileSync(path, '');
  chmodSync(path, 0o644);
  const store = await openSqliteStore(path);
  assert.equal(modeOf(path), 0o600);
  await store.close();
});

test('a file store runs in WAL mode with synchronous=FULL, foreign keys and a busy timeout', async () => {
  const store = await openSqliteStore(tempDbPath());
  const settings = await store.settings();
  assert.deepEqual(settings, {
    journal_mode: 'wal',
    synchronous: 'FULL',
    foreign_keys: true,
    busy_timeout: 5000,
    schema_version: 4,
  });
  await store.close();
});

test('migrations are idempotent: opening a database again, or twice at once, applies each version once', async () => {
  const path = tempDbPath();
  const first = await openSqliteStore(path);
  await first.createPrincipal(principal('agent-a'));
  const [second, third] = await Promise.all([openSqliteStore(path), openSqliteStore(path)]);
  await Promise.all([first.close(), second.close(), third.close()]);
  const reopened = await openSqliteStore(path);
  assert.equal((await reopened.getPrincipal('agent-a'))?.id, 'agent-a');
  await reopened.close();
  const raw = new Database(path, { readonly: true });
  const versions = raw.prepare('SELECT version FROM schema_version ORDER BY version').all();
  raw.close();
  assert.deepEqual(versions, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
});

test('a version 1 database is upgraded in place: its principals keep their rows, are certified T0, need no DPoP and are neither delegated nor revoked', async () => {
  const path = tempDbPath();
  const raw = new Database(path);
  raw.exec(SCHEMA_VERSION_TABLE);
  raw.exec(MIGRATIONS[0]!.sql);
  raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (1, ?)').run(at(0));
  raw
    .prepare(
      `INSERT INTO principals (id, name, role, api_key_hash, channel, disabled, created_at)
       VALUES ('agent-old', 'old', 'agent', ?, NULL, 0, ?)`,
    )
    .run('a'.repeat(64), at(0));
  raw.close();
  const store = await openSqliteStore(path);
  const old = await store.getPrincipal('agent-old');
  assert.equal(old?.certified_tier, 'T0');
  assert.equal(old?.name, 'old');
  assert.equal(old?.dpop_required, false);
  assert.equal(old?.parent_id, undefined);
  assert.equal(old?.revoked_at, undefined);
  assert.equal((await store.settings()).schema_version, 4);
  await store.close();
});

test('a database written by a newer schema is refused with E_STORE_SCHEMA', async () => {
  const path = tempDbPath();
  await (await openSqliteStore(path)).close();
  const raw = new Database(path);
  raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, ?)').run(at(0));
  raw.close();
  await rejectsWith(openSqliteStore(path), 'E_STORE_SCHEMA');
});

test('a review whose stored JSON was damaged reads as E_STORE_CORRUPT, naming the column', async () => {
  const path = tempDbPath();
  const store = await openSqliteStore(path);
  await store.createPrincipal(principal('agent-a'));
  await store.createReview(review('r1', 'agent-a'));
  await store.createReview(review('r2', 'agent-a'));
  const raw = new Database(path);
  raw.prepare(`UPDATE reviews SET envelope = '{"tool": ' WHERE id = 'r1'`).run();
  raw.prepare(`UPDATE reviews SET approvals = '[{"approver": 7}]' WHERE id = 'r2'`).run();
  raw.close();
  await assert.rejects(store.getReview('r1'), /E_STORE_CORRUPT.*reviews\["r1"\]\.envelope: invalid JSON/);
  await assert.rejects(store.getReview('r2'), /E_STORE_CORRUPT.*reviews\["r2"\]\.approvals/);
  await rejectsWith(store.listReviews(), 'E_STORE_CORRUPT');
  const decided = store.recordReviewDecision('r1', { approver: 'x', approve: true, note: '', at: at(1) });
  await rejectsWith(decided, 'E_STORE_CORRUPT');
  await store.close();
});

test("no SQL statement can rewrite a channel's trust, a chunk, a redemption, a closed client run, a revocation or a delegation", async () => {
  const path = tempDbPath();
  const store = await openSqliteStore(path);
  await store.createChannel({ name: 'web', trust: 'untrusted', created_by: 'admin', created_at: at(0) });
  await store.putChunk({
    id: 'c',
    channel: 'web',
    trust: 'untrusted',
    injection_suspected: true,
    content_hash: 'sha256:00',
    ingested_at: at(0),
    bytes: 1,
  });
  await store.redeemToken('jti', at(5), at(0));
  await store.createPrincipal(principal('agent-a'));
  await store.createClientRun({
    jti: 'run',
    agent_id: 'agent-a',
    tool: 'read_logs',
    redeemed_at: at(0),
    result_due: at(30),
  });
  await store.closeClientRun('run', 'agent-a', at(1));
  await store.createPrincipal(
    principal('delegate', { parent_id: 'agent-a', scope: { tools: ['read_logs'] } }),
  );
  await store.revokePrincipal('agent-a', at(2));
  await store.close();
  const raw = new Database(path);
  assert.throws(() => raw.prepare(`UPDATE principals SET revoked_at = NULL`).run(), /revocation is final/);
  assert.throws(
    () => raw.prepare(`UPDATE principals SET scope = '{"tools":["restart_workload"]}'`).run(),
    /a delegation is fixed/,
  );
  assert.throws(() => raw.prepare(`UPDATE principals SET parent_id = NULL`).run(), /a delegation is fixed/);
  assert.throws(() => raw.prepare(`UPDATE channels SET trust = 'trusted'`).run(), /channel trust is fixed/);
  assert.throws(() => raw.prepare(`UPDATE chunks SET trust = 'trusted'`).run(), /chunks are immutable/);
  assert.throws(() => raw.prepare(`UPDATE token_redemptions SET jti = 'x'`).run(), /immutable/);
  assert.throws(
    () => raw.prepare(`UPDATE client_runs SET closed_at = ?`).run(at(2)),
    /a client run is closed once/,
  );
  assert.throws(() => raw.prepare(`UPDATE client_runs SET agent_id = 'x'`).run(), /closed once/);
  raw.close();
});

test('for any interleaving of redeem calls over two instances, each token id is redeemed exactly once', async () => {
  const path = tempDbPath();
  const instances = [await openSqliteStore(path), await openSqliteStore(path)] as const;
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 30,
        }),
        async (s, calls) => {
          run++;
          const results = calls.map(([jti, instance]) =>
            s
              .schedule(Promise.resolve(), `redeem jti-${jti} on instance ${instance}`)
              .then(() => instances[instance]?.redeemToken(`run-${run}-jti-${jti}`, at(5), at(0)))
              .then((redeemed) => ({ jti, redeemed })),
          );
          await s.waitIdle();
          const done = await Promise.all(results);
          for (const jti of new Set(calls.map(([j]) => j)))
            assert.equal(done.filter((d) => d.jti === jti && d.redeemed === true).length, 1, `jti-${jti}`);
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    for (const store of instances) await store.close();
  }
});
