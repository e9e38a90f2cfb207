// Which resolved addresses a brokered request may connect to. By default only globally routable ones:
// the ranges below are the IANA special-purpose registries' non-global blocks (private, loopback,
// link-local, shared, documentation, benchmarking, multicast, reserved), and the IPv6 blocks that carry
// an IPv4 address inside (mapped, NAT64, 6to4, Teredo) are refused whole rather than unwrapped.

import { BlockList, isIP } from 'node:net';

const RANGES: [cidr: string, what: string][] = [
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'local NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (Teredo among them)'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
];

const LISTS = RANGES.map(([cidr, what]) => {
  const [network, prefix] = cidr.split('/') as [string, string];
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return { cidr, what, list };
});

/**
 * Why `address` is not globally routable (e.g. "loopback (127.0.0.0/8)"), or null when it is. Anything
 * that is not an IP address is refused too.
 */
export function nonGlobalReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const { cidr, what, list } of LISTS) if (list.check(address, type)) return `${what} (${cidr})`;
  return null;
}
