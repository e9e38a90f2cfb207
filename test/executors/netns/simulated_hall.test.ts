// The simulated hall and the executor's contract, on any machine: every output is labelled SIMULATED,
// the gate is asked before any effect and a refused or replayed token changes nothing, a tool or target
// the hall cannot run is refused before the gate (the token is not spent).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenGate } from '../../../src/executors/executor.js';
import {
  createDataHall,
  createHallExecutor,
  createSimulatedHall,
  type DataHall,
  HallError,
} from '../../../src/executors/netns/index.js';
import { TokenError } from '../../../src/tokens/index.js';
import { call, ledgerGate } from './helpers.js';

async function upHall(): Promise<DataHall> {
  const hall = createSimulatedHall({ prefix: 'cptsim', reason: 'a test asked for it' });
  await hall.up();
  return hall;
}

test('every output of the simulated hall says SIMULATED: status, outcome, probe, canary, heal, teardown', async () => {
  const hall = await upHall();
  const { gate, mint } = ledgerGate();
  const executor = createHallExecutor(hall, gate);
  assert.equal(executor.name, 'simulated-hall');
  assert.equal(executor.simulated, true);

  const status = await hall.status();
  assert.equal(status.simulated, true);
  assert.match(status.label, /^SIMULATED: .*\(a test asked for it\)$/);
  assert.ok(status.sites.every((s) => s.namespace === '(none: SIMULATED)' && s.pid === null));

  const isolate = call('isolate_network_device', { device_id: 'spine-switch-sj-01' });
  const outcome = await executor.execute(await mint(isolate), isolate);
  assert.equal(outcome.simulated, true);
  assert.equal(outcome.executor, 'simulated-hall');
  assert.match(outcome.effect, /^SIMULATED: /);
  assert.equal(outcome.details?.simulated, true);
  assert.match(String(outcome.details?.would_install), /policy drop/);

  const probe = await hall.probe('sj-02', 'sj-01');
  assert.deepEqual([probe.simulated, probe.reachable], [true, false]);
  assert.match(
    probe.error ?? '',
    /^SIMULATED: stopped by isolate_network_device spine-switch-sj-01 \(in sj-01\)$/,
  );

  const canary = await hall.canary('oak-01');
  assert.equal(canary.simulated, true);
  assert.ok(
    canary.results
      .filter((r) => r.site === 'sj-01')
      .every((r) => !r.reachable && /^SIMULATED/.test(r.error ?? '')),
  );
  assert.ok(canary.results.filter((r) => r.site === 'sj-02').every((r) => r.reachable));

  const journal = (await hall.status()).journal;
  assert.ok(journal.length > 0 && journal.every((j) => j.simulated && /^SIMULATED/.test(j.effect)));

  const heal = await hall.heal();
  assert.equal(heal.simulated, true);
  assert.match(heal.label, /^SIMULATED/);
  assert.deepEqual(heal.healed.find((h) => h.site === 'sj-01')?.removed_chains, [
    'spine_switch_sj_01_in',
    'spine_switch_sj_01_out',
  ]);
  assert.equal((await hall.probe('sj-02', 'sj-01')).reachable, true);

  const down = await hall.down();
  assert.deepEqual([down.simulated, down.already_down], [true, false]);
  assert.match(down.label, /^SIMULATED/);
  assert.equal((await hall.down()).already_down, true);
});

test('the executor asks the gate first; a refusing gate means no effect, and its error comes back unchanged', async () => {
  const hall = await upHall();
  const order: string[] = [];
  const logged: DataHall = Object.assign(Object.create(hall) as DataHall, {
    apply: (effect: Parameters<DataHall['apply']>[0]) => {
      order.push('apply');
      return hall.apply(effect);
    },
  });
  const refusal = new TokenError('E_TOKEN_SIGNATURE', 'refused by the test');
  const refusing: TokenGate = async () => {
    order.push('gate');
    throw refusal;
  };
  const isolate = call('isolate_network_device', { device_id: 'spine-switch-sj-02' });
  await assert.rejects(
    createHallExecutor(logged, refusing).execute('not-a-token', isolate),
    (e) => e === refusal,
  );
  assert.deepEqual(order, ['gate']);
  assert.deepEqual(
    (await hall.status()).sites.flatMap((s) => s.carapace_chains),
    [],
  );
  assert.equal((await hall.probe('sj-01', 'sj-02')).reachable, true);

  const { gate, mint } = ledgerGate();
  const allowing: TokenGate = async (token, c) => {
    order.push('gate');
    return gate(token, c);
  };
  await createHallExecutor(logged, allowing).execute(await mint(isolate), isolate);
  assert.deepEqual(order, ['gate', 'gate', 'apply']);
});

test('a replayed token is refused by the gate and changes nothing', async () => {
  const hall = await upHall();
  const { gate, mint } = ledgerGate();
  const executor = createHallExecutor(hall, gate);
  const quarantine = call('quarantine_node', { node_id: 'node-oak-01-02' });
  const token = await mint(quarantine);
  await executor.execute(token, quarantine);
  await hall.heal();
  await assert.rejects(
    executor.execute(token, quarantine),
    (e: unknown) => e instanceof TokenError && e.code === 'E_TOKEN_REPLAYED',
  );
  assert.deepEqual(
    (await hall.status()).sites.flatMap((s) => s.carapace_chains),
    [],
  );
  assert.equal((await hall.probe('sj-01', 'oak-01', 'node-oak-01-02')).reachable, true);
});

test('a tool or target the hall cannot run is refused before the gate, so the token is not spent', async () => {
  const hall = await upHall();
  const { gate, mint, calls } = ledgerGate();
  const executor = createHallExecutor(hall, gate);
  const telemetry = call('get_telemetry', { target: 'sj-01' });
  await assert.rejects(
    executor.execute(await mint(telemetry), telemetry),
    (e: unknown) => e instanceof HallError && e.code === 'E_HALL_TOOL',
  );
  const unknown = call('isolate_vlan', { vlan_id: 'vlan-sj-01-99' });
  await assert.rejects(
    executor.execute(await mint(unknown), unknown),
    (e: unknown) => e instanceof HallError && e.code === 'E_HALL_TARGET',
  );
  assert.equal(calls.length, 0);
  assert.deepEqual((await hall.status()).journal, []);
});

test('proportionate effects in the model: a leaf or VLAN cuts one link, a node only its address', async () => {
  const hall = await upHall();
  const { gate, mint } = ledgerGate();
  const executor = createHallExecutor(hall, gate);
  for (const c of [
    call('isolate_network_device', { device_id: 'leaf-switch-sj-01-a' }),
    call('quarantine_node', { node_id: 'node-sj-02-04' }),
  ]) {
    await executor.execute(await mint(c), c);
  }
  const reach = async (to: string, target: string) => (await hall.probe('oak-01', to, target)).reachable;
  assert.equal(await reach('sj-01', 'vlan-sj-01-10'), false);
  assert.equal(await reach('sj-01', 'node-sj-01-02'), false);
  assert.equal(await reach('sj-01', 'vlan-sj-01-20'), true);
  assert.equal(await reach('sj-01', 'node-sj-01-03'), true);
  assert.equal(await reach('sj-01', 'spine-switch-sj-01'), true);
  assert.equal(await reach('sj-02', 'node-sj-02-04'), false);
  assert.equal(await reach('sj-02', 'node-sj-02-03'), true);
});

test('recorded-only tools say so; restart_workload is counted; an effect on a hall that is down is refused', async () => {
  const hall = await upHall();
  const { gate, mint } = ledgerGate();
  const executor = createHallExecutor(hall, gate);
  const migrate = call('migrate_vm', { vm_id: 'vm-05', target_node: 'node-sj-02-01' });
  const recorded = await executor.execute(await mint(migrate), migrate);
  assert.match(recorded.effect, /^SIMULATED \(recorded only\): migrate VM vm-05/);
  assert.equal(recorded.details?.recorded_only, true);

  const restart = call('restart_workload', { workload: 'dns', site: 'sj-02' });
  await executor.execute(await mint(restart), restart);
  const dns = (await hall.status()).sites
    .find((s) => s.site === 'sj-02')
    ?.workloads.find((w) => w.name === 'dns');
  assert.equal(dns?.starts, 2);

  await hall.down();
  const isolate = call('isolate_vlan', { vlan_id: 'vlan-sj-02-20' });
  await assert.rejects(
    executor.execute(await mint(isolate), isolate),
    (e: unknown) => e instanceof HallError && e.code === 'E_HALL_NOT_UP',
  );
});

test('createDataHall falls back to the simulated hall with the reason, or when asked', () => {
  const asked = createDataHall({ prefix: 'cptsim', simulated: true });
  assert.equal(asked.simulated, true);
  assert.equal(asked.simulatedReason, 'the simulated hall was requested');
  const chosen = createDataHall({ prefix: 'cptsim' });
  if (chosen.simulated) assert.ok((chosen.simulatedReason ?? '').length > 0);
  else assert.equal(chosen.kind, 'netns');
});
