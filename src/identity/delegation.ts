// What an agent may delegate (DESIGN.md §8): a child's tools are a subset of what its parent may call,
// its tier is at most its parent's, and the chain below an agent is no deeper than the agent's tier
// allows. Pure: the caller supplies the parent, its chain depth, its tier and the catalog's tool names.

import type { TrustTier } from '../engine/vocabulary.js';
import type { DelegationScope, Principal } from '../store/store.js';
import { IdentityError } from './errors.js';
import { lowerTier, tierBand } from './tiers.js';

export interface DelegationRequest {
  tools: readonly string[];
  /** The tier asked for the child; at most the parent's (default: the parent's). */
  tier?: TrustTier;
}

export interface DelegationGrant {
  scope: DelegationScope;
  tier: TrustTier;
  /** The child's depth: its parent's plus one. */
  depth: number;
}

/**
 * Checks a delegation by `parent` (at `parentDepth` in its chain, 0 for a root agent, acting at
 * `parentTier`): every tool known to the catalog, within the parent's scope, not past the depth its
 * tier allows. Throws IdentityError E_DELEGATION_REFUSED naming the first thing that does not fit.
 */
export function checkDelegation(
  parent: Principal,
  parentDepth: number,
  parentTier: TrustTier,
  request: DelegationRequest,
  catalogTools: ReadonlySet<string>,
): DelegationGrant {
  if (parent.role !== 'agent') throw refused(`${parent.id} is not an agent`);
  if (parent.revoked_at !== undefined || parent.disabled)
    throw refused(`${parent.id} is revoked or disabled`);
  const depth = parentDepth + 1;
  const allowed = tierBand(parentTier).delegationDepth;
  if (depth > allowed)
    throw refused(
      allowed === 0
        ? `an agent at ${parentTier} cannot delegate (T3 and above can)`
        : `a delegate of ${parent.id} would be ${depth} links deep; ${parentTier} allows ${allowed}`,
    );
  const tools = [...new Set(request.tools)].sort();
  if (tools.length === 0) throw refused('a delegation names at least one tool');
  for (const tool of tools) {
    if (!catalogTools.has(tool)) throw refused(`${tool} is not a tool of the catalog (use its catalog name)`);
    if (parent.scope && !parent.scope.tools.includes(tool))
      throw refused(`${tool} is outside ${parent.id}'s own delegated scope`);
  }
  const tier = request.tier === undefined ? parentTier : lowerTier(request.tier, parentTier);
  if (request.tier !== undefined && tier !== request.tier)
    throw refused(`a delegate cannot be certified above its parent's ${parentTier}`);
  return { scope: { tools }, tier, depth };
}

function refused(why: string): IdentityError {
  return new IdentityError('E_DELEGATION_REFUSED', `delegation refused: ${why}`);
}
