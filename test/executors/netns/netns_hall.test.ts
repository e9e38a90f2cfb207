// The real data hall (needs Linux, root, ip and nft; skipped otherwise, failed under
// CARAPACE_REQUIRE_NETNS=1): effects applied through the executor with real single-use tokens stop real
// traffic between namespaces, as measured by the canaries and by direct probes, and heal restores it.
// A refused or replayed token leaves the namespace's nftables ruleset exactly as it was.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { TokenGate } from '../../../src/executors/executor.js';
import {
  type CanaryReport,
  createHallExecutor,
  createNetnsHall,
  type DataHall,
  type HallEffect,
  modelReachability,
  planHallEffect,
  siteTargets,
} from '../../../src/executors/netns/index.js';
import { isAlive } from '../../../src/executors/netns/hall_processes.js';
import type { NetworkEffect } from '../../../src/executors/netns/nft_ruleset.js';
import { TokenError } from '../../../src/tokens/index.js';
import { call, ledgerGate, netnsSkip, rulesetIn, waitFor } from './helpers.js';

const PREFIX = 'cpteffect';
const SITES = ['sj-01', 'sj-02', 'oak-01'];
const skip = netnsSkip();

describe(
  'the netns data hall: effects through the executor, measured by canaries and probes',
  { skip },
  () => {
    let hall: DataHall;
    let tmp: string;

    /** The canary report of `site` from a round that started after `since` (epoch ms). */
    async function canaryAfter(site: string, since: number): Promise<Map<string, boolean>> {
      const report = await waitFor(`a canary round of ${site} after the change`, async () => {
        const r: CanaryReport = await hall.canary(site);
        return r.results.length > 0 && r.results.every((x) => Date.parse(x.checked_at) >= since)
          ? r
          : undefined;
      });
      return new Map(report.results.map((r) => [`${r.site}/${r.target}`, r.reachable]));
    }

    /** Every canary of every site reports every target reachable, in a round after `since`. */
    async function allGreen(since: number): Promise<void> {
      for (const site of SITES) {
        await waitFor(`every target green for ${site}'s canary`, async () => {
          const seen = await canaryAfter(site, since);
          return [...seen.values()].every(Boolean) ? true : undefined;
        });
      }
    }

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'cpteffect-'));
      hall = createNetnsHall({ prefix: PREFIX, runDir: join(tmp, 'run'), probeIntervalMs: 200 });
      await hall.up();
      await allGreen(Date.now());
    });
    after(async () => {
      await hall?.down();
      rmSync(tmp, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await hall.heal();
    });

    test('isolating spine-switch-sj-01 darkens sj-01 for every canary and probe; heal restores it', async () => {
      const { gate, mint } = ledgerGate();
      const executor = createHallExecutor(hall, gate);
      assert.deepEqual([executor.name, executor.simulated], ['netns-hall', false]);
      const isolate = call('isolate_network_device', { device_id: 'spine-switch-sj-01' });
      const outcome = await executor.execute(await mint(isolate), isolate);
      const since = Date.now();
      assert.equal(outcome.simulated, false);
      assert.match(
        outcome.effect,
        /^nftables deny-all installed in cpteffect-sj-01 for spine spine-switch-sj-01/,
      );
      assert.deepEqual(outcome.details?.chains, ['spine_switch_sj_01_in', 'spine_switch_sj_01_out']);
      assert.match(rulesetIn(`${PREFIX}-sj-01`), /table inet carapace[\s\S]*policy drop/);
      assert.doesNotMatch(rulesetIn(`${PREFIX}-sj-02`), /carapace/);

      for (const from of ['sj-02', 'oak-01']) {
        const probe = await hall.probe(from, 'sj-01');
        assert.equal(probe.reachable, false, `${from} → sj-01`);
      }
      assert.equal((await hall.probe('sj-02', 'oak-01')).reachable, true);

      for (const site of ['sj-02', 'oak-01']) {
        const seen = await canaryAfter(site, since);
        for (const [key, reachable] of seen)
          assert.equal(reachable, !key.startsWith('sj-01/'), `${site} sees ${key}`);
      }
      const fromInside = await canaryAfter('sj-01', since);
      assert.ok(
        [...fromInside.values()].every((r) => r === false),
        'an isolated site reaches nothing either',
      );

      const heal = await hall.heal('sj-01');
      const healedAt = Date.now();
      assert.deepEqual(heal.healed, [
        { site: 'sj-01', removed_chains: ['spine_switch_sj_01_in', 'spine_switch_sj_01_out'] },
      ]);
      assert.doesNotMatch(rulesetIn(`${PREFIX}-sj-01`), /carapace/);
      assert.equal((await hall.probe('sj-02', 'sj-01')).reachable, true);
      await allGreen(healedAt);
    });

    test('the canaries agree with the reachability model under a leaf, a VLAN and a node effect at once', async () => {
      const { gate, mint } = ledgerGate();
      const executor = createHallExecutor(hall, gate);
      const calls = [
        call('isolate_network_device', { device_id: 'leaf-switch-sj-01-a' }),
        call('isolate_vlan', { vlan_id: 'vlan-oak-01-20' }),
        call('quarantine_node', { node_id: 'node-sj-02-03' }),
      ];
      const effects = new Map<string, NetworkEffect[]>();
      for (const c of calls) {
        await executor.execute(await mint(c), c);
        const effect = planHallEffect(hall.topology, c.tool, c.args) as HallEffect & NetworkEffect;
        effects.set(effect.site, [...(effects.get(effect.site) ?? []), effect]);
      }
      const since = Date.now();
      let blocked = 0;
      for (const site of SITES) {
        const seen = await canaryAfter(site, since);
        for (const target of hall.topology.sites.filter((s) => s.id !== site).flatMap(siteTargets)) {
          const expected = modelReachability(effects, site, target).reachable;
          assert.equal(
            seen.get(`${target.site}/${target.id}`),
            expected,
            `${site} → ${target.site}/${target.id}`,
          );
          if (!expected) blocked++;
        }
      }
      assert.ok(blocked > 0 && blocked < 54, `some but not all probes are blocked (${blocked} of 54)`);

      // Direct probes: the leaf cut VLAN 10 of sj-01 only; the quarantine cut node-sj-02-03 only.
      const reach = async (from: string, to: string, target: string) =>
        (await hall.probe(from, to, target)).reachable;
      assert.equal(await reach('sj-02', 'sj-01', 'node-sj-01-01'), false);
      assert.equal(await reach('sj-02', 'sj-01', 'node-sj-01-03'), true);
      assert.equal(await reach('sj-02', 'sj-01', 'spine-switch-sj-01'), true);
      assert.equal(await reach('sj-01', 'sj-02', 'node-sj-02-03'), false);
      assert.equal(await reach('sj-01', 'sj-02', 'node-sj-02-04'), true);
      assert.equal(
        await reach('oak-01', 'sj-02', 'node-sj-02-04'),
        false,
        'oak-01 cannot send on its VLAN 20',
      );

      await hall.heal();
      await allGreen(Date.now());
    });

    test('a refusing gate: the executor rejects with its error and the nftables ruleset is unchanged', async () => {
      const ns = `${PREFIX}-sj-02`;
      const before = rulesetIn(ns);
      assert.doesNotMatch(before, /carapace/);
      const refusal = new TokenError('E_TOKEN_SIGNATURE', 'refused by the test');
      const refusing: TokenGate = async () => {
        throw refusal;
      };
      const isolate = call('isolate_network_device', { device_id: 'spine-switch-sj-02' });
      await assert.rejects(
        createHallExecutor(hall, refusing).execute('forged', isolate),
        (e) => e === refusal,
      );
      assert.equal(rulesetIn(ns), before);

      // A real token for another action is refused by the real gate, with the same result.
      const { gate, mint } = ledgerGate();
      const other = call('isolate_network_device', { device_id: 'spine-switch-oak-01' });
      await assert.rejects(
        createHallExecutor(hall, gate).execute(await mint(other), isolate),
        (e: unknown) => e instanceof TokenError && e.code === 'E_TOKEN_WRONG_ACTION',
      );
      assert.equal(rulesetIn(ns), before);
      assert.doesNotMatch(rulesetIn(`${PREFIX}-oak-01`), /carapace/);
      assert.equal((await hall.probe('sj-01', 'sj-02')).reachable, true);
    });

    test('a replayed token does nothing: refused as E_TOKEN_REPLAYED, no rule comes back after heal', async () => {
      const { gate, mint } = ledgerGate();
      const executor = createHallExecutor(hall, gate);
      const isolate = call('isolate_network_device', { device_id: 'spine-switch-oak-01' });
      const token = await mint(isolate);
      await executor.execute(token, isolate);
      assert.match(rulesetIn(`${PREFIX}-oak-01`), /carapace/);
      await hall.heal('oak-01');
      const healed = rulesetIn(`${PREFIX}-oak-01`);
      await assert.rejects(
        executor.execute(token, isolate),
        (e: unknown) => e instanceof TokenError && e.code === 'E_TOKEN_REPLAYED',
      );
      assert.equal(rulesetIn(`${PREFIX}-oak-01`), healed);
      assert.doesNotMatch(healed, /carapace/);
      assert.equal((await hall.probe('sj-01', 'oak-01')).reachable, true);
    });

    test('restart_workload stops the real process and starts a new one, which answers', async () => {
      const workloadPid = async () =>
        (await hall.status()).sites
          .find((s) => s.site === 'sj-01')
          ?.workloads.find((w) => w.name === 'billing-api');
      const before = await workloadPid();
      assert.ok(before?.pid);
      const { gate, mint } = ledgerGate();
      const restart = call('restart_workload', { workload: 'billing-api', site: 'sj-01' });
      const outcome = await createHallExecutor(hall, gate).execute(await mint(restart), restart);
      assert.equal(outcome.simulated, false);
      assert.match(outcome.effect, /^restarted workload billing-api in sj-01/);
      assert.equal(outcome.details?.old_pid, before.pid);
      const after = await workloadPid();
      assert.equal(after?.pid, outcome.details?.new_pid);
      assert.notEqual(after?.pid, before.pid);
      assert.equal(after?.starts, before.starts + 1);
      assert.equal(isAlive(before.pid), false, 'the old workload process is gone');
      const probe = await hall.probe('sj-02', 'sj-01', 'billing-api');
      assert.deepEqual([probe.reachable, probe.answered_by], [true, 'billing-api']);
    });

    test('migrate_vm and throttle_power are recorded only, say SIMULATED, and change no ruleset', async () => {
      const { gate, mint } = ledgerGate();
      const executor = createHallExecutor(hall, gate);
      const before = SITES.map((s) => rulesetIn(`${PREFIX}-${s}`));
      for (const c of [
        call('migrate_vm', { vm_id: 'vm-01', target_node: 'node-sj-01-02' }),
        call('throttle_power', { node_id: 'node-oak-01-01', percent: 50 }),
      ]) {
        const outcome = await executor.execute(await mint(c), c);
        assert.equal(outcome.simulated, true);
        assert.match(outcome.effect, /^SIMULATED \(recorded only\): /);
        assert.equal(outcome.details?.recorded_only, true);
      }
      assert.deepEqual(
        SITES.map((s) => rulesetIn(`${PREFIX}-${s}`)),
        before,
      );
      const journal = (await hall.status()).journal.slice(-2);
      assert.deepEqual(
        journal.map((j) => [j.tool, j.simulated]),
        [
          ['migrate_vm', true],
          ['throttle_power', true],
        ],
      );
    });

    test('status names the chains in force per site, and the effects in the journal', async () => {
      const { gate, mint } = ledgerGate();
      const quarantine = call('quarantine_node', { node_id: 'node-oak-01-04' });
      await createHallExecutor(hall, gate).execute(await mint(quarantine), quarantine);
      const status = await hall.status();
      assert.equal(status.up, true);
      assert.match(status.label, /^REAL: /);
      const oak = status.sites.find((s) => s.site === 'oak-01');
      assert.deepEqual(oak?.carapace_chains, ['node_oak_01_04_in', 'node_oak_01_04_out']);
      assert.equal(oak?.namespace, `${PREFIX}-oak-01`);
      assert.equal(status.journal.at(-1)?.entity, 'node-oak-01-04');
    });
  },
);
