// Which probes the installed effects stop, as a pure model of the nftables chains in nft_ruleset.ts:
// the simulated hall answers probes with it, and the netns tests check that the real hall agrees.

import type { NetworkEffect } from './nft_ruleset.js';
import type { HallTarget } from './topology.js';

export interface ModelVerdict {
  reachable: boolean;
  /** Which effect stops the probe, and in which site. */
  blocked_by?: string;
}

/**
 * A probe from site `from` to `target` crosses `from`'s output hook and the target site's input hook,
 * both on the target's link (a probe leaves on the link whose segment holds the target's address).
 * Requires target.site !== from.
 */
export function modelReachability(
  effects: ReadonlyMap<string, readonly NetworkEffect[]>,
  from: string,
  target: HallTarget,
): ModelVerdict {
  for (const e of effects.get(from) ?? []) {
    if (e.kind === 'isolate_site') return blocked(e, from);
    if (e.kind === 'block_link' && e.link === target.link) return blocked(e, from);
  }
  for (const e of effects.get(target.site) ?? []) {
    if (e.kind === 'isolate_site') return blocked(e, target.site);
    if (e.kind === 'block_link' && e.link === target.link) return blocked(e, target.site);
    if (e.kind === 'quarantine_node' && e.address === target.address) return blocked(e, target.site);
  }
  return { reachable: true };
}

function blocked(effect: NetworkEffect, site: string): ModelVerdict {
  return { reachable: false, blocked_by: `${effect.tool} ${effect.entity} (in ${site})` };
}
