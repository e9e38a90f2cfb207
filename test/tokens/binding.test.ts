// A valid token allows one action for one agent from one issuer, and with DPoP one key: presenting it
// for anything else is refused, and the refusal says what the token was for and what was presented.

import { test } from 'node:test';
import { generateSigningKey } from '../../src/crypto/ed25519_key.js';
import { mintExecutionToken, verifyExecutionToken } from '../../src/tokens/index.js';
import { AGENT, ARGS, DECISION, mint, RULESET, refused, T0, verifyOptions } from './fixtures.js';

const JKT_A = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const JKT_B = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

test('a token presented by another agent is refused, naming both agents', async () => {
  const { token } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { agentId: 'agent:intruder' } })),
    'E_TOKEN_WRONG_AGENT',
    new RegExp(`issued to agent "${AGENT}", presented by "agent:intruder"`),
  );
});

test('a token presented for another tool is refused, naming both tools', async () => {
  const { token } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { tool: 'network.reset' } })),
    'E_TOKEN_WRONG_ACTION',
    /minted for tool "network.isolate", presented for "network.reset"/,
  );
});

test('a token presented with other args is refused, giving both action hashes', async () => {
  const { token, claims } = await mint();
  for (const args of [
    { ...ARGS, target: 'spine-switch-sj-02' },
    { ...ARGS, extra: true },
    { target: ARGS.target, site: ARGS.site },
    { ...ARGS, options: { dryRun: false, ports: [2, 1] } },
    [],
    null,
  ]) {
    await refused(
      verifyExecutionToken(token, verifyOptions({ expect: { args } })),
      'E_TOKEN_WRONG_ACTION',
      new RegExp(`minted for action ${claims.act} .*the presented args hash to sha256:[0-9a-f]{64}`),
    );
  }
});

test('args that cannot be hashed are a wrong action, not a crash', async () => {
  const { token } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { args: { n: Number.POSITIVE_INFINITY } } })),
    'E_TOKEN_WRONG_ACTION',
    /args\.n cannot be hashed: number is not finite/,
  );
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { args: undefined } })),
    'E_TOKEN_WRONG_ACTION',
  );
});

test('a DPoP-bound token presented with another DPoP key is refused', async () => {
  const { token } = await mint({ jkt: JKT_A });
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { jkt: JKT_B } })),
    'E_TOKEN_DPOP_MISMATCH',
    new RegExp(`bound to DPoP key ${JKT_A}, but the agent presented DPoP key ${JKT_B}`),
  );
});

test('a DPoP-bound token presented without a DPoP key is refused', async () => {
  const { token } = await mint({ jkt: JKT_A });
  await refused(
    verifyExecutionToken(token, verifyOptions()),
    'E_TOKEN_DPOP_MISMATCH',
    /but no DPoP key was presented/,
  );
});

test('an unbound token presented by an agent that uses DPoP is refused', async () => {
  const { token } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { jkt: JKT_A } })),
    'E_TOKEN_DPOP_MISMATCH',
    /not bound to a DPoP key/,
  );
});

test('a token signed by the expected key under another issuer name is refused', async () => {
  const { token } = await mint();
  await refused(
    verifyExecutionToken(token, verifyOptions({ issuer: 'gateway.example/other' })),
    'E_TOKEN_WRONG_ISSUER',
    /issued by "gateway.example\/exec", expected "gateway.example\/other"/,
  );
});

test('a verifier misconfigured with a private key or garbage options fails closed', async () => {
  const { token } = await mint();
  const signer = generateSigningKey('k');
  await refused(
    verifyExecutionToken(token, verifyOptions({ publicKey: signer.privateKey })),
    'E_TOKEN_INVALID_INPUT',
  );
  await refused(verifyExecutionToken(token, verifyOptions({ now: Number.NaN })), 'E_TOKEN_INVALID_INPUT');
  await refused(
    verifyExecutionToken(token, verifyOptions({ expect: { jkt: 'x' } })),
    'E_TOKEN_INVALID_INPUT',
  );
  const other = await mintExecutionToken({
    key: signer,
    agentId: AGENT,
    tool: 'x',
    args: {},
    decisionHash: DECISION,
    rulesetHash: RULESET,
    now: T0,
  });
  await refused(
    verifyExecutionToken(
      other.token,
      verifyOptions({
        publicKey: signer.publicKey,
        issuer: 'k',
        expect: { agentId: 7 as unknown as string, tool: 'x', args: {} },
      }),
    ),
    'E_TOKEN_INVALID_INPUT',
  );
});
