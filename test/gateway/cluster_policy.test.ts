// Policy reloads fanned out over the shared store's change feed: when one instance loads a new policy,
// the others re-read theirs at once, without waiting for their own file watcher (here: none).

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openGatewayContext } from '../../src/gateway/serve.js';
import { freshSchema, PG_URL, pgSkip } from '../store/pg_helpers.js';

const skip = await pgSkip();

test('a policy loaded on A makes B re-read its policy file within a second', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'carapace-cluster-policy-'));
  const store = `${PG_URL}?schema=${freshSchema('policy')}`;
  const file = join(root, 'cluster.yaml');
  const limit = (n: number) =>
    writeFileSync(
      file,
      `name: cluster\nrate_limits:\n  - { tools: [get_telemetry], max_calls: ${n}, window_seconds: 60, per: agent }\n`,
    );
  limit(10);
  const open = (name: string) =>
    openGatewayContext({
      dataDir: join(root, name),
      store,
      policy: { file },
      watchPolicy: false,
      openedBy: `test ${name}`,
    });
  const a = await open('a');
  const b = await open('b');
  try {
    const before = b.ctx.policy?.current?.hash;
    assert.equal(a.ctx.policy?.current?.hash, before);
    limit(5);
    const reloaded = await a.ctx.policy?.reload();
    assert.equal(reloaded?.outcome, 'loaded');
    const deadline = Date.now() + 1000;
    while (b.ctx.policy?.current?.hash === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.ctx.policy?.current?.hash, a.ctx.policy?.current?.hash, 'B follows A');
  } finally {
    await b.close();
    await a.close();
  }
});
