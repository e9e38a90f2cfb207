// Fault injection across the gateway (issue 13, item 3): the database stops, the audit disk fails (an
// injected EIO, and a real full tmpfs when running as root), the signers fail, a detector throws, the
// upstream times out. In every case no action runs without a durable decision record, the answer is
// a clear {error, code, detail} or a recorded refusal, and service resumes when the fault clears.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { AuditLog } from '../../src/audit/log.js';
import { DEFAULT_ORIGIN, findKeyFiles, openDataDirLog, segmentsDir } from '../../src/audit/log_files.js';
import { listSegments, SegmentStore } from '../../src/audit/segment_store.js';
import { readSigningKey, type SigningKey } from '../../src/crypto/ed25519_key.js';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { inspectArguments, redactOutput } from '../../src/gateway/inspection.js';
import { verifyDataDir } from '../audit/helpers.js';
import {
  agentWithTelemetry,
  failingAuditStore,
  type Fault,
  type FaultGateway,
  MIGRATE,
  STORE_ENGINES,
  startFaultGateway,
  stoppableStore,
  tempDir,
} from './fault_seams.js';
import { pgSkip } from '../store/pg_helpers.js';

const pgUnavailable = STORE_ENGINES.some((e) => e.postgres) ? await pgSkip() : false;

/** Every audit entry of a data directory, parsed (complete lines only). */
async function auditEntries(
  dataDir: string,
): Promise<{ seq: number; hash: string; kind: string; payload: { jti?: string; code?: string } }[]> {
  const entries = [];
  for (const name of await listSegments(segmentsDir(dataDir))) {
    const text = readFileSync(join(segmentsDir(dataDir), name), 'utf8');
    for (const line of text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean))
      entries.push(JSON.parse(line));
  }
  return entries;
}

async function verifies(dataDir: string): Promise<void> {
  const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  assert.ok(key, 'the log key exists');
  const result = await verifyDataDir(dataDir, key.vkey);
  assert.ok(result.ok, JSON.stringify(result));
}

function isError(body: Record<string, unknown>, code: string): void {
  assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'error'], JSON.stringify(body));
  assert.equal(body.code, code, JSON.stringify(body));
}

/** Polls `attempt` until it answers `status` (the audit log retries its store once a second). */
async function eventually<T extends { status: number }>(
  attempt: () => Promise<T>,
  status: number,
  ms = 8000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const reply = await attempt();
    if (reply.status === status || Date.now() > until) return reply;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An executor for migrate_vm that passes the gate and counts the actions it ran. */
function countingExecutor(runs: string[], upstream?: { hang: boolean }): (gate: TokenGate) => Executor[] {
  return (gate) => [
    {
      name: 'test-hall',
      simulated: true,
      tools: ['migrate_vm'],
      async execute(token, call) {
        const claims = await gate(token, call);
        // The upstream the executor calls: while it hangs, the action's effect is unknown.
        if (upstream?.hang) await new Promise(() => {});
        runs.push(claims.jti);
        return {
          executor: 'test-hall',
          simulated: true,
          tool: call.tool,
          args: call.args,
          executed_at: new Date(0).toISOString(),
          effect: 'TEST DOUBLE: nothing touched',
        };
      },
    },
  ];
}

for (const engine of STORE_ENGINES) {
  const skip = engine.postgres ? pgUnavailable : false;
  test(
    `[${engine.name}] the database stops: 503 E_STORE_UNAVAILABLE, nothing runs, a token minted before is honoured after`,
    { skip },
    async () => {
      const dataDir = tempDir();
      const fault: Fault = { on: false };
      const runs: string[] = [];
      const g = await startFaultGateway({
        dataDir,
        store: stoppableStore(await engine.open(dataDir), fault),
        executors: countingExecutor(runs),
      });
      try {
        const { key, envelope } = await agentWithTelemetry(g, 'db-agent', 's-db');
        const before = await g.call('/v1/actions', key, { envelope });
        assert.equal(before.status, 200, JSON.stringify(before.body));
        const token = before.body.token as string;

        fault.on = true;
        const propose = await g.call('/v1/actions', key, { envelope });
        assert.equal(propose.status, 503);
        isError(propose.body, 'E_STORE_UNAVAILABLE');
        const execute = await g.call('/v1/execute', key, { token, tool: 'migrate_vm', args: MIGRATE });
        assert.equal(execute.status, 503);
        assert.ok(['E_STORE_UNAVAILABLE', 'E_TOKEN_LEDGER'].includes(execute.body.code as string));
        assert.deepEqual(runs, [], 'nothing ran while the database was down');
        const kinds = (await auditEntries(dataDir)).map((e) => e.kind);
        assert.equal(kinds.filter((k) => k === 'execution').length, 0);

        fault.on = false;
        // The token was never redeemed: it runs once the database is back, and only once.
        const after = await g.call('/v1/execute', key, { token, tool: 'migrate_vm', args: MIGRATE });
        assert.equal(after.status, 200, JSON.stringify(after.body));
        assert.equal(runs.length, 1);
        const replay = await g.call('/v1/execute', key, { token, tool: 'migrate_vm', args: MIGRATE });
        assert.deepEqual([replay.status, replay.body.code], [403, 'E_TOKEN_REPLAYED']);
        assert.equal((await g.call('/v1/actions', key, { envelope })).status, 200);
      } finally {
        await g.close();
      }
      await verifies(dataDir);
    },
  );

  test(
    `[${engine.name}] the audit disk fails (EIO): 503 E_AUDIT_UNAVAILABLE, no token without a record, recovery`,
    { skip },
    async () => {
      const dataDir = tempDir();
      const fault: Fault = { on: false };
      const runs: string[] = [];
      const g = await startFaultGateway({
        dataDir,
        store: await engine.open(dataDir),
        auditStore: failingAuditStore(dataDir, fault),
        executors: countingExecutor(runs),
      });
      try {
        const { key, envelope } = await agentWithTelemetry(g, 'audit-agent', 's-audit');
        const minted = await g.call('/v1/actions', key, { envelope });
        assert.equal(minted.status, 200);

        fault.on = true;
        const propose = await g.call('/v1/actions', key, { envelope });
        assert.equal(propose.status, 503);
        isError(propose.body, 'E_AUDIT_UNAVAILABLE');
        assert.equal(propose.body.token, undefined);
        assert.equal((await g.call('/readyz', null)).status, 503, 'not ready while the audit log fails');
        // The gate redeems, then cannot record the execution: the executor never acts (the token is
        // spent: fail closed).
        const execute = await g.call('/v1/execute', key, {
          token: minted.body.token,
          tool: 'migrate_vm',
          args: MIGRATE,
        });
        assert.equal(execute.status, 503);
        isError(execute.body, 'E_AUDIT_UNAVAILABLE');
        assert.deepEqual(runs, []);

        fault.on = false;
        // The readiness probe alone reopens the log (a balancer sends no traffic to an unready gateway).
        assert.equal((await eventually(() => g.call('/readyz', null), 200)).status, 200);
        const again = await g.call('/v1/actions', key, { envelope });
        assert.equal(again.status, 200, JSON.stringify(again.body));
        const run = await g.call('/v1/execute', key, {
          token: again.body.token,
          tool: 'migrate_vm',
          args: MIGRATE,
        });
        assert.equal(run.status, 200, JSON.stringify(run.body));
        assert.equal(runs.length, 1);
        // Every answered decision is in the log; the decision answered 503 is not claimed anywhere.
        const entries = await auditEntries(dataDir);
        for (const answered of [minted, again]) {
          const { seq, hash } = answered.body.audit as { seq: number; hash: string };
          assert.equal(entries[seq]?.hash, hash);
        }
        const executed = entries.filter((e) => e.kind === 'execution').map((e) => e.payload.jti);
        assert.deepEqual(executed, runs, 'every action that ran has its execution entry');
      } finally {
        await g.close();
      }
      await verifies(dataDir);
    },
  );
}

test('SQLite itself fails (SQLITE_FULL, SQLITE_IOERR): 503 E_STORE_UNAVAILABLE, never a 500; then normal', async () => {
  const dataDir = tempDir();
  const fault: Fault = { on: false };
  let code = 'SQLITE_FULL';
  const g = await startFaultGateway({
    dataDir,
    store: stoppableStore(
      await STORE_ENGINES[0]!.open(dataDir),
      fault,
      () => new Database.SqliteError(`${code} (fault injected)`, code),
    ),
  });
  try {
    const { key, envelope } = await agentWithTelemetry(g, 'sqlite-agent', 's-sqlite');
    fault.on = true;
    for (code of ['SQLITE_FULL', 'SQLITE_IOERR']) {
      const refused = await g.call('/v1/actions', key, { envelope });
      assert.equal(refused.status, 503);
      isError(refused.body, 'E_STORE_UNAVAILABLE');
      assert.match(refused.body.detail as string, new RegExp(code));
    }
    fault.on = false;
    assert.equal((await g.call('/v1/actions', key, { envelope })).status, 200);
  } finally {
    await g.close();
  }
  await verifies(dataDir);
});

test('the audit disk fills up (a real 4 MiB tmpfs): 503 with a code, and service resumes when space is freed', async (t) => {
  if (process.getuid?.() !== 0)
    return t.skip('mounting a tmpfs needs root; the injected EIO test covers this');
  const mount = tempDir('carapace-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  } catch (e) {
    return t.skip(`cannot mount a tmpfs here: ${(e as Error).message}`);
  }
  const dataDir = join(mount, 'data');
  mkdirSync(dataDir);
  const runs: string[] = [];
  let g: FaultGateway | null = null;
  try {
    g = await startFaultGateway({ dataDir, executors: countingExecutor(runs) });
    const { key, envelope } = await agentWithTelemetry(g, 'disk-agent', 's-disk');
    assert.equal((await g.call('/v1/actions', key, { envelope })).status, 200);
    const before = (await auditEntries(dataDir)).length;

    // Fill the disk: whatever fits, then nothing.
    const filler = join(mount, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with ENOSPC, as intended
    }
    // What still fits in pages already allocated is written; the first write that needs a new page fails.
    const answered: Record<string, unknown>[] = [];
    let full = await g.call('/v1/actions', key, { envelope });
    for (let i = 0; full.status === 200 && i < 200; i++) {
      answered.push(full.body);
      full = await g.call('/v1/actions', key, { envelope });
    }
    assert.equal(full.status, 503, JSON.stringify(full.body));
    t.diagnostic(
      `disk full after ${answered.length} more decisions: ${full.body.code} (${full.body.detail})`,
    );
    assert.ok(['E_AUDIT_UNAVAILABLE', 'E_STORE_UNAVAILABLE'].includes(full.body.code as string));
    assert.equal(full.body.token, undefined);
    assert.deepEqual(Object.keys(full.body).sort(), ['code', 'detail', 'error']);

    rmSync(filler);
    const again = await eventually(() => (g as FaultGateway).call('/v1/actions', key, { envelope }), 200);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const run = await g.call('/v1/execute', key, {
      token: again.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const entries = await auditEntries(dataDir);
    assert.ok(entries.length > before);
    for (const body of [...answered, again.body]) {
      const { seq, hash } = body.audit as { seq: number; hash: string };
      assert.equal(entries[seq]?.hash, hash, 'every decision answered 200 is in the log');
    }
    await g.close();
    g = null;
    await verifies(dataDir);
  } finally {
    await g?.close().catch(() => {});
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  }
});

test('the token signer fails: 503 E_SIGNER_UNAVAILABLE after the decision is recorded; tokens again once it works', async () => {
  const dataDir = tempDir();
  const runs: string[] = [];
  const g = await startFaultGateway({ dataDir, executors: countingExecutor(runs) });
  try {
    const { key, envelope } = await agentWithTelemetry(g, 'signer-agent', 's-signer');
    const ctx = g.gateway.ctx;
    const good = ctx.tokenKey;
    // A private key that is not Ed25519: signing throws, as an HSM or KMS that failed would.
    const broken = generateKeyPairSync('x25519').privateKey;
    ctx.tokenKey = { ...good, privateKey: broken };
    const refused = await g.call('/v1/actions', key, { envelope });
    assert.equal(refused.status, 503);
    isError(refused.body, 'E_SIGNER_UNAVAILABLE');
    // The ALLOW is recorded (the detail names it) and no token exists for it.
    const entries = await auditEntries(dataDir);
    const last = entries.filter((e) => e.kind === 'decision').at(-1);
    assert.ok(last && (refused.body.detail as string).includes(last.hash));

    ctx.tokenKey = good;
    const again = await g.call('/v1/actions', key, { envelope });
    assert.equal(again.status, 200);
    const run = await g.call('/v1/execute', key, {
      token: again.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(run.status, 200);
    assert.equal(runs.length, 1);
  } finally {
    await g.close();
  }
  await verifies(dataDir);
});

test('the checkpoint signer fails: entries stay durable, checkpoints resume and cover them, close still closes', async () => {
  const dataDir = tempDir();
  const { log: first } = await openDataDirLog(dataDir, { checkpointIntervalMs: 60_000 });
  await first.append('test.event', { n: 0 });
  await first.close();
  const found = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  assert.ok(found);
  const key = readSigningKey(found.privatePath, DEFAULT_ORIGIN);
  const real = key.privateKey;
  const signer: Fault = { on: true };
  // The same key, whose private half fails while the fault is on (a signing device that stopped).
  const flaky: SigningKey = {
    ...key,
    get privateKey() {
      if (signer.on) throw new Error('the signing device is not answering');
      return real;
    },
  };
  const { log } = await AuditLog.open({
    store: new SegmentStore(segmentsDir(dataDir)),
    key: flaky,
    checkpointIntervalMs: 60_000,
  });
  for (let n = 1; n <= 5; n++) await log.append('test.event', { n });
  await assert.rejects(log.checkpoint(), /not answering/);
  assert.equal(log.durableSize, log.size, 'every entry is durable without a checkpoint');
  signer.on = false;
  const covered = log.durableSize;
  const checkpoint = await log.checkpoint();
  assert.equal(checkpoint?.size, covered, 'the first checkpoint after the fault covers every entry');
  signer.on = true;
  await log.append('test.event', { n: 6 });
  await log.close(); // the final checkpoint fails; the store still closes
  signer.on = false;
  await verifies(dataDir);
});

test('a detector throws: the action is DENIED and recorded, an output it cannot scan is withheld; normal again after', async () => {
  const dataDir = tempDir();
  const runs: string[] = [];
  const fault: Fault = { on: false };
  const g = await startFaultGateway({
    dataDir,
    executors: countingExecutor(runs),
    inspectors: {
      arguments: (args) => {
        if (fault.on) throw new Error('detector crashed');
        return inspectArguments(args);
      },
      output: (output, more) => {
        if (fault.on) throw new Error('detector crashed');
        return redactOutput(output, more);
      },
    },
  });
  try {
    const { key, envelope } = await agentWithTelemetry(g, 'detector-agent', 's-detector');
    const minted = await g.call('/v1/actions', key, { envelope });
    assert.equal(minted.status, 200);
    fault.on = true;
    const denied = await g.call('/v1/actions', key, { envelope });
    assert.equal(denied.status, 200);
    assert.deepEqual([denied.body.decision, denied.body.rule], ['DENY', 'inspect.unscannable_arguments']);
    assert.equal(denied.body.token, undefined);
    const entries = await auditEntries(dataDir);
    const { seq, hash } = denied.body.audit as { seq: number; hash: string };
    assert.equal(entries[seq]?.hash, hash);
    assert.equal(entries[seq]?.kind, 'decision');
    // The action ran (the token was minted before), but its output is withheld, and recorded as such.
    const run = await g.call('/v1/execute', key, {
      token: minted.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(run.status, 200);
    assert.equal(run.body.result, null);
    assert.equal((run.body.withheld as { code: string }).code, 'E_OUTPUT_WITHHELD');
    const withheld = (await auditEntries(dataDir)).find((e) => e.kind === 'execution.withheld');
    assert.ok(withheld);

    fault.on = false;
    const again = await g.call('/v1/actions', key, { envelope });
    assert.deepEqual([again.status, again.body.decision], [200, 'ALLOW']);
    const ok = await g.call('/v1/execute', key, {
      token: again.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.body.result, null);
  } finally {
    await g.close();
  }
  await verifies(dataDir);
});

test('the upstream times out: 502 E_EXECUTOR_FAILED (E_EXECUTOR_TIMEOUT), recorded as failed, never as done; then normal', async () => {
  const dataDir = tempDir();
  const runs: string[] = [];
  const upstream = { hang: true };
  const g = await startFaultGateway({
    dataDir,
    executors: countingExecutor(runs, upstream),
    executorTimeoutMs: 200,
  });
  try {
    const { key, envelope } = await agentWithTelemetry(g, 'upstream-agent', 's-upstream');
    const minted = await g.call('/v1/actions', key, { envelope });
    const timedOut = await g.call('/v1/execute', key, {
      token: minted.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(timedOut.status, 502);
    isError(timedOut.body, 'E_EXECUTOR_FAILED');
    assert.match(timedOut.body.detail as string, /E_EXECUTOR_TIMEOUT/);
    const entries = await auditEntries(dataDir);
    const failed = entries.find((e) => e.kind === 'execution.failed');
    assert.equal(failed?.payload.code, 'E_EXECUTOR_TIMEOUT');
    assert.ok(entries.some((e) => e.kind === 'execution' && e.payload.jti === failed?.payload.jti));
    assert.equal(entries.filter((e) => e.kind === 'execution.result').length, 0);

    upstream.hang = false;
    const again = await g.call('/v1/actions', key, { envelope });
    const run = await g.call('/v1/execute', key, {
      token: again.body.token,
      tool: 'migrate_vm',
      args: MIGRATE,
    });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(runs.length, 1);
  } finally {
    await g.close();
  }
  await verifies(dataDir);
});
