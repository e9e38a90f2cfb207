// The behaviour monitor on a real SQLite store: baselines learned per active minute, an alert at 3×,
// the breaker at 10×, and baselines and breakers that outlive the process.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assess, learnMinute, NO_BASELINE } from '../../src/monitor/baseline.js';
import { BehaviourMonitor, type Observation } from '../../src/monitor/behaviour_monitor.js';
import { DEFAULT_MONITOR_PARAMS, monitorParams } from '../../src/monitor/params.js';
import { openSqliteStore } from '../../src/store/sqlite_store.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-07T03:00:00.000Z');

async function freshStore() {
  return openSqliteStore(join(mkdtempSync(join(tmpdir(), 'carapace-mon-')), 'carapace.db'));
}

function action(now: number, extra: Partial<Observation> = {}): Observation {
  return {
    agentId: 'agent:ops',
    tool: 'restart_workload',
    session: 's1',
    decision: 'ALLOW',
    detectedIntent: 'remediate_reversible',
    now,
    ...extra,
  };
}

/** `perMinute` actions spread evenly over each of `minutes` minutes from `start`. */
async function steady(monitor: BehaviourMonitor, start: number, minutes: number, perMinute: number) {
  const results = [];
  for (let m = 0; m < minutes; m++)
    for (let i = 0; i < perMinute; i++)
      results.push(await monitor.observe(action(start + m * MIN + Math.floor((i * MIN) / perMinute))));
  return results;
}

test('the baseline is an EWMA over learned minutes; the floor stands in during warm-up', () => {
  let b = NO_BASELINE;
  b = learnMinute(b, 10, 0.2);
  assert.deepEqual(b, { ewma: 10, minutes: 1 });
  b = learnMinute(b, 20, 0.2);
  assert.deepEqual(b, { ewma: 12, minutes: 2 });
  const p = DEFAULT_MONITOR_PARAMS;
  assert.equal(assess(30, b, 10, p).baseline, 10, 'in warm-up the floor is the baseline');
  const warm = { ewma: 12, minutes: p.warmupMinutes };
  assert.deepEqual(
    [assess(35, warm, 6, p).level, assess(36, warm, 6, p).level, assess(120, warm, 6, p).level],
    ['normal', 'alert', 'trip'],
  );
  assert.equal(
    assess(30, { ewma: 1, minutes: 50 }, 6, p).baseline,
    6,
    'a tiny baseline is raised to the floor',
  );
});

test('a steady agent learns its rate and raises nothing', async () => {
  const store = await freshStore();
  const monitor = new BehaviourMonitor(store);
  const results = await steady(monitor, T0, 8, 10);
  assert.ok(results.every((r) => r.alerts.length === 0 && r.tripped === null));
  assert.equal(await monitor.breaker('agent:ops'), null);
  const stored = await store.getState('baseline', 'agent:agent:ops');
  assert.equal(
    (stored?.value as { rate: { minutes: number } }).rate.minutes,
    7,
    'seven completed minutes are learned',
  );
  await store.close();
});

test('3× the learned rate alerts without blocking; 10× opens the breaker within the window', async () => {
  const store = await freshStore();
  const monitor = new BehaviourMonitor(store);
  await steady(monitor, T0, 8, 10);
  const t = T0 + 9 * MIN;
  // 30 actions in a minute: 3× the learned 10/min.
  const triple = await steady(monitor, t, 1, 30);
  const alerted = triple.flatMap((r) => r.alerts);
  assert.ok(alerted.some((a) => a.metric === 'rate' && a.scope === 'agent' && a.level === 'alert'));
  assert.ok(triple.every((r) => r.tripped === null));
  assert.equal((await monitor.breaker('agent:ops'))?.open ?? false, false);
  // A burst of 10× (100 in well under a minute) trips it, before the burst is over.
  const u = T0 + 20 * MIN;
  let trippedAt = -1;
  for (let i = 0; i < 150 && trippedAt < 0; i++) {
    const r = await monitor.observe(action(u + i * 100));
    if (r.tripped) trippedAt = i;
  }
  assert.ok(trippedAt > 0 && trippedAt < 150, `tripped at action ${trippedAt}`);
  const breaker = await monitor.breaker('agent:ops');
  assert.equal(breaker?.open, true);
  assert.equal(breaker?.reason?.metric, 'rate');
  await store.close();
});

test('an alert is raised at most once a minute per metric', async () => {
  const store = await freshStore();
  const monitor = new BehaviourMonitor(store, monitorParams({ tripRatio: 1000 }));
  const results = await steady(monitor, T0, 1, 40);
  assert.equal(results.flatMap((r) => r.alerts).filter((a) => a.scope === 'agent').length, 1);
  await store.close();
});

test('baselines and an open breaker survive a restart; an admin closes the breaker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-mon-'));
  let store = await openSqliteStore(join(dir, 'carapace.db'));
  let monitor = new BehaviourMonitor(store);
  await steady(monitor, T0, 7, 5);
  for (let i = 0; i < 120; i++) await monitor.observe(action(T0 + 10 * MIN + i * 10));
  assert.equal((await monitor.breaker('agent:ops'))?.open, true);
  await store.close();
  store = await openSqliteStore(join(dir, 'carapace.db'));
  monitor = new BehaviourMonitor(store);
  assert.equal((await monitor.breaker('agent:ops'))?.open, true, 'the breaker is open after the restart');
  assert.ok(
    ((await store.getState('baseline', 'agent:agent:ops'))?.value as { rate: { minutes: number } }).rate
      .minutes >= 6,
  );
  assert.equal(await monitor.closeBreaker('agent:ops', 'admin:root', T0 + 20 * MIN), true);
  assert.equal(await monitor.closeBreaker('agent:ops', 'admin:root', T0 + 20 * MIN), false);
  const closed = await monitor.breaker('agent:ops');
  assert.deepEqual([closed?.open, closed?.closed_by], [false, 'admin:root']);
  await store.close();
});

test('a damaged breaker record reads as open', async () => {
  const store = await freshStore();
  await store.putState('breaker', 'agent:ops', { open: 'no' }, 0, new Date(T0).toISOString());
  assert.equal((await new BehaviourMonitor(store).breaker('agent:ops'))?.open, true);
  await store.close();
});

test('switching between more sessions than allowed within a minute asks for a reset, once', async () => {
  const store = await freshStore();
  const monitor = new BehaviourMonitor(store, monitorParams({ tripRatio: 10_000, alertRatio: 5_000 }));
  const resets = [];
  for (let i = 0; i < 12; i++)
    resets.push((await monitor.observe(action(T0 + i * 1000, { session: `s${i}` }))).contextReset);
  assert.deepEqual(
    resets.filter((r) => r !== null),
    [{ sessions: 11 }],
  );
  await store.close();
});

test('settings are checked: unknown names and non-positive numbers are refused', () => {
  assert.throws(() => monitorParams({ alertRatoi: 2 }), /not a setting/);
  assert.throws(() => monitorParams({ floors: { rate: 0 } }), /positive/);
  assert.throws(() => monitorParams({ tripRatio: 2 }), /at least alertRatio/);
  assert.equal(
    monitorParams({ floors: { rate: 2 } }).floors.tool_rate,
    DEFAULT_MONITOR_PARAMS.floors.tool_rate,
  );
});
