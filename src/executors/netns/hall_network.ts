// The hall's network, built and removed with `ip`: a namespace per site and a core namespace holding
// one bridge per link (management, each VLAN), and a veth pair per site and link created directly in
// the two namespaces, so the root namespace never gains an interface. Deleting a namespace deletes
// its veth ends and bridges with it.

import { HallError } from './errors.js';
import { coreNamespace, type HallConfig, ownsNamespace, siteNamespace } from './hall_config.js';
import { hostCommand } from './host_command.js';
import { type HallSite, MGMT_LINK } from './topology.js';

/** The links of a site, by the name of the interface inside the site's namespace. */
export function siteLinks(site: HallSite): string[] {
  return [MGMT_LINK, ...site.vlans.map((v) => v.link)];
}

/** The site's end of a link is named after the link; the core's end `<site>-m` or `<site>-v<vlan>` (≤ 15 bytes). */
export function coreLinkName(site: string, link: string): string {
  return link === MGMT_LINK ? `${site}-m` : `${site}-v${link.slice('vlan'.length)}`;
}
export function bridgeName(link: string): string {
  return `br-${link}`;
}

/** Every namespace whose name the prefix owns, from `ip netns list`. */
export async function listHallNamespaces(prefix: string): Promise<string[]> {
  const out = await hostCommand('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '' && ownsNamespace(prefix, name))
    .sort();
}

/** Creates namespaces, bridges, veth pairs and addresses. Requires that none of the names exist yet. */
export async function buildHallNetwork(config: HallConfig): Promise<void> {
  const { topology } = config;
  const core = coreNamespace(config);
  const sites = topology.sites;
  const links = Object.keys(topology.segments);

  const root = [
    `netns add ${core}`,
    ...sites.map((s) => `netns add ${siteNamespace(config, s.id)}`),
    ...sites.flatMap((s) =>
      siteLinks(s).map(
        (link) =>
          `link add ${link} netns ${siteNamespace(config, s.id)} type veth peer name ${coreLinkName(s.id, link)} netns ${core}`,
      ),
    ),
  ];
  await hostCommand('ip', ['-batch', '-'], { input: lines(root) });

  const coreScript = [
    'link set lo up',
    ...links.flatMap((link) => [
      `link add ${bridgeName(link)} type bridge`,
      `link set ${bridgeName(link)} up`,
    ]),
    ...sites.flatMap((s) =>
      siteLinks(s).flatMap((link) => [
        `link set ${coreLinkName(s.id, link)} master ${bridgeName(link)}`,
        `link set ${coreLinkName(s.id, link)} up`,
      ]),
    ),
  ];
  await hostCommand('ip', ['-n', core, '-batch', '-'], { input: lines(coreScript) });

  await Promise.all(
    sites.map((s) => {
      const prefixLength = (link: string) => (topology.segments[link] ?? '/26').split('/')[1];
      const script = [
        'link set lo up',
        ...siteLinks(s).map((link) => `link set ${link} up`),
        `addr add ${s.address}/${prefixLength(MGMT_LINK)} dev ${MGMT_LINK}`,
        // The site's own VLAN address first: it is the source address of everything the site sends there.
        ...s.vlans.map((v) => `addr add ${v.address}/${prefixLength(v.link)} dev ${v.link}`),
        ...s.nodes.map((n) => `addr add ${n.address}/${prefixLength(n.link)} dev ${n.link}`),
      ];
      return hostCommand('ip', ['-n', siteNamespace(config, s.id), '-batch', '-'], { input: lines(script) });
    }),
  );
}

/** Deletes the namespaces (with their links and bridges). Requires that no process runs in them any more. */
export async function removeHallNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  try {
    await hostCommand('ip', ['-force', '-batch', '-'], { input: lines(names.map((n) => `netns del ${n}`)) });
  } catch (e) {
    throw new HallError('E_HALL_COMMAND', `could not delete every namespace of ${names.join(', ')}`, {
      cause: e,
    });
  }
}

function lines(commands: string[]): string {
  return `${commands.join('\n')}\n`;
}
