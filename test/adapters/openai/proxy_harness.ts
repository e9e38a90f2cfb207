// A real gateway with the OpenAI proxy mounted, in front of a SCRIPTED upstream, and an agent that talks
// to it with the official `openai` client (baseURL = the gateway, apiKey = its Carapace key).

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { segmentsDir } from '../../../src/audit/log_files.js';
import { listSegments } from '../../../src/audit/segment_store.js';
import type { OpenAIProxyOptions } from '../../../src/adapters/openai/routes.js';
import { type RunningGateway, startGateway } from '../../../src/gateway/serve.js';
import { type ScriptedUpstream, startScriptedUpstream } from './scripted_upstream.js';

/** The upstream key Carapace holds; the agent never sees it. */
export const UPSTREAM_KEY = 'sk-upstream-held-by-carapace-5f2c1d9e8a7b6c5d4e3f2a1b';

export interface ProxyHarness {
  gateway: RunningGateway;
  upstream: ScriptedUpstream;
  adminKey: string;
  agentKey: string;
  agentId: string;
  client: OpenAI;
  dataDir: string;
  /** The audit log's entries so far (every segment), parsed. */
  audit(): Promise<{ seq: number; kind: string; payload: Record<string, unknown> }[]>;
  call(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

export async function startProxyHarness(
  options: Partial<OpenAIProxyOptions> & {
    upstream?: ScriptedUpstream;
    channels?: [string, string][];
    tokenTtlMs?: number;
    /** Instruction integrity required of every agent (docs/semantic-governance.md). */
    instructionIntegrity?: { required: boolean };
  } = {},
): Promise<ProxyHarness> {
  const upstream = options.upstream ?? (await startScriptedUpstream());
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-openai-'));
  const { upstream: _u, channels: extraChannels, tokenTtlMs, instructionIntegrity, ...proxy } = options;
  // Channels a test names for tools are made by an admin before the proxy starts: a first gateway
  // without the proxy creates them, as an operator would.
  if (extraChannels && extraChannels.length > 0) {
    const first = await startGateway({ dataDir, port: 0, dev: true, logLevel: 'silent' });
    for (const [name, trust] of extraChannels)
      await first.ctx.store.createChannel({
        name,
        trust: trust as 'semi_trusted',
        created_by: 'test',
        created_at: new Date().toISOString(),
      });
    await first.close();
  }
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    ...(tokenTtlMs !== undefined ? { tokenTtlMs } : {}),
    ...(instructionIntegrity !== undefined ? { instructionIntegrity } : {}),
    adapters: { openai: { upstreamUrl: upstream.url, upstreamApiKey: UPSTREAM_KEY, ...proxy } },
  });
  const adminKey = gateway.devAdminKey as string;
  const call: ProxyHarness['call'] = async (method, path, key, body, headers = {}) => {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: response.headers,
    };
  };
  const created = await call('POST', '/v1/admin/principals', adminKey, { name: 'ops-agent', role: 'agent' });
  if (created.status !== 201) throw new Error(`cannot create the agent: ${JSON.stringify(created.body)}`);
  const agentKey = created.body.api_key as string;
  const client = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: agentKey,
    maxRetries: 0,
    timeout: 20_000,
  });
  return {
    gateway,
    upstream,
    adminKey,
    agentKey,
    agentId: created.body.id as string,
    client,
    dataDir,
    async audit() {
      const dir = segmentsDir(dataDir);
      const entries = [];
      for (const segment of await listSegments(dir))
        for (const line of readFileSync(join(dir, segment), 'utf8').split('\n'))
          if (line)
            entries.push(JSON.parse(line) as { seq: number; kind: string; payload: Record<string, unknown> });
      return entries;
    },
    call,
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}
