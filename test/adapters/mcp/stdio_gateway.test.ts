// The MCP gateway over stdio: `carapace mcp --config FILE` launched by the official MCP client as an
// agent's MCP server would be, with the agent's key in $CARAPACE_API_KEY. It fronts two stdio upstreams,
// gates their calls like the HTTP gateway, answers reviews through its own HTTP API (loopback), lets an
// admin list and accept pins with `carapace mcp pins`, and leaves an audit log that verifies.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { findKeyFiles, readDataDirLog } from '../../../src/audit/log_files.js';
import { verifyLog } from '../../../src/audit/verify.js';
import { startGateway } from '../../../src/gateway/serve.js';
import {
  chunkOf,
  decisionOf,
  OPS_TOOLS,
  REPO_ROOT,
  stdioOpsServer,
  textOf,
  UPSTREAM_SCRIPT,
} from './harness.js';

const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'carapace-mcp-stdio-'));
const dataDir = join(dir, 'data');
const configFile = join(dir, 'mcp.yaml');
const keys = { admin: '', agent: '', approver: '' };
let client: Client;
let transport: StdioClientTransport;
let apiUrl = '';

/** Runs the carapace CLI from source, as the tests of this folder do not depend on a build. */
function carapace(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

async function http<T = Record<string, unknown>>(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as T };
}

before(async () => {
  // An operator sets up the data directory once: an admin, an agent and an approver.
  const setup = await startGateway({ dataDir, port: 0, dev: true, logLevel: 'silent' });
  keys.admin = setup.devAdminKey as string;
  const make = async (name: string, role: string, channel?: string) => {
    const response = await fetch(`${setup.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, role, ...(channel ? { channel } : {}) }),
    });
    return ((await response.json()) as { api_key: string }).api_key;
  };
  keys.agent = await make('stdio-agent', 'agent', 'operator-console');
  keys.approver = await make('stdio-approver', 'approver');
  await setup.close();

  writeFileSync(
    configFile,
    JSON.stringify({
      review: { wait_ms: 20_000, poll_ms: 50 },
      servers: {
        ops: stdioOpsServer(dir, OPS_TOOLS),
        tickets: {
          command: process.execPath,
          args: ['--import', 'tsx', UPSTREAM_SCRIPT],
          cwd: REPO_ROOT,
          env: { UPSTREAM_FLAVOUR: 'tickets', EFFECTS_FILE: join(dir, 'ticket-effects.jsonl') },
          tools: { search: { intent: 'observe', radius: 'none' } },
        },
      },
    }),
  );
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      MAIN,
      'mcp',
      '--config',
      configFile,
      '--data-dir',
      dataDir,
      '--session',
      'stdio-session-1',
    ],
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CARAPACE_API_KEY: keys.agent,
      CARAPACE_LOG_LEVEL: 'warn',
    },
    stderr: 'pipe',
  });
  let stderr = '';
  const announced = new Promise<void>((resolve) => {
    transport.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /gateway API on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        apiUrl = m[1] as string;
        resolve();
      }
    });
  });
  client = new Client({ name: 'stdio-test-agent', version: '1.0.0' });
  await client.connect(transport);
  await announced;
});

after(async () => {
  await client?.close();
});

test('carapace mcp lists the upstream tools over stdio, namespaced', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    [
      'ops.crash',
      'ops.get_telemetry',
      'ops.hang',
      'ops.isolate_network_device',
      'ops.read_logs',
      'tickets.search',
    ],
  );
});

test('over stdio a human review is answered through the HTTP API of the same process, then the call runs', async () => {
  // The operator's instruction enters through the agent's trusted channel into this stdio session.
  const ingest = await http('POST', '/v1/ingest', keys.agent, {
    content: 'Operator: isolate spine-switch-sj-01 for the 03:30 maintenance window.',
    session: 'stdio-session-1',
  });
  assert.equal(ingest.body.trust, 'trusted');
  const call = client.callTool({
    name: 'ops.isolate_network_device',
    arguments: { device_id: 'spine-switch-sj-01' },
    _meta: { 'carapace.dev/source_signals': [ingest.body.id] },
  });
  let id: string | undefined;
  for (let i = 0; i < 200 && !id; i++) {
    const pending = await http<{ id: string }[]>('GET', '/v1/reviews?status=pending', keys.approver);
    id = pending.body[0]?.id;
    if (!id) await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(id, 'a review is pending');
  const approved = await http('POST', `/v1/reviews/${id}/approve`, keys.approver, {});
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const result = await call;
  assert.notEqual(result.isError, true, JSON.stringify(result));
  assert.equal(textOf(result), 'deny-all installed on spine-switch-sj-01');
  assert.equal(decisionOf(result).review?.status, 'approved');
});

test('carapace mcp pins lists the pins of the running process; accept refuses a hash nobody is waiting on', async () => {
  const pins = await carapace(['mcp', 'pins', 'list', '--url', apiUrl], { CARAPACE_API_KEY: keys.admin });
  assert.equal(pins.code, 0, pins.stdout);
  const listed = JSON.parse(pins.stdout) as { pins: { server: string; tool: string; hash: string }[] };
  assert.ok(listed.pins.some((p) => p.server === 'tickets' && p.tool === 'search'));
  const refused = await carapace(
    ['mcp', 'pins', 'accept', 'tickets/search', '--hash', `sha256:${'1'.repeat(64)}`, '--url', apiUrl],
    { CARAPACE_API_KEY: keys.admin },
  );
  assert.equal(refused.code, 2);
  assert.equal((JSON.parse(refused.stdout) as { code: string }).code, 'E_MCP_PIN_NOT_FOUND');
});

test('over stdio an allowed call runs and is redacted; a destructive call after an injected log line is blocked', async () => {
  const allowed = await client.callTool({ name: 'ops.get_telemetry', arguments: { target: 'vm-01' } });
  assert.notEqual(allowed.isError, true);
  assert.match(textOf(allowed), /<EMAIL_ADDRESS>/);
  assert.equal(decisionOf(allowed).decision, 'ALLOW');

  const logs = await client.callTool({ name: 'ops.read_logs', arguments: { source: 'edge-node-sj-01-03' } });
  assert.equal(chunkOf(logs).injection_suspected, true);
  const blocked = await client.callTool({
    name: 'ops.isolate_network_device',
    arguments: { device_id: 'spine-switch-sj-01' },
  });
  assert.equal(blocked.isError, true);
  assert.equal(decisionOf(blocked).decision, 'DENY');
  assert.equal(decisionOf(blocked).rule, 'R2');
});

test('when the agent closes stdin, carapace mcp exits and leaves an audit log that verifies', async () => {
  const pid = transport.pid;
  assert.ok(pid !== null);
  const started = Date.now();
  await client.close();
  // The client ends stdin, and kills the process only if it is still running 2 s later.
  assert.ok(Date.now() - started < 2000, `carapace mcp took ${Date.now() - started} ms to exit`);
  for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(pid), 'the process exited');
  const key = findKeyFiles(dataDir, 'carapace.local/audit');
  assert.ok(key);
  const log = await readDataDirLog(dataDir);
  const result = verifyLog(log.sources, { key: key.vkey });
  assert.ok(result.ok, JSON.stringify(result));
});

test('the decisions it recorded replay identically against the catalog carapace mcp catalog prints', async () => {
  const catalog = await carapace(['mcp', 'catalog', configFile], {});
  assert.equal(catalog.code, 0, catalog.stdout);
  writeFileSync(join(dir, 'catalog.json'), catalog.stdout);
  const records = (await readDataDirLog(dataDir)).sources
    .flatMap((source) => source.bytes.toString('utf8').split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { kind: string; payload: { record?: unknown } })
    .filter((entry) => entry.kind === 'decision')
    .map((entry) => JSON.stringify(entry.payload.record));
  assert.ok(records.length >= 4);
  writeFileSync(join(dir, 'records.jsonl'), `${records.join('\n')}\n`);
  const replay = await carapace(
    ['replay', join(dir, 'records.jsonl'), '--catalog', join(dir, 'catalog.json')],
    {},
  );
  assert.equal(replay.code, 0, replay.stdout);
  const summary = JSON.parse(replay.stdout) as { records: number; identical: number };
  assert.equal(summary.identical, records.length);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
