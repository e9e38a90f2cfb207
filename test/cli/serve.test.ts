// `carapace serve --dev` as `npm start` runs it: the data hall comes up (simulated here, so the test
// runs anywhere; real in the second test where namespaces are available), the hall's executor is
// attached so an allowed restart changes the hall, and SIGTERM shuts down cleanly: exit 0, audit
// flushed and verifying, the hall it brought up taken down.

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { netnsSkip } from '../executors/netns/helpers.js';
import { carapace } from './run_carapace.js';

const BIN = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  controlUrl: string;
  adminKey: string;
  hallLine: string;
  output: () => string;
}

async function serve(dataDir: string, hall: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--dev', '--hall', hall, '--port', '0', '--control-port', '0', '--data-dir', dataDir],
    {
      env: { ...process.env, CARAPACE_LOG_LEVEL: 'silent' },
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/dev admin API key[^\n]*: (cpk_\S+)\n/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) assert.fail(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url: /gateway listening on (http:\/\/\S+)/.exec(out)?.[1] as string,
    controlUrl: /control plane listening on (http:\/\/\S+)/.exec(out)?.[1] as string,
    adminKey: /dev admin API key[^\n]*: (cpk_\S+)/.exec(out)?.[1] as string,
    hallLine: /^data hall: (.*)$/m.exec(out)?.[1] ?? '',
    output: () => out,
  };
}

async function stop(served: Served): Promise<number | null> {
  served.child.kill('SIGTERM');
  return new Promise((resolve) => served.child.on('close', (code) => resolve(code)));
}

async function allowedRestart(served: Served): Promise<Record<string, unknown>> {
  // Admin routes are on the control plane's listener, agent routes on the data plane's.
  const call = async (path: string, key: string, body: unknown) => {
    const base = path.startsWith('/v1/admin/') ? served.controlUrl : served.url;
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await r.json()) as Record<string, unknown>;
  };
  const agent = (
    await call('/v1/admin/principals', served.adminKey, {
      name: 'a',
      role: 'agent',
      channel: 'operator-console',
    })
  ).api_key as string;
  const chunk = await call('/v1/ingest', agent, { content: 'billing-api at sj-01 unhealthy', session: 's1' });
  const args = { workload: 'billing-api', site: 'sj-01' };
  const allowed = await call('/v1/actions', agent, {
    envelope: {
      intent: 'remediate_reversible',
      tool: 'restart_workload',
      args,
      source_signals: [chunk.id],
      session: 's1',
    },
  });
  assert.equal(allowed.decision, 'ALLOW', JSON.stringify(allowed));
  const run = await call('/v1/execute', agent, { token: allowed.token, tool: 'restart_workload', args });
  return run.result as Record<string, unknown>;
}

test('npm start (serve --dev) with the simulated hall: labelled, attached, and shut down cleanly', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-serve-'));
  const served = await serve(dataDir, 'simulated');
  try {
    assert.match(served.hallLine, /^SIMULATED: /);
    const result = await allowedRestart(served);
    assert.equal(result.executor, 'simulated-hall');
    assert.match(result.effect as string, /^SIMULATED: workload billing-api in sj-01/);
    // A second gateway on the same data directory would fork the audit log: refused.
    const second = await carapace(['serve', '--hall', 'none', '--port', '0', '--data-dir', dataDir]);
    assert.equal(second.code, 2);
    assert.equal((JSON.parse(second.stdout) as { code: string }).code, 'E_DATA_DIR_LOCKED');
  } finally {
    assert.equal(await stop(served), 0, served.output());
  }
  const verify = await carapace(['audit', 'verify', dataDir]);
  assert.equal(verify.code, 0, verify.stdout);
});

const skip = netnsSkip();
test(
  'npm start with the real hall: a restart really restarts a process, and SIGTERM removes the hall',
  { skip },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'carapace-serve-netns-'));
    const served = await serve(dataDir, 'netns');
    try {
      assert.match(served.hallLine, /^REAL: /);
      const result = await allowedRestart(served);
      assert.equal(result.executor, 'netns-hall');
      assert.match(
        result.effect as string,
        /^restarted workload billing-api in sj-01 .*pid \d+ stopped, pid \d+ serving/,
      );
    } finally {
      assert.equal(await stop(served), 0, served.output());
    }
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), /cphall-/);
  },
);

test('serve --kubernetes without a kubeconfig refuses to start: exit 2, E_K8S_CONFIG, nothing listening', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-serve-k8s-'));
  const run = await carapace(['serve', '--kubernetes', '--port', '0', '--data-dir', dataDir], '', {
    KUBECONFIG: undefined,
  });
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.equal((JSON.parse(run.stdout) as { code: string }).code, 'E_K8S_CONFIG');
  const both = await carapace([
    'serve',
    '--kubernetes',
    '--hall',
    'simulated',
    '--port',
    '0',
    '--data-dir',
    dataDir,
  ]);
  assert.equal(both.code, 2);
  assert.equal((JSON.parse(both.stdout) as { code: string }).code, 'E_SERVE_OPTION');
});

test('`serve --policy` enforces a policy that compiles and refuses to start on one that does not', async () => {
  const bad = join(mkdtempSync(join(tmpdir(), 'carapace-policy-')), 'bad.policy');
  writeFileSync(bad, 'Never allow read_logs.\nLet the agents do anything.\n');
  const refused = await carapace([
    'serve',
    '--hall',
    'none',
    '--port',
    '0',
    '--data-dir',
    tempDir(),
    '--policy',
    bad,
  ]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.equal(JSON.parse(refused.stdout).code, 'E_POLICY_COMPILE');
  assert.match(JSON.parse(refused.stdout).detail as string, /line 2/);

  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--hall',
      'none',
      '--port',
      '0',
      '--control-port',
      '0',
      '--data-dir',
      tempDir(),
      '--policy',
      'examples/policies/ops.policy',
    ],
    {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, CARAPACE_LOG_LEVEL: 'silent' },
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/^policy /m.test(out) && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.match(out, /^policy ops sha256:[0-9a-f]{64} enforced from examples\/policies\/ops\.policy/m);
  assert.equal(code, 0, out);
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'carapace-serve-'));
}
