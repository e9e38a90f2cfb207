// The tool catalog: argument-aware classification of the demo data hall, and strict catalog compilation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAction, compileCatalog, DEMO_CATALOG } from '../../src/engine/index.js';

const classify = (tool: string, args: Record<string, unknown>) => classifyAction(DEMO_CATALOG, tool, args);

test('the demo data hall has three sites, each with four nodes, a spine, two leaves, two VLANs and four VMs', () => {
  const kinds = new Map<string, number>();
  for (const e of DEMO_CATALOG.entities.values()) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(kinds), { site: 3, node: 12, network_device: 9, vlan: 6, vm: 12 });
  for (const [vm, site] of <[string, string][]>[
    ['vm-01', 'sj-01'],
    ['vm-04', 'sj-01'],
    ['vm-05', 'sj-02'],
    ['vm-08', 'sj-02'],
    ['vm-09', 'oak-01'],
    ['vm-12', 'oak-01'],
  ])
    assert.equal(DEMO_CATALOG.entities.get(vm)?.site, site, vm);
});

test('each demo tool has its DESIGN.md §3 intent and radius', () => {
  const expected: [string, Record<string, unknown>, string, string][] = [
    ['get_telemetry', { target: 'node-sj-02-03' }, 'observe', 'none'],
    ['read_logs', { source: 'syslog' }, 'observe', 'none'],
    ['propose_action', { summary: 'drain node-sj-01-01' }, 'recommend', 'none'],
    ['restart_workload', { workload: 'billing-api', site: 'oak-01' }, 'remediate_reversible', 'workload'],
    ['throttle_power', { node_id: 'node-sj-01-01', percent: 40 }, 'remediate_destructive', 'node'],
    ['isolate_vlan', { vlan_id: 'vlan-sj-02-20' }, 'remediate_destructive', 'vlan'],
    ['quarantine_node', { node_id: 'node-oak-01-02' }, 'remediate_destructive', 'node'],
  ];
  for (const [tool, args, intent, radius] of expected) {
    const c = classify(tool, args);
    assert.ok(c.ok, `${tool}: ${c.ok ? '' : c.reason}`);
    assert.deepEqual([c.intent, c.radius], [intent, radius], tool);
  }
});

test('migrate_vm within the VM site is reversible with node radius; across sites destructive with site radius', () => {
  assert.deepEqual(classify('migrate_vm', { vm_id: 'vm-06', target_node: 'node-sj-02-04' }), {
    ok: true,
    tool: 'migrate_vm',
    intent: 'remediate_reversible',
    radius: 'node',
  });
  assert.deepEqual(classify('migrate_vm', { vm_id: 'vm-06', target_node: 'node-oak-01-04' }), {
    ok: true,
    tool: 'migrate_vm',
    intent: 'remediate_destructive',
    radius: 'site',
  });
});

test('isolating a spine reaches the site, a leaf the VLAN; the network.isolate alias is the same tool', () => {
  for (const tool of ['isolate_network_device', 'network.isolate']) {
    const spine = classify(tool, { device_id: 'spine-switch-sj-02' });
    const leaf = classify(tool, { device_id: 'leaf-switch-sj-02-a' });
    assert.ok(spine.ok && leaf.ok);
    assert.deepEqual([spine.tool, spine.radius, leaf.radius], ['isolate_network_device', 'site', 'vlan']);
  }
});

test('unknown tools, missing or extra arguments, unknown or wrong-kind ids cannot be classified', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['format_all_disks', {}, /unknown tool/],
    ['Get_Telemetry', { target: 'vm-01' }, /unknown tool/],
    ['migrate_vm', { vm_id: 'vm-01' }, /missing required argument "target_node"/],
    ['get_telemetry', { target: 'vm-01', extra: 1 }, /unexpected argument "extra"/],
    ['throttle_power', { node_id: 'node-sj-01-01', percent: 140 }, /maximum 100/],
    ['throttle_power', { node_id: 'node-sj-01-01', percent: '40' }, /must be number/],
    ['quarantine_node', { node_id: 'node-sj-01-09' }, /not in the topology/],
    ['migrate_vm', { vm_id: 'node-sj-01-01', target_node: 'node-sj-01-02' }, /is a node, not a vm/],
    ['restart_workload', { workload: 'Billing API', site: 'sj-01' }, /does not match/],
    ['restart_workload', { workload: 'billing', site: 'node-sj-01-01' }, /not a site/],
  ];
  for (const [tool, args, reason] of cases) {
    const c = classify(tool, args);
    assert.ok(!c.ok, `${tool} ${JSON.stringify(args)} should not classify`);
    assert.match(c.reason, reason);
  }
});

test('a classified tool with no matching case fails closed', () => {
  const catalog = compileCatalog({
    name: 'roles',
    entities: [
      { id: 's', kind: 'site' },
      { id: 'fw-1', kind: 'network_device', role: 'firewall', site: 's' },
    ],
    tools: [
      {
        name: 'isolate',
        intent: 'remediate_destructive',
        radius: 'site',
        args: { type: 'object', required: ['device_id'], properties: { device_id: { type: 'string' } } },
        resolve: { device_id: 'network_device' },
        classify: [
          { when: { role: { device_id: 'spine' } }, intent: 'remediate_destructive', radius: 'site' },
        ],
      },
    ],
  });
  assert.ok(catalog.ok);
  const c = classifyAction(catalog.value, 'isolate', { device_id: 'fw-1' });
  assert.ok(!c.ok);
  assert.match(c.reason, /no case of isolate matches/);
});

test('a malformed catalog is a compile error that says where', () => {
  const tool = { name: 't', intent: 'observe', radius: 'none', args: { type: 'object' } };
  const cases: [unknown, RegExp][] = [
    [{ name: 'c', entities: [], tools: [] }, /catalog.tools: must be an array of 1/],
    [{ name: 'c', entities: [], tools: [tool], owner: 'x' }, /unknown field "owner"/],
    [{ name: 'c', entities: [], tools: [{ ...tool, intent: 'delete' }] }, /tools\[0\].intent/],
    [{ name: 'c', entities: [], tools: [{ ...tool, radius: 'planet' }] }, /tools\[0\].radius/],
    [{ name: 'c', entities: [], tools: [tool, tool] }, /"t" is used twice/],
    [
      { name: 'c', entities: [], tools: [{ ...tool, args: { type: 'object', oneOf: [] } }] },
      /keyword "oneOf" is not supported/,
    ],
    [
      { name: 'c', entities: [], tools: [{ ...tool, args: { type: 'string', pattern: '(' } }] },
      /not a valid regular expression/,
    ],
    [
      { name: 'c', entities: [], tools: [{ ...tool, resolve: { x: 'node' } }] },
      /resolve.x: a resolved argument must be required/,
    ],
    [
      {
        name: 'c',
        entities: [
          { id: 'a', kind: 'node' },
          { id: 'a', kind: 'node' },
        ],
        tools: [tool],
      },
      /duplicate entity "a"/,
    ],
    [
      { name: 'c', entities: [{ id: 'a', kind: 'node', site: 'nowhere' }], tools: [tool] },
      /not a site entity/,
    ],
    [
      {
        name: 'c',
        entities: [],
        tools: [
          {
            ...tool,
            args: { type: 'object', required: ['a'] },
            classify: [{ when: { same_site: ['a', 'b'] }, intent: 'observe', radius: 'none' }],
          },
        ],
      },
      /same_site: must name two resolved arguments/,
    ],
    [
      {
        name: 'c',
        entities: [],
        tools: [{ ...tool, classify: [{ when: {}, intent: 'observe', radius: 'none' }] }],
      },
      /at least one condition/,
    ],
  ];
  for (const [source, detail] of cases) {
    const r = compileCatalog(source);
    assert.ok(!r.ok, JSON.stringify(source));
    assert.equal(r.error.code, 'E_CATALOG_INVALID');
    assert.match(r.error.detail, detail);
  }
});

test('the catalog hash changes with any change to the catalog', () => {
  const base = {
    name: 'c',
    entities: [],
    tools: [{ name: 't', intent: 'observe', radius: 'none', args: { type: 'object' } }],
  };
  const a = compileCatalog(base);
  const b = compileCatalog({ ...base, tools: [{ ...base.tools[0], radius: 'node' }] });
  assert.ok(a.ok && b.ok);
  assert.match(a.value.hash, /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(a.value.hash, b.value.hash);
});
