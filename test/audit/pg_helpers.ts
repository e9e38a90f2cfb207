// Shared by the PostgreSQL audit tests: whether the machine's PostgreSQL answers (skip, or fail under
// CARAPACE_REQUIRE_PG=1), and a fresh schema per test, dropped after it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';

export const PG_URL = process.env.CARAPACE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `false` when PostgreSQL answers; otherwise the reason to skip (a failing test under CARAPACE_REQUIRE_PG=1). */
export async function pgSkip(): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
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

/** A schema name no other test uses. */
export function freshSchema(prefix = 'audit_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs SQL as the superuser (tests only: tampering, dropping a schema). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
