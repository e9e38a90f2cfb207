// The real token gate every executor test uses: tokens minted and redeemed with the tokens module
// (EdDSA, single use, bound to the action and agent); only the redemption ledger is the in-memory test
// double of test/tokens. Hooks let a test see when the gate was asked and when it let a call through.

import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import type { ActionCall, TokenGate } from '../../src/executors/executor.js';
import {
  type ExecutionTokenClaims,
  mintExecutionToken,
  redeemExecutionToken,
} from '../../src/tokens/index.js';
import { FakeRedemptionLedger } from '../tokens/fake_ledger.js';

export const key = generateSigningKey('gateway.test/exec');
export const AGENT = 'agent:ops-sj-01';
export const DECISION = `sha256:${'d'.repeat(64)}`;
export const RULESET = `sha256:${'e'.repeat(64)}`;

/** A token minted for exactly `call`, as the gateway mints one after an ALLOW. */
export function mintFor(
  call: ActionCall,
  ttlMs = 60_000,
): Promise<{ token: string; claims: ExecutionTokenClaims }> {
  return mintExecutionToken({
    key,
    agentId: call.agentId,
    tool: call.tool,
    args: call.args,
    decisionHash: DECISION,
    rulesetHash: RULESET,
    now: Date.now(),
    ttlMs,
  });
}

/** Verify, then redeem once in `ledger`; `onCall` runs when the gate is asked, `onPass` when it lets a call through. */
export function realTokenGate(
  options: { ledger?: FakeRedemptionLedger; onCall?: (call: ActionCall) => void; onPass?: () => void } = {},
): TokenGate {
  const ledger = options.ledger ?? new FakeRedemptionLedger();
  return async (token, call) => {
    options.onCall?.(call);
    const claims = await redeemExecutionToken(token, {
      publicKey: key.publicKey,
      issuer: key.name,
      now: Date.now(),
      ledger,
      expect: {
        agentId: call.agentId,
        tool: call.tool,
        args: call.args,
        ...(call.jkt ? { jkt: call.jkt } : {}),
      },
    });
    options.onPass?.();
    return claims;
  };
}
