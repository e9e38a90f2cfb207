// The sealed process over real TCP sockets on 127.0.0.1: ping, attest, and brokered actions with
// gateway-minted tokens (redeemed once more in the sealed process, outputs signed), and the transport
// failing closed: an oversized or malformed frame gets an error frame and the connection is closed.
// The first-run bootstrap seals a key from the environment; later runs need no variable.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { generateSigningKey } from '../../../src/crypto/ed25519_key.js';
import type { ActionCall } from '../../../src/executors/executor.js';
import { HTTP_REQUEST_TOOL } from '../../../src/executors/http/index.js';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from '../../../src/executors/http/sealed/frame.js';
import { SealedClient, SealedHttpExecutor } from '../../../src/executors/http/sealed/sealed_client.js';
import { type SealedServer, startSealedServer } from '../../../src/executors/http/sealed/sealed_server.js';
import { mintExecutionToken } from '../../../src/tokens/index.js';
import { GatewayAttestation } from '../../../src/vault/attestation.js';
import { bootstrapSecret } from '../../../src/vault/bootstrap.js';
import { VaultError } from '../../../src/vault/errors.js';
import { OutputSigner } from '../../../src/vault/signed_output.js';
import { Vault } from '../../../src/vault/vault.js';
import { verifySignedOutput } from '../../../src/vault/verify_output.js';
import { CANARY, encodedForms, freshDataDir, githubPolicy, leaksIn } from '../../vault/helpers.js';
import { AGENT, DECISION, key as gatewayKey, mintFor, realTokenGate, RULESET } from '../token_gate.js';
import { type EchoServer, pki, startEchoServer } from './echo_server.js';

let echo: EchoServer;
let sealed: SealedServer;
let dataDir: string;
let signer: OutputSigner;

before(async () => {
  echo = await startEchoServer();
  dataDir = freshDataDir('carapace-sealed-');
  const vault = new Vault(dataDir, { env: { TEST_GITHUB_TOKEN: CANARY } });
  const policy = { ...githubPolicy('api.github.test'), ports: [echo.port], addresses: 'any' };
  const first = bootstrapSecret(vault, {
    id: 'github',
    envVar: 'TEST_GITHUB_TOKEN',
    policy,
    env: { TEST_GITHUB_TOKEN: CANARY },
  });
  assert.equal(first.source, 'sealed-now');
  signer = OutputSigner.fromVault(vault);
  sealed = await startSealedServer({
    vault,
    signer,
    attestation: new GatewayAttestation(signer, '/nonexistent/carapace-test/tsm/report'),
    tokenKey: { publicKey: gatewayKey.publicKey, name: gatewayKey.name },
    broker: { ca: [pki.ca], resolve: async () => [{ address: '127.0.0.1', family: 4 }] },
  });
});
after(async () => {
  await sealed.close();
  await echo.close();
});

function action(path: string): ActionCall {
  return {
    agentId: AGENT,
    tool: HTTP_REQUEST_TOOL,
    args: { secret_id: 'github', method: 'GET', url: `https://api.github.test:${echo.port}${path}` },
  };
}

/** A token as the gateway mints one (test/executors/token_gate.ts), or one from another key. */
async function mint(call: ActionCall, signingKey?: ReturnType<typeof generateSigningKey>) {
  if (!signingKey) return (await mintFor(call)).token;
  const { token } = await mintExecutionToken({
    key: signingKey,
    agentId: call.agentId,
    tool: call.tool,
    args: call.args,
    decisionHash: DECISION,
    rulesetHash: RULESET,
    now: Date.now(),
    ttlMs: 60_000,
  });
  return token;
}

/** A raw socket: sends bytes, collects answer frames until the server closes or `count` arrive. */
function raw(): { socket: Socket; frames: Promise<Record<string, unknown>[]>; closed: Promise<void> } {
  const socket = connect({ port: sealed.port, host: '127.0.0.1' });
  const reader = new FrameReader();
  const got: Record<string, unknown>[] = [];
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (c: Buffer) => {
    for (const f of reader.push(c)) if (!(f instanceof Error)) got.push(f);
  });
  return { socket, frames: closed.then(() => got), closed };
}

test('ping answers with the public key and tee: none; attest binds the key and the caller nonce', async () => {
  const client = await SealedClient.connect(sealed.port);
  const pong = await client.request({ type: 'ping' });
  assert.equal(pong.type, 'pong');
  assert.equal(pong.tee, 'none');
  assert.equal(pong.public_key_pem, signer.publicKeyPem);
  assert.equal(pong.evidence, null);
  const nonce = 'ab'.repeat(32);
  const attestation = await client.request({ type: 'attest', nonce });
  assert.equal(attestation.tee, 'none');
  assert.equal((attestation.report_data as string).slice(64), nonce);
  client.close();
});

test('an action with a gateway token runs, signs its output, and never returns the secret; the same token twice is refused', async () => {
  const client = await SealedClient.connect(sealed.port);
  const call = action('/user');
  const token = await mint(call);
  const answer = await client.request({ type: 'action', token, call });
  assert.equal(answer.type, 'response', JSON.stringify(answer));
  const text = JSON.stringify(answer);
  for (const form of encodedForms(CANARY)) assert.ok(!text.includes(form));
  const outcome = answer.outcome as { details: { signed_output: unknown } };
  const verdict = await verifySignedOutput(outcome.details.signed_output, { allowNoTee: true });
  assert.equal(verdict.passed, true);
  assert.equal(verdict.assurance, 'signature-only');
  const again = await client.request({ type: 'action', token, call });
  assert.deepEqual([again.type, again.code], ['error', 'E_TOKEN_REPLAYED']);
  // A token from any other key is refused: the host cannot mint its own.
  const forged = await client.request({
    type: 'action',
    token: await mint(call, generateSigningKey('gateway.test/exec')),
    call,
  });
  assert.equal(forged.code, 'E_TOKEN_SIGNATURE');
  client.close();
});

test("the host's executor redeems at the gateway's gate first, then in the sealed process", async () => {
  const client = await SealedClient.connect(sealed.port);
  let hostGate = 0;
  const executor = new SealedHttpExecutor(client, realTokenGate({ onPass: () => hostGate++ }));
  const call = action('/');
  const outcome = await executor.execute(await mint(call), call);
  assert.equal(hostGate, 1);
  assert.equal(outcome.executor, 'http-broker');
  await assert.rejects(
    executor.execute('garbage', call),
    (e: unknown) => (e as { code?: string }).code === 'E_TOKEN_MALFORMED',
  );
  client.close();
});

test('an oversized frame is refused from its length alone: an error frame, then the connection closes', async () => {
  const { socket, frames } = raw();
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME_BYTES + 1);
  socket.write(head);
  const got = await frames;
  assert.deepEqual(
    got.map((f) => [f.type, f.code]),
    [['error', 'E_FRAME_TOO_LARGE']],
  );
});

test('malformed frames (not JSON, not an object, empty) get an error frame and the connection closes', async () => {
  for (const body of [
    Buffer.from('{not json'),
    Buffer.from('[1,2]'),
    Buffer.from([0xff, 0xfe]),
    Buffer.alloc(0),
  ]) {
    const { socket, frames } = raw();
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    socket.write(Buffer.concat([head, body]));
    const got = await frames;
    assert.equal(got.length, 1);
    assert.equal(got[0]?.type, 'error');
    assert.equal(got[0]?.code, 'E_FRAME_MALFORMED');
  }
});

test('an unknown type or a bad action is an error frame and the connection stays usable', async () => {
  const client = await SealedClient.connect(sealed.port);
  assert.equal((await client.request({ type: 'prompt', prompt: 'x' })).code, 'E_FRAME_UNKNOWN_TYPE');
  assert.equal((await client.request({ type: 'action', token: 1 })).code, 'E_FRAME_INVALID');
  assert.equal((await client.request({ type: 'attest', nonce: 'short' })).code, 'E_FRAME_INVALID');
  assert.equal((await client.request({ type: 'ping' })).type, 'pong');
  client.close();
});

test('a frame split across many writes is read whole', async () => {
  const { socket, frames } = raw();
  const frame = encodeFrame({ type: 'ping' });
  for (const byte of frame) socket.write(Buffer.from([byte]));
  setTimeout(() => socket.end(), 200);
  const got = await frames;
  assert.equal(got[0]?.type, 'pong');
});

test('bootstrap: later runs load the key sealed (the variable unset or ignored); no run leaves it on disk', () => {
  const vault = new Vault(dataDir, { env: {} });
  const later = bootstrapSecret(vault, { id: 'github', envVar: 'TEST_GITHUB_TOKEN', policy: {}, env: {} });
  assert.deepEqual([later.source, later.envIgnored], ['sealed-before', false]);
  const ignored = bootstrapSecret(vault, {
    id: 'github',
    envVar: 'TEST_GITHUB_TOKEN',
    policy: {},
    env: { TEST_GITHUB_TOKEN: 'other' },
  });
  assert.equal(ignored.envIgnored, true);
  assert.equal(
    vault.use('github', (v) => v.toString()),
    CANARY,
  );
  assert.throws(
    () => bootstrapSecret(vault, { id: 'absent', envVar: 'TEST_NOT_SET', policy: githubPolicy(), env: {} }),
    (e: unknown) => e instanceof VaultError && e.code === 'E_VAULT_SECRET_UNKNOWN',
  );
  assert.deepEqual(leaksIn(dataDir, CANARY), []);
});

test('a sealed process that does not answer: the channel gives up, drops the connection and makes a new one', async () => {
  const { createServer } = await import('node:net');
  const { SealedChannel, parseSealedEndpoint } =
    await import('../../../src/executors/http/sealed/sealed_client.js');
  let connections = 0;
  const silent = createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.resume(); // reads and never answers
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as { port: number }).port;
  const channel = new SealedChannel(parseSealedEndpoint(`tcp://127.0.0.1:${port}`), 2000, 150);
  for (let i = 0; i < 2; i++)
    await assert.rejects(
      channel.request({ type: 'ping' }),
      (e: unknown) => (e as { code?: string }).code === 'E_SEALED_TIMEOUT',
    );
  assert.equal(connections, 2);
  channel.close();
  await new Promise<void>((r) => silent.close(() => r()));
  assert.throws(() => parseSealedEndpoint('tcp://192.0.2.1:8790'), /loopback/);
  assert.throws(() => parseSealedEndpoint('http://127.0.0.1:8790'), /tcp:/);
  assert.deepEqual(parseSealedEndpoint('tcp://[::1]:8790'), { host: '::1', port: 8790 });
});
