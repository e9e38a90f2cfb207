// Two gateways writing to one audit log in PostgreSQL (`store: postgres://…?schema=`): events on
// either land in one sequence; each one's console pages show the other's entries, "verify now" verifies
// the shared log with every instance's key, and /v1/audit/key names them all. Skipped when PostgreSQL
// is unreachable, unless CARAPACE_REQUIRE_PG=1.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { dropSchema, freshSchema, PG_URL, pgSkip } from '../audit/pg_helpers.js';

const skip = await pgSkip();
const schema = freshSchema('audit_gw');
after(async () => {
  if (!skip) await dropSchema(schema);
});

async function call(gw: RunningGateway, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${gw.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('gateways sharing one audit log in PostgreSQL', { skip }, () => {
  test('entries from both instances make one log that each instance reads and verifies', async () => {
    const store = `${PG_URL}?schema=${schema}`;
    const start = () =>
      startGateway({
        dataDir: mkdtempSync(join(tmpdir(), 'carapace-gw-cluster-')),
        store,
        port: 0,
        dev: true,
        logLevel: 'silent',
      });
    const a = await start();
    const b = await start();
    try {
      const keyA = a.devAdminKey as string;
      const keyB = b.devAdminKey as string;
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          call(i % 2 ? b : a, i % 2 ? keyB : keyA, 'POST', '/v1/admin/principals', {
            name: `cluster-agent-${i}`,
            role: 'agent',
          }),
        ),
      );
      for (const c of created) assert.equal(c.status, 201, JSON.stringify(c.body));
      await a.ctx.audit.checkpoint();
      await b.ctx.audit.checkpoint();

      // A reads B's entries, and the other way round.
      const pageA = await call(a, keyA, 'GET', '/v1/audit/entries?kind=admin.principal_created&limit=100');
      const pageB = await call(b, keyB, 'GET', '/v1/audit/entries?kind=admin.principal_created&limit=100');
      assert.equal(pageA.status, 200);
      const names = (p: typeof pageA) =>
        (p.body.entries as { payload: { principal: string } }[]).map((e) => e.payload.principal).sort();
      assert.equal(names(pageA).length, 22, '20 principals and the two dev admins');
      assert.deepEqual(names(pageA), names(pageB));

      const verified = await call(a, keyA, 'POST', '/v1/audit/verify', {});
      assert.equal(verified.status, 200);
      assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
      assert.equal((verified.body.vkeys as string[]).length, 2);

      const key = await call(b, keyB, 'GET', '/v1/audit/key');
      assert.equal((key.body.vkeys as string[]).length, 2);
      assert.ok((key.body.vkeys as string[]).includes(key.body.vkey as string));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
