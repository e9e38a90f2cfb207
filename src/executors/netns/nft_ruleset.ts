// The nftables text of each network effect, and the reading of what is installed. Every effect gets its
// own pair of base chains (input, output) in one table, `inet carapace`, in the site's namespace, so
// effects add up (a drop in any base chain is final), re-applying one replaces it, and heal removes
// the table. Pure text in and out; the hall runs it with `nft -f -`.

import type { HallEffect } from './effect_plan.js';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'carapace';

export type NetworkEffect = Extract<HallEffect, { kind: 'isolate_site' | 'block_link' | 'quarantine_node' }>;

export function isNetworkEffect(effect: HallEffect): effect is NetworkEffect {
  return effect.kind === 'isolate_site' || effect.kind === 'block_link' || effect.kind === 'quarantine_node';
}

/** The chain names an effect installs: `<entity>_in` and `<entity>_out`, the entity id with '-' → '_'. */
export function effectChains(effect: NetworkEffect): { input: string; output: string } {
  const base = effect.entity.replace(/[^A-Za-z0-9]/g, '_');
  return { input: `${base}_in`, output: `${base}_out` };
}

/**
 * An `nft -f -` script, applied atomically: creates the table if absent, (re)creates the effect's two
 * base chains and fills them. Entity ids and addresses come from the topology, never from free text.
 */
export function effectRuleset(effect: NetworkEffect): string {
  const { input, output } = effectChains(effect);
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const comment = `comment "carapace ${effect.tool} ${effect.entity}"`;
  let policy: 'accept' | 'drop';
  let inRules: string[];
  let outRules: string[];
  switch (effect.kind) {
    case 'isolate_site':
      // Deny-all: nothing in or out on any link; loopback stays (the site's own processes talk to themselves).
      policy = 'drop';
      inRules = [`iif "lo" accept ${comment}`];
      outRules = [`oif "lo" accept ${comment}`];
      break;
    case 'block_link':
      policy = 'accept';
      inRules = [`iifname "${effect.link}" drop ${comment}`];
      outRules = [`oifname "${effect.link}" drop ${comment}`];
      break;
    case 'quarantine_node':
      policy = 'accept';
      inRules = [`ip daddr ${effect.address} drop ${comment}`];
      outRules = [`ip saddr ${effect.address} drop ${comment}`];
      break;
  }
  return [
    `add table ${t}`,
    `add chain ${t} ${input} { type filter hook input priority filter; policy ${policy}; }`,
    `add chain ${t} ${output} { type filter hook output priority filter; policy ${policy}; }`,
    `flush chain ${t} ${input}`,
    `flush chain ${t} ${output}`,
    ...inRules.map((r) => `add rule ${t} ${input} ${r}`),
    ...outRules.map((r) => `add rule ${t} ${output} ${r}`),
    '',
  ].join('\n');
}

/** True when `nft -j list tables` output names Carapace's table. */
export function hasCarapaceTable(listTablesJson: string): boolean {
  return nftObjects(listTablesJson, 'table').some((t) => t.family === NFT_FAMILY && t.name === NFT_TABLE);
}

/** The chains of Carapace's table in `nft -j list table inet carapace` output, sorted. */
export function carapaceChains(listTableJson: string): string[] {
  return nftObjects(listTableJson, 'chain')
    .filter((c) => c.family === NFT_FAMILY && c.table === NFT_TABLE && typeof c.name === 'string')
    .map((c) => c.name as string)
    .sort();
}

/** The objects of one kind in libnftables JSON ({nftables: [{table: {...}}, {chain: {...}}, ...]}). */
function nftObjects(json: string, kind: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`nft printed something that is not JSON: ${json.slice(0, 120)}`);
  }
  const list = (parsed as { nftables?: unknown }).nftables;
  if (!Array.isArray(list)) throw new Error('nft JSON output has no nftables array');
  return list.flatMap((item: unknown) => {
    const obj =
      typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[kind] : undefined;
    return typeof obj === 'object' && obj !== null ? [obj as Record<string, unknown>] : [];
  });
}
