// A real token gate for the executor tests: tokens are minted and redeemed with the tokens module
// (EdDSA, single use); only the redemption ledger is the in-memory test double of test/tokens.

import { generateSigningKey } from '../../../src/crypto/ed25519_key.js';
import type { ActionCall, TokenGate } from '../../../src/executors/executor.js';
import {
  type ExecutionTokenClaims,
  mintExecutionToken,
  redeemExecutionToken,
} from '../../../src/tokens/index.js';
import { FakeRedemptionLedger } from '../../tokens/fake_ledger.js';

export const key = generateSigningKey('gateway.test/exec');
export const AGENT = 'agent:ops-sj-01';
export const DECISION = `sha256:${'d'.repeat(64)}`;
export const RULESET = `sha256:${'e'.repeat(64)}`;

export function isolateCall(deviceId: string): ActionCall {
  return { agentId: AGENT, tool: 'isolate_network_device', args: { device_id: deviceId } };
}

/** A token minted for exactly `call`, as the gateway mints one after an ALLOW. */
export function mintFor(call: ActionCall): Promise<{ token: string; claims: ExecutionTokenClaims }> {
  return mintExecutionToken({
    key,
    agentId: call.agentId,
    tool: call.tool,
    args: call.args,
    decisionHash: DECISION,
    rulesetHash: RULESET,
    now: Date.now(),
  });
}

/** verify + redeem once, logging `gate` into `log` when called and `gate.ok` when it lets the call through. */
export function recordingTokenGate(log: string[], ledger = new FakeRedemptionLedger()): TokenGate {
  return async (token: string, call: ActionCall) => {
    log.push('gate');
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
    log.push('gate.ok');
    return claims;
  };
}
