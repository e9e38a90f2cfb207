// Shared material for the execution-token tests: a minting key, a decision to bind, and helpers that
// assert a refusal carries exactly the expected TokenError code.

import assert from 'node:assert/strict';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import {
  mintExecutionToken,
  type MintExecutionTokenInput,
  TokenError,
  type TokenErrorCode,
  type VerifyExecutionTokenOptions,
} from '../../src/tokens/index.js';

export const key = generateSigningKey('gateway.example/exec');
export const otherKey = generateSigningKey('gateway.example/exec');
/** A whole second plus 123 ms, so second-rounding of the JWT claims is visible. */
export const T0 = 1_760_000_000_123;
export const DECISION = `sha256:${'d'.repeat(64)}`;
export const RULESET = `sha256:${'e'.repeat(64)}`;
export const AGENT = 'agent:ops-sj-01';
export const TOOL = 'network.isolate';
export const ARGS = {
  target: 'spine-switch-sj-01',
  site: 'site-sj-01',
  options: { dryRun: false, ports: [1, 2] },
};

export function mint(overrides: Partial<MintExecutionTokenInput> = {}) {
  return mintExecutionToken({
    key,
    agentId: AGENT,
    tool: TOOL,
    args: ARGS,
    decisionHash: DECISION,
    rulesetHash: RULESET,
    now: T0,
    ...overrides,
  });
}

export function verifyOptions(
  overrides: Partial<Omit<VerifyExecutionTokenOptions, 'expect'>> & {
    expect?: Partial<VerifyExecutionTokenOptions['expect']>;
  } = {},
): VerifyExecutionTokenOptions {
  const { expect, ...rest } = overrides;
  return {
    publicKey: key.publicKey,
    issuer: key.name,
    now: T0 + 100,
    ...rest,
    expect: { agentId: AGENT, tool: TOOL, args: ARGS, ...expect },
  };
}

/** Awaits `p`, which must reject with a TokenError of `code`; returns it for message checks. */
export async function refused(
  p: Promise<unknown>,
  code: TokenErrorCode,
  message?: RegExp,
): Promise<TokenError> {
  let outcome: unknown;
  try {
    outcome = await p;
  } catch (e) {
    assert.ok(e instanceof TokenError, `expected a TokenError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}, but it was accepted: ${JSON.stringify(outcome)}`);
}

export const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
export const segments = (token: string) => token.split('.') as [string, string, string];
