// The one shape every executor has (DESIGN.md §5): it is handed an execution token and the action the
// caller wants run, asks its gate to verify and redeem the token, and acts only if the gate returns.
// No token, no action: an executor never has a path to its effect that does not pass through the gate.

import type { ExecutionTokenClaims } from '../tokens/index.js';

/** The action a caller presents with its token: it must be exactly the action the token was minted for. */
export interface ActionCall {
  agentId: string;
  /** The catalog's canonical tool name. */
  tool: string;
  args: Record<string, unknown>;
  /** RFC 7638 thumbprint of the DPoP key the caller proved, when it uses DPoP. */
  jkt?: string;
}

/**
 * Verifies the token for exactly `call` and redeems it once, durably, before resolving. Throws
 * TokenError (E_TOKEN_*) for any token it refuses; the executor then does nothing. The gateway's gate
 * also writes the `execution` audit entry before it resolves, so that nothing acts unrecorded.
 */
export type TokenGate = (token: string, call: ActionCall) => Promise<ExecutionTokenClaims>;

/** What an executor did. `simulated` is true whenever the effect did not touch a real system. */
export interface ExecutionOutcome {
  executor: string;
  simulated: boolean;
  tool: string;
  args: Record<string, unknown>;
  /** ISO 8601, when the effect was applied. */
  executed_at: string;
  /** One sentence a person reads: what changed, where. */
  effect: string;
  /** Executor-specific facts (the nftables table installed, the manifest applied, ...). JSON only. */
  details?: Record<string, unknown>;
}

export interface Executor {
  readonly name: string;
  /** True when this executor's effects are simulated in-process rather than applied to a real system. */
  readonly simulated: boolean;
  /** The canonical catalog tool names this executor can run. */
  readonly tools: readonly string[];
  /**
   * Calls the gate with (token, call) first; acts only after it resolves. Rejects with the gate's
   * TokenError unchanged if the gate refuses, and with an Error for a tool it does not run (before
   * calling the gate, so an unrunnable action does not burn its token).
   */
  execute(token: string, call: ActionCall): Promise<ExecutionOutcome>;
}
