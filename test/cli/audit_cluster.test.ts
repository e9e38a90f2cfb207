// `carapace audit verify|export|proof --store postgres://…` on a cluster's log: verified with the instance
// keys the store recorded or with `--key` once per instance (refused when one is missing), exported to a
// bundle naming every key that verifies offline. Skipped when PostgreSQL is unreachable, unless
// CARAPACE_REQUIRE_PG=1.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openClusterAuditLog } from '../../src/audit/cluster_log.js';
import { generateSigningKey, verifierKeyOf } from '../../src/crypto/ed25519_key.js';
import { formatVerifierKey } from '../../src/crypto/signed_note.js';
import { tempDataDir } from '../audit/helpers.js';
import { dropSchema, freshSchema, PG_URL, pgSkip } from '../audit/pg_helpers.js';
import { carapace, json } from './run_carapace.js';

const skip = await pgSkip();
const schema = freshSchema('audit_cli');
const store = `${PG_URL}?schema=${schema}`;
const keys = [generateSigningKey('carapace.cluster/a'), generateSigningKey('carapace.cluster/b')];
const vkeys = keys.map((k) => formatVerifierKey(verifierKeyOf(k)));

after(async () => {
  if (!skip) await dropSchema(schema);
});

describe('audit commands on a cluster log', { skip }, () => {
  test('verify and export read the shared log; each instance key is needed', async () => {
    const logs = await Promise.all(
      keys.map(async (key) => (await openClusterAuditLog(store, { key, checkpointEvery: 10 })).log),
    );
    await Promise.all(
      logs.map(async (log, i) => {
        for (let n = 0; n < 25; n++) await log.append('test.event', { i, n });
      }),
    );
    for (const log of logs) await log.close();

    const own = await carapace(['audit', 'verify', '--store', store]);
    assert.equal(own.code, 0, own.stdout + own.stderr);
    assert.match(own.stdout, /^OK: \d+ entries, .* keys .* taken from the log itself/);
    const given = await carapace([
      'audit',
      'verify',
      '--store',
      store,
      '--key',
      vkeys[0]!,
      '--key',
      vkeys[1]!,
    ]);
    assert.equal(given.code, 0, given.stdout + given.stderr);
    const missing = await carapace(['audit', 'verify', '--store', store, '--key', vkeys[0]!]);
    assert.equal(missing.code, 1, missing.stdout);
    assert.match(
      missing.stdout,
      /^FAIL at seq \d+ .*(no signature by a known key|signed by none of the given keys)/,
    );

    const out = join(tempDataDir(), 'cluster.bundle');
    const exported = await carapace(['audit', 'export', '--store', store, '--out', out]);
    assert.equal(exported.code, 0, exported.stdout + exported.stderr);
    assert.deepEqual([...(json(exported).vkeys as string[])].sort(), [...vkeys].sort());
    const offline = await carapace(['audit', 'verify', out, '--key', vkeys[1]!, '--key', vkeys[0]!]);
    assert.equal(offline.code, 0, offline.stdout + offline.stderr);

    const receiptFile = join(tempDataDir(), 'receipt.json');
    const proof = await carapace(['audit', 'proof', '5', '--store', store, '--out', receiptFile]);
    assert.equal(proof.code, 0, proof.stdout + proof.stderr);
    const checked = await carapace([
      'audit',
      'verify-receipt',
      receiptFile,
      '--key',
      vkeys[0]!,
      '--key',
      vkeys[1]!,
    ]);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /^OK: entry 5 /);

    const bad = await carapace(['audit', 'verify', '--store', 'postgres://postgres@127.0.0.1:1/none']);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.equal(json(bad).code, 'E_STORE_UNAVAILABLE');
  });
});
