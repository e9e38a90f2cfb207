// The gateway with a witness: its audit checkpoints end up cosigned in the log (GET /v1/audit/witness
// says so, the offline check passes), SH-3's audit-witness check passes with a reachable witness, and a
// witness that goes down stops nothing: the gap is reported and closed once it is back.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_ORIGIN, findKeyFiles, openDataDirLog, readDataDirLog } from '../../src/audit/log_files.js';
import { verifyLog } from '../../src/audit/verify.js';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import { startGateway } from '../../src/gateway/serve.js';
import { cosignerKeyOf } from '../../src/witness/cosignature.js';
import { buildWitnessServer } from '../../src/witness/server.js';
import { verifyWitnessed } from '../../src/witness/verify_witnessed.js';
import { Witness } from '../../src/witness/witness.js';

const witnessKey = generateSigningKey('witness.test/gw');

async function until(what: string, predicate: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a gateway exports its checkpoints to a witness; an outage is reported and then closed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-gw-witness-'));
  // The log key exists before the witness is told to trust it.
  (await openDataDirLog(dataDir)).log.close();
  const logKey = findKeyFiles(dataDir, DEFAULT_ORIGIN)?.vkey;
  assert.ok(logKey);
  const witnessDir = mkdtempSync(join(tmpdir(), 'carapace-witness-'));
  const serveWitness = async (port: number) => {
    const app = buildWitnessServer(
      new Witness({ dataDir: witnessDir, key: witnessKey, logKeys: [logKey] }),
      witnessKey.publicKeyRaw,
    );
    await app.listen({ host: '127.0.0.1', port });
    return app;
  };
  let witness = await serveWitness(0);
  const address = witness.server.address();
  assert.ok(address && typeof address !== 'string');
  const url = `http://127.0.0.1:${address.port}`;

  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    witnesses: [{ url, key: cosignerKeyOf(witnessKey) }],
  });
  const check = gateway.security.find((c) => c.id === 'audit-witness');
  assert.equal(check?.pass, true, check?.evidence);
  assert.match(check?.evidence ?? '', /reachable at start/);
  const admin = gateway.devAdminKey as string;
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const status = async () => (await call('GET', '/v1/audit/witness')).body;
  try {
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await call('POST', '/v1/admin/principals', { name: `a${i}`, role: 'agent' })).status,
        201,
      );
    await until('cosigned', async () => (await status()).all_cosigned === true);

    await witness.close();
    for (let i = 3; i < 6; i++)
      // audited admin actions still go through
      assert.equal(
        (await call('POST', '/v1/admin/principals', { name: `a${i}`, role: 'agent' })).status,
        201,
      );
    await until('the gap reported', async () => {
      const s = await status();
      const w = (s.witnesses as { last_error: string | null }[])[0];
      return s.all_cosigned === false && /unreachable/.test(w?.last_error ?? '');
    });

    witness = await serveWitness(address.port);
    await until('cosigned again', async () => (await status()).all_cosigned === true);
  } finally {
    await gateway.close();
    await witness.close();
  }
  const { sources, vkey } = await readDataDirLog(dataDir);
  assert.ok(vkey);
  const copies = sources.map((s) => ({ ...s, bytes: Buffer.from(s.bytes) }));
  assert.ok(verifyLog(sources, { key: vkey }).ok);
  const witnessed = verifyWitnessed(copies, [cosignerKeyOf(witnessKey)]);
  assert.ok(witnessed.ok, JSON.stringify(witnessed));
});

test('SH-3 audit-witness fails when the configured witness is unreachable at start', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-gw-witness-'));
  const gateway = await startGateway({
    dataDir,
    port: 0,
    logLevel: 'silent',
    witnesses: [{ url: 'http://127.0.0.1:9', key: cosignerKeyOf(witnessKey) }],
  });
  try {
    const check = gateway.security.find((c) => c.id === 'audit-witness');
    assert.equal(check?.pass, false);
    assert.match(check?.evidence ?? '', /unreachable at start/);
  } finally {
    await gateway.close();
  }
});
