// One scenario's world: a real Carapace gateway on an ephemeral port in a fresh data directory, with
// the suite's catalog, policy and scripted executors, and agents that talk to it over HTTP only. Each
// scenario gets its own, so no scenario's counters, chunks or audit entries reach another's.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyAction } from '../../src/engine/catalog.js';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';
import { ADVERSARIAL_ENGINE, AGENT_TOOLS_CATALOG } from './catalog.js';
import { Journal, scriptedExecutors } from './scripted_executors.js';

export const SUITE_POLICY = fileURLToPath(new URL('./adversarial-suite.policy', import.meta.url));
export const COLLUSION_POLICY = fileURLToPath(new URL('./collusion.policy', import.meta.url));

/** How long an executor may run in the suite's gateways (resource-exhaust-timeout waits this long). */
export const EXECUTOR_TIMEOUT_MS = 250;

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface ProposeOptions {
  /** Declared intent; default the catalog's own class for these arguments (an honest declaration). */
  intent?: string;
  /** Chunk ids cited; default the agent's trusted task. */
  cite?: string[];
  session?: string;
  justification?: string;
  /** Other envelope fields (agent_confidence, estimated_blast_radius, ...). */
  envelope?: Record<string, unknown>;
  /** Fields beside the envelope (`_lobstertrap`, or anything an attacker adds). */
  body?: Record<string, unknown>;
}

export interface Agent {
  /** Principal id (`agent:<name>`). */
  id: string;
  name: string;
  key: string;
  /** A trusted chunk: the operator's task, ingested for this agent through operator-console. */
  task: string;
  propose(tool: string, args: Record<string, unknown>, options?: ProposeOptions): Promise<Reply>;
  execute(token: string, tool: string, args: Record<string, unknown>): Promise<Reply>;
  call(method: string, path: string, body?: unknown): Promise<Reply>;
}

export interface World {
  gateway: RunningGateway;
  dataDir: string;
  journal: Journal;
  adminKey: string;
  /** An agent principal with its trusted task chunk; tier T0 unless given. */
  agent(name: string, tier?: string): Promise<Agent>;
  /** Content arriving through a channel (web: untrusted), shown to `agentId`; returns the chunk. */
  ingest(channel: 'web' | 'operator-console', content: string, agentId: string): Promise<Reply>;
  call(method: string, path: string, key: string | null, body?: unknown, raw?: string): Promise<Reply>;
  /** Stops the gateway (flushing and checkpointing the audit log); idempotent. */
  stop(): Promise<void>;
  /** stop(), then removes the data directory. */
  close(): Promise<void>;
}

/** The intent the catalog gives a call, which an honest agent declares; observe when unclassifiable. */
export function catalogIntent(tool: string, args: Record<string, unknown>): string {
  const c = classifyAction(AGENT_TOOLS_CATALOG, tool, args);
  return c.ok ? c.intent : 'observe';
}

export async function openWorld(options: { policyFile?: string; clockMs?: number } = {}): Promise<World> {
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-adversarial-'));
  const journal = new Journal();
  const clock = options.clockMs ?? Date.parse('2026-11-22T03:14:00.000Z');
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    now: () => clock,
    logLevel: 'silent',
    policyFile: options.policyFile ?? SUITE_POLICY,
    watchPolicy: false,
    engine: ADVERSARIAL_ENGINE,
    executors: scriptedExecutors(journal),
    executorTimeoutMs: EXECUTOR_TIMEOUT_MS,
  });
  const adminKey = gateway.devAdminKey as string;
  let stopped = false;

  async function call(method: string, path: string, key: string | null, body?: unknown, raw?: string) {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers,
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: response.status, body: parsed };
  }

  async function principal(name: string, role: string, channel?: string, tier?: string): Promise<string> {
    const reply = await call('POST', '/v1/admin/principals', adminKey, {
      name,
      role,
      ...(channel ? { channel } : {}),
      ...(tier ? { tier } : {}),
    });
    if (reply.status !== 201) throw new Error(`cannot create ${name}: ${JSON.stringify(reply.body)}`);
    return reply.body.api_key as string;
  }

  // The operator's console hands agents their tasks (trusted); a crawler brings in web pages (untrusted).
  const consoleKey = await principal('operator-console-feed', 'service', 'operator-console');
  const webKey = await principal('web-crawler', 'service', 'web');

  async function ingest(channel: 'web' | 'operator-console', content: string, agentId: string) {
    return call('POST', '/v1/ingest', channel === 'web' ? webKey : consoleKey, { content, agent: agentId });
  }

  const world: World = {
    gateway,
    dataDir,
    journal,
    adminKey,
    call,
    ingest,
    async agent(name, tier) {
      const key = await principal(name, 'agent', undefined, tier);
      const id = `agent:${name}`;
      const task = await ingest(
        'operator-console',
        `Task for ${name}: keep the team's research notes tidy.`,
        id,
      );
      if (task.status !== 201 && task.status !== 200)
        throw new Error(`cannot ingest the task of ${name}: ${JSON.stringify(task.body)}`);
      const agentCall = (method: string, path: string, body?: unknown) => call(method, path, key, body);
      return {
        id,
        name,
        key,
        task: task.body.id as string,
        call: agentCall,
        propose(tool, args, o = {}) {
          return agentCall('POST', '/v1/actions', {
            envelope: {
              intent: o.intent ?? catalogIntent(tool, args),
              tool,
              args,
              source_signals: o.cite ?? [task.body.id as string],
              ...(o.session !== undefined ? { session: o.session } : {}),
              ...(o.justification !== undefined ? { justification: o.justification } : {}),
              ...o.envelope,
            },
            ...o.body,
          });
        },
        execute(token, tool, args) {
          return agentCall('POST', '/v1/execute', { token, tool, args });
        },
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      journal.releaseHanging();
      await gateway.close();
    },
    async close() {
      await world.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}
