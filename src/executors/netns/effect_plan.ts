// Turns a catalog tool call into the one effect the hall applies for it, and refuses any call whose
// target the hall does not have. Pure, and run before the token gate: an action the hall cannot carry
// out is refused without spending its token. What each effect does is in docs/executors.md.

import { HallError } from './errors.js';
import { findSite, type HallNode, type HallTopology, type HallVlan, WORKLOADS } from './topology.js';

/** The catalog tools the hall's executor runs. */
export const HALL_TOOLS = [
  'isolate_network_device',
  'isolate_vlan',
  'quarantine_node',
  'restart_workload',
  'migrate_vm',
  'throttle_power',
] as const;
export type HallTool = (typeof HALL_TOOLS)[number];

export type HallEffect =
  /** A spine switch: deny-all in the site's namespace (loopback excepted). */
  | { kind: 'isolate_site'; tool: HallTool; site: string; entity: string }
  /** A leaf switch or a VLAN: drop everything on that VLAN's link in the site's namespace. */
  | { kind: 'block_link'; tool: HallTool; site: string; entity: string; vlan: string; link: string }
  /** A node: drop traffic to and from its address only. */
  | { kind: 'quarantine_node'; tool: HallTool; site: string; entity: string; address: string }
  /** Stop and start the workload's process in the site. */
  | { kind: 'restart_workload'; tool: HallTool; site: string; entity: string }
  /** The hall has no hypervisor and no power control: the request is recorded, nothing changes. */
  | { kind: 'record_only'; tool: HallTool; site: string; entity: string; request: string };

export function isHallTool(tool: string): tool is HallTool {
  return (HALL_TOOLS as readonly string[]).includes(tool);
}

/** Throws E_HALL_TOOL for a tool the hall does not run and E_HALL_TARGET for arguments it cannot act on. */
export function planHallEffect(
  topology: HallTopology,
  tool: string,
  args: Record<string, unknown>,
): HallEffect {
  if (!isHallTool(tool)) {
    throw new HallError(
      'E_HALL_TOOL',
      `the data hall does not run ${JSON.stringify(tool)} (it runs ${HALL_TOOLS.join(', ')})`,
    );
  }
  switch (tool) {
    case 'isolate_network_device': {
      const deviceId = stringArg(tool, args, 'device_id', ['device_id']);
      for (const site of topology.sites) {
        if (site.spine === deviceId) return { kind: 'isolate_site', tool, site: site.id, entity: deviceId };
        const vlan = site.vlans.find((v) => v.leaf === deviceId);
        if (vlan) return blockLink(tool, site.id, deviceId, vlan);
      }
      throw new HallError(
        'E_HALL_TARGET',
        `isolate_network_device: no spine or leaf switch ${JSON.stringify(deviceId)} in the hall`,
      );
    }
    case 'isolate_vlan': {
      const vlanId = stringArg(tool, args, 'vlan_id', ['vlan_id']);
      for (const site of topology.sites) {
        const vlan = site.vlans.find((v) => v.id === vlanId);
        if (vlan) return blockLink(tool, site.id, vlanId, vlan);
      }
      throw new HallError('E_HALL_TARGET', `isolate_vlan: no VLAN ${JSON.stringify(vlanId)} in the hall`);
    }
    case 'quarantine_node': {
      const nodeId = stringArg(tool, args, 'node_id', ['node_id']);
      const { site, node } = findNode(topology, tool, nodeId);
      return { kind: 'quarantine_node', tool, site, entity: node.id, address: node.address };
    }
    case 'restart_workload': {
      const allowed = ['workload', 'site'];
      const workload = stringArg(tool, args, 'workload', allowed);
      const site = findSite(topology, stringArg(tool, args, 'site', allowed));
      if (!WORKLOADS.some((w) => w.name === workload)) {
        throw new HallError(
          'E_HALL_TARGET',
          `restart_workload: site ${site.id} runs no workload ${JSON.stringify(workload)} (it runs ${WORKLOADS.map((w) => w.name).join(', ')})`,
        );
      }
      return { kind: 'restart_workload', tool, site: site.id, entity: workload };
    }
    case 'migrate_vm': {
      const allowed = ['vm_id', 'target_node'];
      const vmId = stringArg(tool, args, 'vm_id', allowed);
      const target = findNode(topology, tool, stringArg(tool, args, 'target_node', allowed));
      const from = topology.sites
        .flatMap((s) => s.vms.map((vm) => ({ site: s.id, ...vm })))
        .find((vm) => vm.id === vmId);
      if (!from)
        throw new HallError('E_HALL_TARGET', `migrate_vm: no VM ${JSON.stringify(vmId)} in the hall`);
      const across =
        from.site === target.site ? 'within site' : `across sites, ${from.site} → ${target.site}`;
      return {
        kind: 'record_only',
        tool,
        site: from.site,
        entity: vmId,
        request: `migrate VM ${vmId} from ${from.node} to ${target.node.id} (${across})`,
      };
    }
    case 'throttle_power': {
      const allowed = ['node_id', 'percent'];
      const { site, node } = findNode(topology, tool, stringArg(tool, args, 'node_id', allowed));
      const percent = args.percent;
      if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw new HallError('E_HALL_TARGET', `throttle_power: percent must be a number from 0 to 100`);
      }
      return {
        kind: 'record_only',
        tool,
        site,
        entity: node.id,
        request: `throttle node ${node.id} to ${percent}% power`,
      };
    }
  }
}

function blockLink(tool: HallTool, site: string, entity: string, vlan: HallVlan): HallEffect {
  return { kind: 'block_link', tool, site, entity, vlan: vlan.id, link: vlan.link };
}

function findNode(topology: HallTopology, tool: string, nodeId: string): { site: string; node: HallNode } {
  for (const site of topology.sites) {
    const node = site.nodes.find((n) => n.id === nodeId);
    if (node) return { site: site.id, node };
  }
  throw new HallError('E_HALL_TARGET', `${tool}: no node ${JSON.stringify(nodeId)} in the hall`);
}

/** args[name] as a non-empty string; any argument outside `allowed` is refused (fail closed). */
function stringArg(tool: string, args: Record<string, unknown>, name: string, allowed: string[]): string {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new HallError('E_HALL_TARGET', `${tool}: args must be an object`);
  }
  const extra = Object.keys(args).find((k) => !allowed.includes(k));
  if (extra !== undefined)
    throw new HallError('E_HALL_TARGET', `${tool}: unexpected argument ${JSON.stringify(extra)}`);
  const value = args[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new HallError('E_HALL_TARGET', `${tool}: args.${name} must be a non-empty string`);
  }
  return value;
}
