// The data hall's layout, derived from the demo catalog's entities so that every id an agent can name
// (site, spine, leaf, VLAN, node, VM) has exactly one place in the hall: which link it is on, which
// address answers for it. Pure: the real (netns) and the simulated hall share it. docs/executors.md.

import { DEMO_CATALOG, type TopologyEntity } from '../../engine/index.js';
import { HallError } from './errors.js';

/** The port of each site's HTTP service (the "spine" service); it answers on every address of the site. */
export const SERVICE_PORT = 8080;
/** The workloads every site runs, each its own process listening on the site's management address. */
export const WORKLOADS: readonly HallWorkload[] = [
  { name: 'billing-api', port: 8081 },
  { name: 'dns', port: 8053 },
];
/** The management link: the spine's segment. VLAN k of a site is link `vlan<k>`. */
export const MGMT_LINK = 'mgmt';

export interface HallWorkload {
  name: string;
  port: number;
}

export interface HallVlan {
  /** Catalog id, e.g. vlan-sj-01-10. */
  id: string;
  /** The 802.1Q number in the id, e.g. 10. */
  number: number;
  /** The interface carrying this VLAN inside the site's namespace, e.g. vlan10. */
  link: string;
  /** The leaf switch that carries this VLAN (leaf a ↔ the lowest-numbered VLAN, b ↔ the next). */
  leaf: string;
  /** The site's own address on the VLAN's segment. */
  address: string;
  /** The VLAN's segment, shared by every site (one bridge per VLAN in the core namespace). */
  segment: string;
}

export interface HallNode {
  id: string;
  /** The VLAN the node sits on (catalog id). */
  vlan: string;
  link: string;
  address: string;
}

export interface HallSite {
  id: string;
  /** 1-based position in the catalog: addresses are derived from it. */
  index: number;
  spine: string;
  /** The site's address on the management segment: spine service and workloads answer here. */
  address: string;
  vlans: HallVlan[];
  nodes: HallNode[];
  /** VMs and the node each runs on (the hall records VM moves; it has no hypervisor). */
  vms: { id: string; node: string }[];
}

/** Something a probe can reach: a site's spine service, a VLAN, a node, or a workload. */
export interface HallTarget {
  site: string;
  /** The catalog id (spine switch, VLAN, node) or the workload name. */
  id: string;
  kind: 'spine' | 'vlan' | 'node' | 'workload';
  link: string;
  address: string;
  port: number;
}

export interface HallTopology {
  /** The /24 the hall's addresses come from. */
  subnet: string;
  /** Link name → its /26 segment. */
  segments: Record<string, string>;
  sites: HallSite[];
}

const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/;
const MAX_SITES = 5;
const MAX_NODES_PER_SITE = 9;
const MAX_VLANS_PER_SITE = 3;

/**
 * Requires `subnet` to be an IPv4 /24 written a.b.c.0/24. The management segment is its first /26,
 * VLAN k (k = 1, 2, 3 in ascending VLAN number) the k-th /26 after it. Site i (1-based) has host 10·i
 * on every segment; a node numbered n (its position in the site, 1-based) has host 10·i + n on its VLAN.
 */
export function hallTopology(
  subnet: string,
  entities: Iterable<TopologyEntity> = DEMO_CATALOG.entities.values(),
): HallTopology {
  const base = parseSubnet(subnet);
  const all = [...entities];
  const siteIds = all.filter((e) => e.kind === 'site').map((e) => e.id);
  if (siteIds.length === 0 || siteIds.length > MAX_SITES) {
    throw new HallError(
      'E_HALL_CONFIG',
      `the hall takes 1 to ${MAX_SITES} sites, the catalog has ${siteIds.length}`,
    );
  }
  const segments: Record<string, string> = { [MGMT_LINK]: `${base}.0/26` };
  const sites = siteIds.map((id, i) => hallSite(id, i + 1, base, all, segments));
  return { subnet, segments, sites };
}

function hallSite(
  id: string,
  index: number,
  base: string,
  all: TopologyEntity[],
  segments: Record<string, string>,
): HallSite {
  if (!/^[a-z0-9-]{1,8}$/.test(id)) {
    throw new HallError(
      'E_HALL_CONFIG',
      `site id ${JSON.stringify(id)} must be 1 to 8 of [a-z0-9-] (interface names)`,
    );
  }
  const inSite = (kind: string) =>
    all.filter((e) => e.kind === kind && e.site === id).sort((a, b) => a.id.localeCompare(b.id));
  const devices = inSite('network_device');
  const spines = devices.filter((d) => d.role === 'spine');
  const leaves = devices.filter((d) => d.role === 'leaf');
  if (spines.length !== 1) throw topologyError(id, `has ${spines.length} spine switches, the hall needs one`);
  const vlanEntities = inSite('vlan')
    .map((v) => ({ id: v.id, number: Number(/-(\d{1,4})$/.exec(v.id)?.[1] ?? NaN) }))
    .sort((a, b) => a.number - b.number);
  if (vlanEntities.length === 0 || vlanEntities.length > MAX_VLANS_PER_SITE) {
    throw topologyError(id, `has ${vlanEntities.length} VLANs, the hall takes 1 to ${MAX_VLANS_PER_SITE}`);
  }
  if (leaves.length !== vlanEntities.length) {
    throw topologyError(
      id,
      `has ${leaves.length} leaf switches for ${vlanEntities.length} VLANs; each leaf carries one VLAN`,
    );
  }
  const vlans: HallVlan[] = vlanEntities.map((v, k) => {
    if (!Number.isInteger(v.number) || v.number < 1 || v.number > 4094) {
      throw topologyError(id, `VLAN ${v.id} does not end in a VLAN number 1..4094`);
    }
    const link = `vlan${v.number}`;
    const segmentBase = 64 * (k + 1);
    const segment = `${base}.${segmentBase}/26`;
    if (segments[link] !== undefined && segments[link] !== segment) {
      throw topologyError(id, `VLAN ${v.number} is at position ${k + 1} here but not in another site`);
    }
    segments[link] = segment;
    return {
      id: v.id,
      number: v.number,
      link,
      leaf: (leaves[k] as TopologyEntity).id,
      address: `${base}.${segmentBase + 10 * index}`,
      segment,
    };
  });
  const nodeIds = inSite('node').map((n) => n.id);
  if (nodeIds.length > MAX_NODES_PER_SITE) {
    throw topologyError(id, `has ${nodeIds.length} nodes, the hall takes at most ${MAX_NODES_PER_SITE}`);
  }
  // The first share of the nodes sits on the first VLAN, the next share on the next: 01, 02 → 10; 03, 04 → 20.
  const perVlan = Math.ceil(nodeIds.length / vlans.length);
  const nodes: HallNode[] = nodeIds.map((nodeId, n) => {
    const vlan = vlans[Math.floor(n / perVlan)] as HallVlan;
    const segmentBase = Number(vlan.segment.split('.')[3]?.split('/')[0]);
    return {
      id: nodeId,
      vlan: vlan.id,
      link: vlan.link,
      address: `${base}.${segmentBase + 10 * index + n + 1}`,
    };
  });
  const vms = inSite('vm').map((vm, j) => ({
    id: vm.id,
    node: nodes.length === 0 ? '' : (nodes[j % nodes.length] as HallNode).id,
  }));
  return {
    id,
    index,
    spine: (spines[0] as TopologyEntity).id,
    address: `${base}.${10 * index}`,
    vlans,
    nodes,
    vms,
  };
}

/** Every target of `site`: its spine service, its VLAN addresses, its nodes, its workloads. */
export function siteTargets(site: HallSite): HallTarget[] {
  return [
    {
      site: site.id,
      id: site.spine,
      kind: 'spine',
      link: MGMT_LINK,
      address: site.address,
      port: SERVICE_PORT,
    },
    ...site.vlans.map((v): HallTarget => ({
      site: site.id,
      id: v.id,
      kind: 'vlan',
      link: v.link,
      address: v.address,
      port: SERVICE_PORT,
    })),
    ...site.nodes.map((n): HallTarget => ({
      site: site.id,
      id: n.id,
      kind: 'node',
      link: n.link,
      address: n.address,
      port: SERVICE_PORT,
    })),
    ...WORKLOADS.map((w): HallTarget => ({
      site: site.id,
      id: w.name,
      kind: 'workload',
      link: MGMT_LINK,
      address: site.address,
      port: w.port,
    })),
  ];
}

/** The site named `id`, or E_HALL_TARGET naming the sites there are. */
export function findSite(topology: HallTopology, id: string): HallSite {
  const site = topology.sites.find((s) => s.id === id);
  if (!site) {
    throw new HallError(
      'E_HALL_TARGET',
      `no site ${JSON.stringify(id)} in the hall (sites: ${topology.sites.map((s) => s.id).join(', ')})`,
    );
  }
  return site;
}

/** The target `id` of site `site` (default: its spine service), or E_HALL_TARGET listing the targets. */
export function findTarget(site: HallSite, id?: string): HallTarget {
  const targets = siteTargets(site);
  const target = id === undefined ? targets[0] : targets.find((t) => t.id === id);
  if (!target) {
    throw new HallError(
      'E_HALL_TARGET',
      `site ${site.id} has no target ${JSON.stringify(id)} (targets: ${targets.map((t) => t.id).join(', ')})`,
    );
  }
  return target;
}

function parseSubnet(subnet: string): string {
  const m = typeof subnet === 'string' ? SUBNET.exec(subnet) : null;
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) {
    throw new HallError(
      'E_HALL_CONFIG',
      `subnet ${JSON.stringify(subnet)} is not an IPv4 /24 written a.b.c.0/24`,
    );
  }
  return m.slice(1, 4).join('.');
}

function topologyError(site: string, what: string): HallError {
  return new HallError('E_HALL_CONFIG', `the catalog's site ${site} ${what}`);
}
