// The sealed process as its own process (issue 11): `carapace sealed serve` holds the vault (its first
// run seals the token from the environment, later runs load it sealed), `carapace serve --broker
// --sealed tcp://127.0.0.1:PORT` is the gateway in another process, holding no secret. A SCRIPTED agent's
// GitHub-style calls against a LOCAL HTTPS STAND-IN (not GitHub) succeed, so the sealed process injected
// the token; the token appears in nothing the gateway process or the agent can see: answers, the
// gateway's log lines, its audit log, any file of its data directory. The real sealed process answers an
// oversized or malformed frame with an error frame and closes the connection. The gateway refuses to
// start without a sealed process that answers, and the transport stays on loopback.

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ScriptedGitHubAgent } from '../../examples/brokered-http/agent.js';
import { type GitHubStandIn, startGitHubStandIn } from '../../examples/brokered-http/github_stand_in.js';
import { makeLocalPki } from '../../examples/brokered-http/local_pki.js';
import { FrameReader, MAX_FRAME_BYTES } from '../../src/executors/http/sealed/frame.js';
import { verifySignedOutput } from '../../src/vault/verify_output.js';
import { encodedForms, filesUnder, leaksIn } from '../vault/helpers.js';
import { carapace, json } from './run_carapace.js';

const BIN = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));
/** The canary: a GitHub-style token for the stand-in only. */
const TOKEN = 'ghp_SealedCanary0123456789abcdefABCDEF012';
const BOOT_VAR = 'TEST_SEALED_GITHUB_TOKEN';

interface Proc {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
}

/** Every process started, killed after the tests if a failing test left one running. */
const started: ChildProcessWithoutNullStreams[] = [];

function start(args: string[], env: Record<string, string | undefined>, ready: RegExp): Promise<Proc> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv as NodeJS.ProcessEnv });
  started.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = setInterval(() => {
      if (ready.test(out)) {
        clearInterval(poll);
        resolve({ child, output: () => out });
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        child.kill('SIGKILL');
        reject(new Error(`carapace ${args[0]} did not start: ${out}`));
      }
    }, 50);
  });
}

function stop(proc: Proc): Promise<number | null> {
  if (proc.child.exitCode !== null) return Promise.resolve(proc.child.exitCode);
  proc.child.kill('SIGTERM');
  return new Promise((resolve) => proc.child.on('close', (code) => resolve(code)));
}

let root: string;
let gatewayDir: string;
let sealedDir: string;
let standIn: GitHubStandIn;
let vkey: string;
let policyFile: string;
let caFile: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'carapace-sealed-e2e-'));
  gatewayDir = join(root, 'gateway');
  sealedDir = join(root, 'sealed');
  const pki = makeLocalPki(['localhost']);
  caFile = join(root, 'stand-in-ca.pem');
  writeFileSync(caFile, pki.ca);
  standIn = await startGitHubStandIn(pki, TOKEN);
  policyFile = join(root, 'github.policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      hosts: [{ match: 'exact', value: 'localhost' }],
      ports: [standIn.port],
      methods: ['GET', 'POST'],
      addresses: 'any', // the stand-in is on loopback
      inject: { kind: 'header', name: 'Authorization', template: 'Bearer {secret}' },
    }),
  );
  // The gateway's execution-token key, made before either process starts; the sealed process gets
  // its verifier key only.
  const keys = await carapace([
    'keys',
    'generate',
    '--origin',
    'carapace.local/exec',
    '--data-dir',
    gatewayDir,
  ]);
  assert.equal(keys.code, 0, keys.stderr);
  vkey = json(keys).vkey as string;
});
after(async () => {
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await standIn?.close();
});

function sealedServe(port: number, env: Record<string, string | undefined>) {
  return start(
    [
      'sealed',
      'serve',
      '--data-dir',
      sealedDir,
      '--port',
      String(port),
      '--token-key',
      vkey,
      '--bootstrap',
      'github',
      '--bootstrap-env',
      BOOT_VAR,
      '--bootstrap-policy',
      policyFile,
    ],
    // The stand-in's throwaway CA is trusted by the sealed process only.
    { NODE_EXTRA_CA_CERTS: caFile, CARAPACE_MASTER_KEY: undefined, ...env },
    /listening on tcp:\/\/127\.0\.0\.1:\d+/,
  );
}

function portOf(proc: Proc): number {
  return Number(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(proc.output())?.[1]);
}

/** Frames the real sealed process answers on a raw socket, until it closes the connection. */
function rawFrames(port: number, bytes: Buffer): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const reader = new FrameReader();
    const got: Record<string, unknown>[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the sealed process kept the connection open'));
    }, 10_000);
    socket.on('data', (c: Buffer) => {
      for (const f of reader.push(c)) if (!(f instanceof Error)) got.push(f);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(bytes);
  });
}

test('a brokered call through a gateway and a sealed process in two processes; the token reaches neither the gateway nor the agent', async () => {
  // First run: the token comes from the environment and is sealed.
  const sealed = await sealedServe(0, { [BOOT_VAR]: TOKEN });
  const port = portOf(sealed);
  assert.match(sealed.output(), new RegExp(`secret github sealed now from \\$${BOOT_VAR}`));
  const endpoint = `tcp://127.0.0.1:${port}`;

  const ping = await carapace(['sealed', 'ping', '--url', endpoint]);
  assert.equal(ping.code, 0, ping.stderr);
  const pong = json(ping);
  assert.equal(pong.tee, 'none');
  assert.deepEqual(
    (pong.secrets as { id: string; sealed: string }[]).map((s) => [s.id, s.sealed]),
    [['github', 'ok']],
  );

  // The gateway: no token, no CA, no master key in its environment; the most verbose log level.
  const gatewayEnv = {
    [BOOT_VAR]: undefined,
    NODE_EXTRA_CA_CERTS: undefined,
    CARAPACE_MASTER_KEY: undefined,
    CARAPACE_LOG_LEVEL: 'trace',
  };
  const gateway = await start(
    [
      'serve',
      '--dev',
      '--hall',
      'none',
      '--port',
      '0',
      '--planes',
      'single',
      '--data-dir',
      gatewayDir,
      '--broker',
      '--sealed',
      endpoint,
    ],
    gatewayEnv,
    /dev admin API key[^\n]*: cpk_\S+\n/,
  );
  let sealedNow: Proc;
  try {
    assert.match(
      gateway.output(),
      /http\.request in the sealed process at tcp:\/\/127\.0\.0\.1:\d+ \(1 sealed secret\(s\) there, none here\)/,
    );
    const url = /listening on (http:\/\/\S+)/.exec(gateway.output())?.[1] as string;
    const admin = /dev admin API key[^\n]*: (cpk_\S+)/.exec(gateway.output())?.[1] as string;
    const post = async (path: string, key: string, body: unknown) => {
      const r = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await r.json()) as Record<string, unknown>;
    };
    const agentKey = (
      await post('/v1/admin/principals', admin, {
        name: 'scripted-sealed-agent',
        role: 'agent',
        channel: 'operator-console',
      })
    ).api_key as string;
    const note = await post('/v1/ingest', agentKey, {
      content: 'operator: file an issue in acme/ops titled "Sealed broker" and check who we are',
      session: 'sealed-e2e',
    });
    const agent = new ScriptedGitHubAgent(
      url,
      agentKey,
      `https://localhost:${standIn.port}`,
      'github',
      'sealed-e2e',
    );
    const chunk = note.id as string;
    const profile = await agent.request('read my profile', 'observe', 'GET', '/user', chunk);
    assert.deepEqual([profile.decision, profile.status], ['ALLOW', 200], profile.received);
    assert.equal((profile.answer as { login: string }).login, 'scripted-octocat');
    const issue = await agent.request(
      'file the issue the operator asked for',
      'remediate_reversible',
      'POST',
      '/repos/acme/ops/issues',
      chunk,
      { title: 'Sealed broker', body: 'through the sealed process' },
    );
    assert.deepEqual([issue.decision, issue.status], ['ALLOW', 201], issue.received);
    // The stand-in accepts only the real token: the sealed process injected it.
    assert.deepEqual(standIn.authorizations, [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);

    // The output was signed in the sealed process, with its key.
    const verdict = await verifySignedOutput(profile.signedOutput, { allowNoTee: true });
    assert.equal(verdict.passed, true);
    assert.equal((profile.signedOutput as { public_key_pem: string }).public_key_pem, pong.public_key_pem);

    // The attestation is the sealed process's, relayed.
    const nonce = 'cd'.repeat(32);
    const attestation = (await (
      await fetch(`${url}/v1/attestation?nonce=${nonce}`, {
        headers: { authorization: `Bearer ${agentKey}` },
      })
    ).json()) as Record<string, unknown>;
    assert.equal(attestation.tee, 'none');
    assert.equal(attestation.public_key_pem, pong.public_key_pem);
    assert.equal((attestation.report_data as string).slice(64), nonce);

    // The sealed process restarts on the same port, without the variable: it loads the token sealed,
    // and the gateway's next call connects again.
    assert.equal(await stop(sealed), 0);
    sealedNow = await sealedServe(port, { [BOOT_VAR]: undefined });
    assert.match(sealedNow.output(), /secret github v1 loaded sealed/);
    const again = await agent.request('read my profile again', 'observe', 'GET', '/user', chunk);
    assert.deepEqual([again.decision, again.status], ['ALLOW', 200], again.received);

    const received = [profile, issue, again].map((s) => s.received).join('\n') + JSON.stringify(attestation);
    for (const form of encodedForms(TOKEN)) assert.ok(!received.includes(form), `the agent received ${form}`);
  } finally {
    assert.equal(await stop(gateway), 0);
  }
  // Nothing the gateway process wrote holds the token: its log lines (trace level), its audit log and
  // every other file of its data directory.
  const log = gateway.output();
  assert.ok(log.split('\n').length > 10, 'the gateway logged');
  for (const form of encodedForms(TOKEN)) assert.ok(!log.includes(form), `a gateway log line holds ${form}`);
  assert.deepEqual(leaksIn(gatewayDir, TOKEN), []);
  const audit = filesUnder(join(gatewayDir, 'audit'))
    .map((f) => f.bytes.toString('utf8'))
    .join('\n');
  assert.match(audit, /broker\.opened/);
  assert.match(audit, /"sealed":"tcp:\/\/127\.0\.0\.1:\d+"/);
  assert.ok(!filesUnder(gatewayDir).some((f) => f.path.includes(`${join('vault', 'secrets')}`)));
  // Nor does the sealed process's data directory hold it in clear: only its sealed record.
  assert.deepEqual(leaksIn(sealedDir, TOKEN), []);

  // The real process's transport: an oversized length, then a body that is not JSON, each answered
  // with an error frame before the connection is closed.
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME_BYTES + 1);
  const big = await rawFrames(portOf(sealedNow), head);
  assert.deepEqual(
    big.map((f) => [f.type, f.code]),
    [['error', 'E_FRAME_TOO_LARGE']],
  );
  const body = Buffer.from('{not json');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const bad = await rawFrames(portOf(sealedNow), Buffer.concat([length, body]));
  assert.deepEqual(
    bad.map((f) => [f.type, f.code]),
    [['error', 'E_FRAME_MALFORMED']],
  );
  assert.equal(await stop(sealedNow), 0);
});

test('the gateway does not start without a sealed process that answers; the transport stays on loopback', async () => {
  const dir = join(root, 'refused');
  const nowhere = await carapace(
    ['serve', '--port', '0', '--data-dir', dir, '--broker', '--sealed', 'tcp://127.0.0.1:1'],
    '',
    { CARAPACE_LOG_LEVEL: 'silent' },
  );
  assert.notEqual(nowhere.code, 0);
  assert.match(nowhere.stdout + nowhere.stderr, /E_SEALED_UNREACHABLE/);
  const remote = await carapace(['serve', '--data-dir', dir, '--broker', '--sealed', 'tcp://10.1.2.3:8790']);
  assert.notEqual(remote.code, 0);
  assert.match(remote.stdout + remote.stderr, /E_SEALED_ENDPOINT/);
  const alone = await carapace(['serve', '--data-dir', dir, '--sealed', 'tcp://127.0.0.1:8790']);
  assert.match(alone.stdout + alone.stderr, /E_SERVE_OPTION/);
  const wide = await carapace([
    'sealed',
    'serve',
    '--host',
    '0.0.0.0',
    '--token-key',
    vkey,
    '--data-dir',
    dir,
  ]);
  assert.notEqual(wide.code, 0);
  assert.match(wide.stdout + wide.stderr, /loopback only/);
  const half = await carapace([
    'sealed',
    'serve',
    '--token-key',
    vkey,
    '--data-dir',
    dir,
    '--bootstrap',
    'x',
  ]);
  assert.match(half.stdout + half.stderr, /E_ARG_INVALID/);
  const noPing = await carapace(['sealed', 'ping', '--url', 'tcp://127.0.0.1:1']);
  assert.notEqual(noPing.code, 0);
  assert.match(noPing.stdout + noPing.stderr, /E_SEALED_UNREACHABLE/);
  // The first run without the variable seals nothing and does not start.
  const unset = await carapace(
    [
      'sealed',
      'serve',
      '--port',
      '0',
      '--token-key',
      vkey,
      '--data-dir',
      join(root, 'unset'),
      '--bootstrap',
      'github',
      '--bootstrap-env',
      BOOT_VAR,
      '--bootstrap-policy',
      policyFile,
    ],
    '',
    { [BOOT_VAR]: undefined },
  );
  assert.notEqual(unset.code, 0);
  assert.match(unset.stdout + unset.stderr, /E_VAULT_SECRET_UNKNOWN/);
});
