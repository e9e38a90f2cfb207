// The hall's layout and plans as data: every entity of the demo catalog has its place, each tool call
// becomes exactly one proportionate effect, and each network effect is the nftables text it should be.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_CATALOG } from '../../../src/engine/index.js';
import { resolveHallConfig } from '../../../src/executors/netns/hall_config.js';
import { HallError, hallTopology, planHallEffect, siteTargets } from '../../../src/executors/netns/index.js';
import { effectRuleset, isNetworkEffect } from '../../../src/executors/netns/nft_ruleset.js';

const topology = hallTopology('10.231.0.0/24');

function plan(tool: string, args: Record<string, unknown>) {
  return planHallEffect(topology, tool, args);
}

test('every site, spine, leaf, VLAN, node and VM of the demo catalog has exactly one place in the hall', () => {
  const placed = new Set<string>();
  for (const site of topology.sites) {
    placed.add(site.id).add(site.spine);
    for (const v of site.vlans) placed.add(v.id).add(v.leaf);
    for (const n of site.nodes) placed.add(n.id);
    for (const vm of site.vms) placed.add(vm.id);
  }
  const catalogIds = [...DEMO_CATALOG.entities.values()]
    .filter((e) => ['site', 'network_device', 'vlan', 'node', 'vm'].includes(e.kind))
    .map((e) => e.id)
    .sort();
  assert.deepEqual([...placed].sort(), catalogIds);
});

test('leaf a carries VLAN 10 and leaf b VLAN 20; nodes 01-02 sit on VLAN 10, 03-04 on VLAN 20', () => {
  const sj01 = topology.sites.find((s) => s.id === 'sj-01');
  assert.ok(sj01);
  assert.deepEqual(
    sj01.vlans.map((v) => [v.id, v.leaf, v.link, v.segment]),
    [
      ['vlan-sj-01-10', 'leaf-switch-sj-01-a', 'vlan10', '10.231.0.64/26'],
      ['vlan-sj-01-20', 'leaf-switch-sj-01-b', 'vlan20', '10.231.0.128/26'],
    ],
  );
  assert.deepEqual(
    sj01.nodes.map((n) => [n.id, n.link, n.address]),
    [
      ['node-sj-01-01', 'vlan10', '10.231.0.75'],
      ['node-sj-01-02', 'vlan10', '10.231.0.76'],
      ['node-sj-01-03', 'vlan20', '10.231.0.141'],
      ['node-sj-01-04', 'vlan20', '10.231.0.142'],
    ],
  );
});

test('all target addresses are distinct across the hall, and each lies in its link segment', () => {
  const addresses = topology.sites.flatMap((s) => siteTargets(s).filter((t) => t.kind !== 'workload'));
  assert.equal(new Set(addresses.map((t) => t.address)).size, addresses.length);
  for (const t of addresses) {
    const [base, bits] = (topology.segments[t.link] ?? '').split('/');
    const start = Number(base?.split('.')[3]);
    const host = Number(t.address.split('.')[3]);
    assert.equal(bits, '26');
    assert.ok(host > start && host < start + 63, `${t.id} ${t.address} outside ${t.link}`);
  }
});

test('each tool call plans one effect on the one thing it names', () => {
  assert.deepEqual(plan('isolate_network_device', { device_id: 'spine-switch-sj-01' }), {
    kind: 'isolate_site',
    tool: 'isolate_network_device',
    site: 'sj-01',
    entity: 'spine-switch-sj-01',
  });
  assert.deepEqual(plan('isolate_network_device', { device_id: 'leaf-switch-oak-01-b' }), {
    kind: 'block_link',
    tool: 'isolate_network_device',
    site: 'oak-01',
    entity: 'leaf-switch-oak-01-b',
    vlan: 'vlan-oak-01-20',
    link: 'vlan20',
  });
  assert.deepEqual(plan('isolate_vlan', { vlan_id: 'vlan-sj-02-10' }), {
    kind: 'block_link',
    tool: 'isolate_vlan',
    site: 'sj-02',
    entity: 'vlan-sj-02-10',
    vlan: 'vlan-sj-02-10',
    link: 'vlan10',
  });
  assert.deepEqual(plan('quarantine_node', { node_id: 'node-sj-02-03' }), {
    kind: 'quarantine_node',
    tool: 'quarantine_node',
    site: 'sj-02',
    entity: 'node-sj-02-03',
    address: '10.231.0.151',
  });
  assert.deepEqual(plan('restart_workload', { workload: 'billing-api', site: 'oak-01' }), {
    kind: 'restart_workload',
    tool: 'restart_workload',
    site: 'oak-01',
    entity: 'billing-api',
  });
  const migrate = plan('migrate_vm', { vm_id: 'vm-01', target_node: 'node-oak-01-02' });
  assert.equal(migrate.kind, 'record_only');
  assert.match(
    migrate.kind === 'record_only' ? migrate.request : '',
    /vm-01 from node-sj-01-01 to node-oak-01-02 \(across sites, sj-01 → oak-01\)/,
  );
  const throttle = plan('throttle_power', { node_id: 'node-sj-01-04', percent: 40 });
  assert.equal(throttle.kind, 'record_only');
});

test('a call the hall cannot act on is refused with the reason, before anything runs', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['get_telemetry', { target: 'sj-01' }, 'E_HALL_TOOL', /does not run "get_telemetry"/],
    ['network.isolate', { device_id: 'spine-switch-sj-01' }, 'E_HALL_TOOL', /does not run/],
    ['isolate_network_device', { device_id: 'spine-switch-xx-01' }, 'E_HALL_TARGET', /no spine or leaf/],
    [
      'isolate_network_device',
      { device_id: 'spine-switch-sj-01', x: 1 },
      'E_HALL_TARGET',
      /unexpected argument "x"/,
    ],
    ['isolate_vlan', { vlan_id: 'vlan-sj-01-30' }, 'E_HALL_TARGET', /no VLAN/],
    ['quarantine_node', { node_id: 7 }, 'E_HALL_TARGET', /must be a non-empty string/],
    ['restart_workload', { workload: 'web', site: 'sj-01' }, 'E_HALL_TARGET', /runs no workload "web"/],
    ['restart_workload', { workload: 'dns', site: 'sj-09' }, 'E_HALL_TARGET', /no site "sj-09"/],
    ['throttle_power', { node_id: 'node-sj-01-01', percent: 120 }, 'E_HALL_TARGET', /percent/],
  ];
  for (const [tool, args, code, message] of cases) {
    assert.throws(
      () => plan(tool, args),
      (e: unknown) => e instanceof HallError && e.code === code && message.test(e.message),
      `${tool} ${JSON.stringify(args)}`,
    );
  }
});

test('the nftables text: a spine is a deny-all but loopback, a leaf drops its VLAN link, a node its address', () => {
  const spine = effectRuleset(netEffect('isolate_network_device', { device_id: 'spine-switch-sj-01' }));
  assert.match(spine, /^add table inet carapace$/m);
  assert.match(
    spine,
    /add chain inet carapace spine_switch_sj_01_in \{ type filter hook input priority filter; policy drop; \}/,
  );
  assert.match(
    spine,
    /add chain inet carapace spine_switch_sj_01_out \{ type filter hook output priority filter; policy drop; \}/,
  );
  assert.match(spine, /add rule inet carapace spine_switch_sj_01_in iif "lo" accept/);
  assert.match(spine, /add rule inet carapace spine_switch_sj_01_out oif "lo" accept/);
  // Re-applying flushes first, so rules never pile up.
  assert.match(spine, /flush chain inet carapace spine_switch_sj_01_in/);

  const leaf = effectRuleset(netEffect('isolate_network_device', { device_id: 'leaf-switch-sj-01-a' }));
  assert.match(leaf, /policy accept/);
  assert.doesNotMatch(leaf, /policy drop/);
  assert.match(leaf, /add rule inet carapace leaf_switch_sj_01_a_in iifname "vlan10" drop/);
  assert.match(leaf, /add rule inet carapace leaf_switch_sj_01_a_out oifname "vlan10" drop/);

  const node = effectRuleset(netEffect('quarantine_node', { node_id: 'node-sj-01-01' }));
  assert.match(node, /add rule inet carapace node_sj_01_01_in ip daddr 10\.231\.0\.75 drop/);
  assert.match(node, /add rule inet carapace node_sj_01_01_out ip saddr 10\.231\.0\.75 drop/);
  assert.doesNotMatch(node, /policy drop/);
});

test('hall options are checked: prefix, subnet, probe interval', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ prefix: 'cp-hall' }, /prefix "cp-hall"/],
    [{ prefix: '' }, /prefix ""/],
    [{ prefix: 'averyveryverylongprefix' }, /1 to 12/],
    [{ subnet: '10.231.0.0/16' }, /not an IPv4 \/24/],
    [{ subnet: '10.256.0.0/24' }, /not an IPv4 \/24/],
    [{ probeIntervalMs: 10 }, /50 to 60000/],
    [{ runDir: `/tmp/${'x'.repeat(100)}` }, /longer than 90/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => resolveHallConfig(options),
      (e: unknown) => e instanceof HallError && e.code === 'E_HALL_CONFIG' && message.test(e.message),
      JSON.stringify(options),
    );
  }
  const config = resolveHallConfig({ prefix: 'cpt', runDir: '/tmp/cpt-run', probeIntervalMs: 200 });
  assert.equal(config.probeTimeoutMs, 250);
  assert.equal(config.defaultRunRoot, null);
});

function netEffect(tool: string, args: Record<string, unknown>) {
  const effect = plan(tool, args);
  assert.ok(isNetworkEffect(effect));
  return effect;
}
