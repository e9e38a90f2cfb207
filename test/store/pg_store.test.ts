// The PostgreSQL engine passes the store contract (each case in a fresh schema, with a second
// instance and a restart on the same schema), and keeps what is its own: migrations applied once
// under concurrent opens, a newer schema refused, the immutability triggers, exactly-once redemption
// across instances, and the change feed (LISTEN/NOTIFY) that fans principal changes out.

import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { openPgStore, parsePostgresUrl, redactPostgresUrl } from '../../src/store/pg_store.js';
import type { StoreChange } from '../../src/store/change_feed.js';
import { at, principal, rejectsWith, storeContract } from './contract.js';
import { freshSchema, PG_URL, pgSkip, sqlIn } from './pg_helpers.js';

const skip = await pgSkip();

if (skip) {
  test('the PostgreSQL store', { skip }, () => {});
} else {
  storeContract('postgresql', async () => {
    const schema = freshSchema('contract');
    return {
      store: await openPgStore({ url: PG_URL, schema, listen: false }),
      reopen: () => openPgStore({ url: PG_URL, schema, listen: false }),
      second: () => openPgStore({ url: PG_URL, schema, listen: false }),
    };
  });

  describe('postgresql engine', () => {
    test('the URL names the schema; the password never shows in what is reported', () => {
      assert.deepEqual(parsePostgresUrl('postgres://u:secret@h:5432/db?schema=carapace_a'), {
        connectionString: 'postgres://u:secret@h:5432/db',
        schema: 'carapace_a',
      });
      assert.equal(redactPostgresUrl('postgres://u:secret@h/db'), 'postgres://u:***@h/db');
    });

    test('a schema name that is not a plain identifier is refused before connecting', async () => {
      await rejectsWith(openPgStore({ url: PG_URL, schema: 'x"; DROP TABLE y; --' }), 'E_STORE_OPEN');
    });

    test('an unreachable database is E_STORE_OPEN, without the password', async () => {
      await assert.rejects(openPgStore('postgres://u:hunter2@127.0.0.1:1/db?schema=x'), (e: Error) => {
        assert.match(e.message, /E_STORE_OPEN/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      });
    });

    test('three instances opening a new schema at once apply each migration once', async () => {
      const schema = freshSchema('migrate');
      const stores = await Promise.all(
        [1, 2, 3].map(() => openPgStore({ url: PG_URL, schema, listen: false })),
      );
      const { rows } = await sqlIn(schema, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows, [{ version: 1 }]);
      assert.equal(await stores[0]!.schemaVersion(), 1);
      for (const s of stores) await s.close();
    });

    test('a schema written by a newer build is refused with E_STORE_SCHEMA', async () => {
      const schema = freshSchema('newer');
      await (await openPgStore({ url: PG_URL, schema, listen: false })).close();
      await sqlIn(schema, 'INSERT INTO schema_migrations (version, applied_at) VALUES (99, $1)', [at(0)]);
      await rejectsWith(openPgStore({ url: PG_URL, schema, listen: false }), 'E_STORE_SCHEMA');
    });

    test('no SQL statement can rewrite a redemption, a closed run, a revocation, a delegation or a trust level', async () => {
      const schema = freshSchema('immutable');
      const store = await openPgStore({ url: PG_URL, schema, listen: false });
      await store.createChannel({ name: 'web', trust: 'untrusted', created_by: 'admin', created_at: at(0) });
      await store.redeemToken('jti', at(5), at(0));
      await store.createPrincipal(principal('agent-a'));
      await store.createPrincipal(
        principal('delegate', { parent_id: 'agent-a', scope: { tools: ['read_logs'] } }),
      );
      await store.createClientRun({
        jti: 'run',
        agent_id: 'agent-a',
        tool: 'read_logs',
        redeemed_at: at(0),
        result_due: at(30),
      });
      await store.closeClientRun('run', 'agent-a', at(1));
      await store.revokePrincipal('agent-a', at(2));
      await store.close();
      const refused: [string, RegExp][] = [
        ['UPDATE principals SET revoked_at = NULL', /revocation is final/],
        ['UPDATE principals SET parent_id = NULL', /a delegation is fixed/],
        [`UPDATE channels SET trust = 'trusted'`, /channel trust is fixed/],
        [`UPDATE token_redemptions SET jti = 'x'`, /immutable/],
        [`UPDATE client_runs SET closed_at = '2030-01-01T00:00:00.000Z'`, /closed once/],
      ];
      for (const [sql, message] of refused) await assert.rejects(sqlIn(schema, sql), message, sql);
    });

    test('1,000 concurrent redemptions of one token over three instances succeed exactly once', async () => {
      const schema = freshSchema('redeem');
      const stores = await Promise.all(
        [1, 2, 3].map(() => openPgStore({ url: PG_URL, schema, listen: false })),
      );
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => stores[i % 3]!.redeemToken('one-token', at(60), at(0))),
      );
      assert.equal(results.filter(Boolean).length, 1);
      for (const s of stores) await s.close();
    });

    test('a database that goes away is E_STORE_UNAVAILABLE on every call (no crash), and the store works again when it is back', async () => {
      // A TCP proxy in front of PostgreSQL stands for the database server: closing it cuts every connection.
      const target = new URL(PG_URL);
      const sockets = new Set<Socket>();
      const listen = (port: number) =>
        new Promise<Server>((resolve) => {
          const server = createServer((inbound) => {
            const outbound = createConnection(Number(target.port || 5432), target.hostname);
            for (const s of [inbound, outbound]) {
              sockets.add(s);
              s.on('error', () => {});
              s.on('close', () => sockets.delete(s));
            }
            inbound.pipe(outbound).pipe(inbound);
          });
          server.listen(port, '127.0.0.1', () => resolve(server));
        });
      let proxy = await listen(0);
      const port = (proxy.address() as { port: number }).port;
      const cut = () =>
        new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${port}`;
      const schema = freshSchema('outage');
      const store = await openPgStore({ url: url.toString(), schema, listen: false });
      try {
        await store.createPrincipal(principal('agent-a'));
        await cut();
        await rejectsWith(store.getPrincipal('agent-a'), 'E_STORE_UNAVAILABLE');
        await rejectsWith(store.redeemToken('jti-1', at(60), at(0)), 'E_STORE_UNAVAILABLE');
        await rejectsWith(store.revokePrincipal('agent-a', at(1)), 'E_STORE_UNAVAILABLE');
        proxy = await listen(port);
        assert.equal(
          await store.redeemToken('jti-1', at(60), at(0)),
          true,
          'the refused redemption did not count',
        );
        assert.equal((await store.getPrincipal('agent-a'))?.revoked_at, undefined);
      } finally {
        await store.close();
        await cut();
      }
    });

    test('a principal change on one instance is heard by the others on the change feed', async () => {
      const schema = freshSchema('feed');
      const a = await openPgStore({ url: PG_URL, schema });
      const b = await openPgStore({ url: PG_URL, schema });
      const other = await openPgStore({ url: PG_URL, schema: freshSchema('feed_other') });
      try {
        assert.equal(b.changeFeed.healthy(), true);
        const heard: StoreChange[] = [];
        const heardElsewhere: StoreChange[] = [];
        b.changeFeed.onChange((c) => heard.push(c));
        other.changeFeed.onChange((c) => heardElsewhere.push(c));
        await a.createPrincipal(principal('agent-a'));
        await a.createPrincipal(principal('delegate', { parent_id: 'agent-a', scope: { tools: ['x'] } }));
        await a.setPrincipalDisabled('agent-a', true);
        await a.revokePrincipal('agent-a', at(1));
        await a.changeFeed.publish({ kind: 'policy' });
        const deadline = Date.now() + 5000;
        while (heard.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        // One statement revokes the tree: its rows' notifications come in the order it updated them.
        assert.deepEqual(heard[0], { kind: 'principal', id: 'agent-a' });
        assert.deepEqual(
          heard
            .slice(1, 3)
            .map((c) => (c.kind === 'principal' ? c.id : c.kind))
            .sort(),
          ['agent-a', 'delegate'],
        );
        assert.deepEqual(heard[3], { kind: 'policy' });
        assert.deepEqual(heardElsewhere, [], 'another schema hears nothing');
      } finally {
        for (const s of [a, b, other]) await s.close();
      }
    });

    test('the change feed reports itself down when its connection is killed, and comes back', async () => {
      const schema = freshSchema('feed_drop');
      const store = await openPgStore({ url: PG_URL, schema });
      try {
        const seen: StoreChange[] = [];
        store.changeFeed.onChange((c) => seen.push(c));
        await sqlIn(
          schema,
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
          [`carapace-feed:${schema}`],
        );
        const deadline = Date.now() + 10_000;
        while (!seen.some((c) => c.kind === 'feed' && c.up) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(
          seen.filter((c) => c.kind === 'feed'),
          [
            { kind: 'feed', up: false },
            { kind: 'feed', up: true },
          ],
        );
        assert.equal(store.changeFeed.healthy(), true);
      } finally {
        await store.close();
      }
    });
  });
}
