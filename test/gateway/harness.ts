// A real gateway on an ephemeral port in a fresh data directory, with a clock the test controls, and
// a small JSON client. Shared by the gateway tests.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';

export interface Reply {
  status: number;
  body: Record<string, unknown> & { [key: string]: unknown };
}

export interface Harness {
  gateway: RunningGateway;
  dataDir: string;
  clock: { now: number };
  adminKey: string;
  call(method: string, path: string, key: string | null, body?: unknown, raw?: string): Promise<Reply>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  dataDir = mkdtempSync(join(tmpdir(), 'carapace-gw-')),
  executors?: (gate: TokenGate) => Executor[],
  options: Partial<
    Pick<Parameters<typeof startGateway>[0], 'policyFile' | 'executorTimeoutMs' | 'engine' | 'identity'>
  > = {},
): Promise<Harness> {
  const clock = { now: Date.parse('2026-11-22T03:14:00.000Z') };
  const start = () =>
    startGateway({
      dataDir,
      port: 0,
      dev: true,
      now: () => clock.now,
      logLevel: 'silent',
      ...(executors ? { executors } : {}),
      ...options,
    });
  let gateway = await start();
  const harness: Harness = {
    gateway,
    dataDir,
    clock,
    adminKey: gateway.devAdminKey as string,
    async call(method, path, key, body, raw) {
      const headers: Record<string, string> = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${harness.gateway.url}${path}`, {
        method,
        headers,
        ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Reply['body']) : {} };
    },
    async restart() {
      await harness.gateway.close();
      gateway = await start();
      harness.gateway = gateway;
    },
    close: () => harness.gateway.close(),
  };
  return harness;
}

/** Creates a principal through the admin API and returns its key. */
export async function principal(
  h: Harness,
  name: string,
  role: string,
  channel?: string,
  tier?: string,
): Promise<string> {
  const reply = await h.call('POST', '/v1/admin/principals', h.adminKey, {
    name,
    role,
    ...(channel ? { channel } : {}),
    ...(tier ? { tier } : {}),
  });
  if (reply.status !== 201) throw new Error(`cannot create ${name}: ${JSON.stringify(reply.body)}`);
  return reply.body.api_key as string;
}

/**
 * Test double: an executor for `tools` that passes the gate, records each call's tool in `runs`, and
 * touches nothing.
 */
export function recordingExecutor(
  name: string,
  tools: string[],
  runs: string[],
): (gate: TokenGate) => Executor[] {
  return (gate) => [
    {
      name,
      simulated: true,
      tools,
      async execute(token, call) {
        await gate(token, call);
        runs.push(call.tool);
        return {
          executor: name,
          simulated: true,
          tool: call.tool,
          args: call.args,
          executed_at: new Date(0).toISOString(),
          effect: 'TEST DOUBLE: nothing touched',
        };
      },
    },
  ];
}
