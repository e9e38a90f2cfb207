// 20 SIGKILLs of the real gateway process under POST /v1/actions and /v1/execute load: nothing
// acknowledged is lost, no token runs twice, the audit log verifies after every restart. The stress
// script runs the same harness at 100 kills or more (`npm run stress -- gateway-crash`).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
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
