// 20 SIGKILLs of the real gateway process under POST /v1/actions and /v1/execute load: nothing
// acknowledged is lost, no token runs twice, the audit log verifies after every restart; 10 more with
// the store and the audit log in PostgreSQL (skipped when it is unreachable, unless
// CARAPACE_REQUIRE_PG=1). The stress script runs the same harness at 100 kills or more
// (`npm run stress -- gateway-crash [--store postgres://…]`).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { dropSchemas, freshSchema, PG_URL, pgSkip } from '../store/pg_helpers.js';
import { tempDir } from './fault_seams.js';
import { crashGatewayRepeatedly } from './gateway_crash_harness.js';

const BUILT = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

test('20 SIGKILLs of the gateway under load: no acknowledged decision lost, no token twice, the log verifies', async (t) => {
  assert.ok(existsSync(BUILT), 'this test runs bin/carapace.js, which needs `npm run build` first');
  const stats = await crashGatewayRepeatedly(tempDir('carapace-gw-crash-'), { kills: 20, agents: 3 });
  const restart = [...stats.restartMs].sort((a, b) => a - b);
  t.diagnostic(
    `${JSON.stringify({ ...stats, restartMs: undefined })}; restart median ${restart[restart.length >> 1]} ms, max ${restart.at(-1)} ms`,
  );
  assert.equal(stats.kills, 20);
  assert.ok(stats.decisions > 0 && stats.executions > 0, 'the load made decisions and ran actions');
  assert.ok(stats.replaysRefused > 0, 'replays after a restart were tried');
});

const pgUnavailable = await pgSkip();

test(
  '[postgres] 10 SIGKILLs of a gateway on --store postgres:// under load: nothing acknowledged lost, no token twice, the cluster log verifies',
  { skip: pgUnavailable },
  async (t) => {
    assert.ok(existsSync(BUILT), 'this test runs bin/carapace.js, which needs `npm run build` first');
    const schema = freshSchema('crash');
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    // Dropped here as well as by pg_helpers' after hook (which a --test-name-pattern run skips).
    const stats = await crashGatewayRepeatedly(tempDir('carapace-gw-crash-pg-'), {
      kills: 10,
      agents: 3,
      serveArgs: ['--store', url.toString()],
    }).finally(() => dropSchemas([schema]).catch(() => {}));
    const restart = [...stats.restartMs].sort((a, b) => a - b);
    t.diagnostic(
      `${JSON.stringify({ ...stats, restartMs: undefined })}; restart median ${restart[restart.length >> 1]} ms, max ${restart.at(-1)} ms`,
    );
    assert.equal(stats.kills, 10);
    assert.ok(stats.decisions > 0 && stats.executions > 0, 'the load made decisions and ran actions');
  },
);
