// DNS for a brokered request, asked once: every address the name resolves to must be allowed (one
// private answer among public ones refuses the request, so a split or rebinding answer cannot slip a
// private address in), and the first is pinned for the connection. An IP literal is checked as is.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { nonGlobalReason } from './address_policy.js';
import { HttpBrokerError } from './errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (getaddrinfo: /etc/hosts, then DNS). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** The address to connect to, or a refusal naming the address and why (never retried, never re-resolved). */
export async function resolvePinned(
  host: string,
  addresses: 'public' | 'any',
  resolver: HostResolver,
): Promise<ResolvedAddress> {
  const literal = isIP(host);
  let found: ResolvedAddress[];
  if (literal !== 0) found = [{ address: host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      found = await resolver(host);
    } catch (e) {
      throw new HttpBrokerError(
        'E_HTTP_DNS_FAILED',
        `${host} does not resolve: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (found.length === 0) throw new HttpBrokerError('E_HTTP_DNS_FAILED', `${host} resolves to no address`);
  if (addresses === 'public')
    for (const a of found) {
      const why = nonGlobalReason(a.address);
      if (why !== null)
        throw new HttpBrokerError(
          'E_HTTP_ADDRESS_REFUSED',
          `${host} resolves to ${a.address}, a ${why} address; the secret's policy allows public addresses only`,
        );
    }
  else if (found.some((a) => isIP(a.address) === 0))
    throw new HttpBrokerError('E_HTTP_DNS_FAILED', `${host} resolved to something that is not an address`);
  return found[0] as ResolvedAddress;
}
