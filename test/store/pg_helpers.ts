// Shared material for the tests that need PostgreSQL: whether it is reachable (skip, or fail under
// CARAPACE_REQUIRE_PG=1), and a fresh schema per test, dropped afterwards, so tests never collide.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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
