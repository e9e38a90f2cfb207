// Shared by the PostgreSQL audit tests: whether the machine's PostgreSQL answers (skip, or fail under
// CARAPACE_REQUIRE_PG=1), and a fresh schema per test, dropped after it.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from '../store/pg_helpers.js';

export { PG_URL, pgSkip } from '../store/pg_helpers.js';

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
