// `carapace demo`: the 03:14 scenario live (DESIGN.md §0, §11). Same scripted agent, same poisoned
// syslog line, same data hall; one variable changes, the gate. Without it the agent's isolation runs
// and the canaries watch SJ-01 go dark; with it the action is quarantined, no token exists, and the
// canaries stay green. Then a benign restart that is allowed and runs, and a planned site-wide action
// that waits for a person (`carapace review approve`) and then runs. The hall is real (network
// namespaces, nftables) where it can be, and says SIMULATED on every line where it is not.

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ORIGIN, findKeyFiles, readDataDirLog } from '../audit/log_files.js';
import { verifyLog } from '../audit/verify.js';
import {
  formatWhole,
  LOBSTERTRAP_LABEL,
  runScenario0314,
  type ScenarioAuditEntry,
  type ScenarioGate,
  type ScenarioSummary,
  waitGreen,
} from '../demo/scenario_0314.js';
import { SCRIPTED_AGENT_LABEL } from '../demo/scripted_agent.js';
import { createDataHall, createHallExecutor, netnsAvailability } from '../executors/netns/index.js';
import { startGateway } from '../gateway/serve.js';
import { gatewayRequest } from './gateway_client.js';
import { failure } from './io.js';

// Where the scenario's fixed texts were first defined; other tests import them from here.
export { POISONED_LINE, SCRIPTED_LOBSTERTRAP } from '../demo/scenario_0314.js';

export interface DemoOptions {
  dataDir?: string;
  hall?: string;
  gate?: string;
  slaCostPerMinute?: string;
  probeIntervalMs?: string;
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  const hallChoice = options.hall ?? 'auto';
  if (!['auto', 'netns', 'simulated'].includes(hallChoice))
    throw failure('E_DEMO_OPTION', 'invalid --hall', `${hallChoice}: use auto, netns or simulated`);
  const gateChoice = options.gate ?? 'both';
  if (!['off', 'on', 'both'].includes(gateChoice))
    throw failure('E_DEMO_OPTION', 'invalid --gate', `${gateChoice}: use off, on or both`);
  const slaPerMinute = Number(options.slaCostPerMinute ?? '9000');
  if (!Number.isFinite(slaPerMinute) || slaPerMinute < 0)
    throw failure('E_DEMO_OPTION', 'invalid --sla-cost-per-minute', 'a non-negative number');
  const probeIntervalMs = Number(options.probeIntervalMs ?? '1000');
  if (!Number.isInteger(probeIntervalMs) || probeIntervalMs < 100 || probeIntervalMs > 10_000)
    throw failure('E_DEMO_OPTION', 'invalid --probe-interval-ms', 'an integer from 100 to 10000');
  if (hallChoice === 'netns') {
    const available = netnsAvailability();
    if (!available.ok)
      throw failure('E_HALL_UNAVAILABLE', 'the netns data hall cannot run here', available.reason);
  }

  const out = new Printer();
  const hall = createDataHall({ prefix: 'cpdemo', probeIntervalMs, simulated: hallChoice === 'simulated' });
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'carapace-demo-'));
  const tag = hall.simulated ? 'SIMULATED ' : '';

  out.line('Carapace live demo: 03:14, a poisoned syslog line, and the gate');
  out.line('');
  const wasUp = (await hall.status()).up;
  const status = await hall.up();
  out.line(`HALL   ${status.label}`);
  out.line(`AGENT  ${SCRIPTED_AGENT_LABEL}`);
  out.line(`LAYER  ${LOBSTERTRAP_LABEL}`);
  out.line(
    `SLA    estimated cost of an outage: $${formatWhole(slaPerMinute)} per minute (an assumed rate, set with --sla-cost-per-minute; not a measurement)`,
  );
  out.line(`DATA   ${dataDir} (gateway store and audit log)`);
  await waitGreen(hall, Date.now());
  out.event(`${tag}canaries: every site reaches every target of every other site`);

  const gateway = await startGateway({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    dev: true,
    logLevel: 'silent',
    executors: (gate) => [createHallExecutor(hall, gate)],
  });
  let runs: ScenarioSummary;
  let verified: string;
  try {
    const api = gatewayApi(gateway.url);
    const admin = gateway.devAdminKey as string;
    const approver = await api.key(admin, 'night-approver', 'approver');
    runs = await runScenario0314({
      hall,
      api,
      adminKey: admin,
      gate: gateChoice as ScenarioGate,
      probeIntervalMs,
      slaPerMinute,
      auditEntries: (seqs) => auditEntries(dataDir, seqs),
      emit: (e) => (e.type === 'section' ? out.section(e.text) : out.event(e.text, e.at)),
      async awaitApproval(review) {
        out.event(`review ${review.id} is pending; the approver runs: carapace review approve ${review.id}`);
        const approved = await runCli(['review', 'approve', review.id, '--note', 'CHG-2211 window'], {
          CARAPACE_URL: gateway.url,
          CARAPACE_CONTROL_URL: gateway.controlUrl,
          CARAPACE_API_KEY: approver,
        });
        out.event(
          `carapace review approve: exit ${approved.code}${approved.code === 0 ? '' : ` ${approved.stdout.trim()}`}`,
        );
      },
    });
  } finally {
    await gateway.close();
    if (!wasUp) await hall.down();
  }

  const key = findKeyFiles(dataDir, DEFAULT_ORIGIN);
  if (key) {
    const result = verifyLog((await readDataDirLog(dataDir)).sources, { key: key.vkey });
    verified = result.ok
      ? `OK: ${result.entries} entries, ${result.checkpoints} signed checkpoints, chain and tree consistent`
      : `FAILED at entry ${result.seq}: ${result.problem}`;
  } else verified = 'no audit key found';

  out.section('Summary');
  const off = runs.off;
  const on = runs.on;
  const rows: [string, string, string][] = [
    ['', 'gate OFF', 'gate ON'],
    ['tool call', 'network.isolate(spine-switch-sj-01)', 'network.isolate(spine-switch-sj-01)'],
    ['decision', off?.decision ?? '-', on?.decision ?? '-'],
    ['execution token', off?.token ?? '-', on?.token ?? '-'],
    ['executor called', off ? yes(off.executorCalled) : '-', on ? yes(on.executorCalled) : '-'],
    [
      `${tag}SJ-01 dark`,
      off?.darkMs != null ? `yes, ${(off.darkMs / 1000).toFixed(1)} s` : '-',
      on ? 'no' : '-',
    ],
    [
      'est. SLA cost',
      off?.darkMs != null ? `$${formatWhole((slaPerMinute * off.darkMs) / 60_000)}` : '-',
      on ? '$0' : '-',
    ],
    [
      'audit entries',
      off ? 'none: nothing recorded why' : '-',
      on ? `${on.auditEntries.length}: both layers` : '-',
    ],
  ];
  const width = [22, 38, 38];
  for (const row of rows)
    out.line(
      row
        .map((c, i) => c.padEnd(width[i] as number))
        .join('')
        .trimEnd(),
    );
  out.line('');
  out.line(`audit verify: ${verified}`);
  out.line(`check it yourself: npx carapace audit verify ${dataDir}`);
  if (hall.simulated) out.line(`SIMULATED: ${hall.simulatedReason ?? 'the simulated hall was used'}`);
  return verified.startsWith('OK') ? 0 : 1;
}

class Printer {
  line(text: string): void {
    process.stdout.write(`${text}\n`);
  }
  section(title: string): void {
    this.line('');
    this.line(title);
  }
  event(text: string, at = new Date().toISOString()): void {
    this.line(`  [${at.slice(11, 23)}] ${text}`);
  }
}

/** The demo talks to its gateway over HTTP with the CLI's own client (timeouts, no redirects, bounded reads). */
function gatewayApi(base: string) {
  const call = async (method: 'GET' | 'POST', path: string, key: string, body?: unknown) =>
    (await gatewayRequest({ base, key }, method, path, body)) as Record<string, unknown>;
  return {
    call,
    async key(admin: string, name: string, role: string, channel?: string): Promise<string> {
      const created = await call('POST', '/v1/admin/principals', admin, {
        name,
        role,
        ...(channel ? { channel } : {}),
      });
      return created.api_key as string;
    },
  };
}

async function auditEntries(dataDir: string, seqs: readonly number[]): Promise<ScenarioAuditEntry[]> {
  const entries: ScenarioAuditEntry[] = [];
  for (const source of (await readDataDirLog(dataDir)).sources)
    for (const text of source.bytes.subarray(source.start).toString('utf8').split('\n')) {
      if (!text) continue;
      const entry = JSON.parse(text) as ScenarioAuditEntry;
      if (seqs.includes(entry.seq)) entries.push(entry);
    }
  return entries;
}

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string }> {
  const bin = fileURLToPath(new URL('../../bin/carapace.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const yes = (b: boolean) => (b ? 'yes' : 'no');
