// Shared material for the tests that need PostgreSQL: whether it is reachable (skip, or fail under
// CARAPACE_REQUIRE_PG=1), and a fresh schema per test, dropped afterwards, so tests never collide.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import pg from 'pg';

/** The machine's PostgreSQL (CARAPACE_TEST_PG_URL to point elsewhere). */
export const PG_URL = process.env.CARAPACE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * `false` when PostgreSQL answers; otherwise the reason to skip. With CARAPACE_REQUIRE_PG=1 an
 * unreachable database is a failing test instead (the suite is still skipped, with the same reason).
 */
export async function pgSkip(): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return false;
  } catch (e) {
    const reason = `PostgreSQL is not reachable at ${PG_URL}: ${(e as Error).message}`;
    if (process.env.CARAPACE_REQUIRE_PG === '1')
      test('PostgreSQL is reachable (CARAPACE_REQUIRE_PG=1)', () => assert.fail(reason));
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

const made: string[] = [];

/** A new schema name, unique to this run; every one made is dropped when the test file ends. */
export function freshSchema(label = 't'): string {
  const name = `carapace_${label}_${randomBytes(6).toString('hex')}`;
  made.push(name);
  return name;
}

/** Drops `schemas` (and whatever is in them). */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
}

after(async () => {
  await dropSchemas(made.splice(0)).catch(() => {});
});

/** Runs SQL by hand in a schema, as an operator would. */
export async function sqlIn(schema: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * A TCP proxy in front of PostgreSQL, standing for the database server: `cut()` closes it and every
 * connection through it (the database is unreachable, new connections are refused); `restore()` listens
 * again on the same port. `url(schema)` is the PostgreSQL URL through the proxy.
 */
export interface PgProxy {
  url(schema?: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function pgProxy(): Promise<PgProxy> {
  const target = new URL(PG_URL);
  const sockets = new Set<Socket>();
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer((inbound) => {
        const outbound = createConnection(Number(target.port || 5432), target.hostname);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => sockets.delete(s));
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  let server: Server | null = await listen(0);
  const port = (server.address() as { port: number }).port;
  const cut = () =>
    new Promise<void>((resolve) => {
      const closing = server;
      server = null;
      for (const s of sockets) s.destroy();
      if (closing) closing.close(() => resolve());
      else resolve();
    });
  return {
    url(schema) {
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${port}`;
      if (schema !== undefined) url.searchParams.set('schema', schema);
      return url.toString();
    },
    cut,
    async restore() {
      if (!server) server = await listen(port);
    },
    close: cut,
  };
}
