// The MCP example end to end, in one command: `npx tsx examples/mcp-agent/run.ts`.
//  1. An operator sets up a data directory: an agent key (bound to the trusted operator-console channel)
//     and an approver key.
//  2. The SCRIPTED agent (agent.ts) launches `carapace mcp` over stdio and runs the 03:14 script against
//     the SIMULATED data hall server: the spine isolation an injected log line asks for is blocked.
//  3. In a second session the operator asks, through the trusted channel, for a leaf switch to be taken
//     out for maintenance; the agent's call waits for a human; a SCRIPTED approver (standing in for the
//     on-call person) approves it through the gateway API, and the call runs once.
// Everything printed is what the gateway answered; the audit log is verified at the end.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findKeyFiles, readDataDirLog } from '../../src/audit/log_files.js';
import { verifyLog } from '../../src/audit/verify.js';
import { startGateway } from '../../src/gateway/serve.js';
import { callStep, connectThroughCarapace, injectedNightScript, type Step } from './agent.js';

export interface ExampleRun {
  night: Step[];
  maintenance: Step[];
  approvedBy: string | null;
  auditVerified: boolean;
  auditEntries: number;
}

export async function runExample(
  dataDir = mkdtempSync(join(tmpdir(), 'carapace-mcp-example-')),
  print: (line: string) => void = () => {},
): Promise<ExampleRun> {
  // 1. Operator setup.
  const setup = await startGateway({ dataDir, port: 0, dev: true, logLevel: 'silent' });
  const admin = setup.devAdminKey as string;
  const make = async (name: string, role: string, channel?: string) => {
    const response = await fetch(`${setup.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, role, ...(channel ? { channel } : {}) }),
    });
    if (response.status !== 201) throw new Error(`cannot create ${name}: ${await response.text()}`);
    return (await response.json()) as { id: string; api_key: string };
  };
  const agent = await make('scripted-ops-agent', 'agent', 'operator-console');
  const approver = await make('scripted-approver', 'approver');
  await setup.close();
  print(`data directory ${dataDir}: agent ${agent.id}, approver ${approver.id}`);

  // 2. The 03:14 script.
  print('\n-- session 1: the SCRIPTED agent reads a poisoned log line and obeys it --');
  const first = await connectThroughCarapace({ dataDir, apiKey: agent.api_key, session: 'example-night' });
  const { tools } = await first.client.listTools();
  print(`tools offered through Carapace: ${tools.map((t) => t.name).join(', ')}`);
  const night = await injectedNightScript(first.client);
  for (const step of night) print(describe(step));
  await first.close();

  // 3. Operator-requested maintenance, approved by a person (scripted here).
  print('\n-- session 2: the operator asks for a leaf switch to be taken out; a human approves --');
  const second = await connectThroughCarapace({
    dataDir,
    apiKey: agent.api_key,
    session: 'example-maintenance',
  });
  const api = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ) => {
    const response = await fetch(`${second.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as T;
  };
  const instruction = await api<{ id: string; trust: string }>('POST', '/v1/ingest', agent.api_key, {
    content: 'Operator: take leaf-switch-sj-01-a out of service for the 04:00 maintenance window.',
    session: second.session,
  });
  print(`operator instruction ingested as ${instruction.id} (${instruction.trust})`);
  let approvedBy: string | null = null;
  const approve = (async () => {
    for (let i = 0; i < 400; i++) {
      const pending = await api<{ id: string }[]>('GET', '/v1/reviews?status=pending', approver.api_key);
      const review = pending[0];
      if (review) {
        print(`SCRIPTED approver: approving ${review.id}`);
        const answer = await api<{ review?: { decided_by?: string } }>(
          'POST',
          `/v1/reviews/${review.id}/approve`,
          approver.api_key,
          {
            note: 'maintenance window confirmed',
          },
        );
        approvedBy = answer.review?.decided_by ?? null;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const maintenance = [
    await callStep(
      second.client,
      'datahall.isolate_network_device',
      { device_id: 'leaf-switch-sj-01-a' },
      { 'carapace.dev/source_signals': [instruction.id] },
    ),
  ];
  await approve;
  maintenance.push(
    await callStep(second.client, 'datahall.get_telemetry', { target: 'leaf-switch-sj-01-a' }),
  );
  for (const step of maintenance) print(describe(step));
  await second.close();
  await waitForUnlock();

  // The audit log of both sessions, checked with the log's public key.
  const key = findKeyFiles(dataDir, 'carapace.local/audit');
  const log = await readDataDirLog(dataDir);
  const verified = key ? verifyLog(log.sources, { key: key.vkey }) : null;
  const auditEntries = verified?.entries ?? 0;
  print(`\naudit log: ${verified?.ok ? `verified, ${auditEntries} entries` : 'DOES NOT VERIFY'}`);
  return { night, maintenance, approvedBy, auditVerified: verified?.ok === true, auditEntries };
}

function describe(step: Step): string {
  const verdict = step.decision ? `${step.decision}${step.rule ? ` (${step.rule})` : ''}` : 'no decision';
  return `${step.tool}(${JSON.stringify(step.args)}) -> ${step.outcome.toUpperCase()}, ${verdict}\n    ${step.text}`;
}

/** `carapace mcp` exits when its client closes; give it a moment to release the data directory. */
function waitForUnlock(): Promise<void> {
  return new Promise((r) => setTimeout(r, 500));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = await runExample(process.argv[2], (line) => process.stdout.write(`${line}\n`));
  process.exitCode = run.auditVerified ? 0 : 1;
}
