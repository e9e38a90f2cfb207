// A real token gate for the executor tests: tokens are minted and redeemed with the tokens module
// (EdDSA, single use); only the redemption ledger is the in-memory test double of test/tokens.

import type { ActionCall, TokenGate } from '../../../src/executors/executor.js';
import { FakeRedemptionLedger } from '../../tokens/fake_ledger.js';
import { AGENT, realTokenGate } from '../token_gate.js';

export { AGENT, DECISION, key, mintFor, RULESET } from '../token_gate.js';

export function isolateCall(deviceId: string): ActionCall {
  return { agentId: AGENT, tool: 'isolate_network_device', args: { device_id: deviceId } };
}

/** verify + redeem once, logging `gate` into `log` when called and `gate.ok` when it lets the call through. */
export function recordingTokenGate(log: string[], ledger = new FakeRedemptionLedger()): TokenGate {
  return realTokenGate({ ledger, onCall: () => log.push('gate'), onPass: () => log.push('gate.ok') });
}
