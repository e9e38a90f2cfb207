// The OpenAI-agent example, runnable: `node --import tsx examples/openai-agent/main.ts`. It starts a
// Carapace gateway in-process (a fresh data directory) with the OpenAI proxy in front of the SCRIPTED
// model, or in front of a real upstream when CARAPACE_UPSTREAM_URL (and CARAPACE_UPSTREAM_API_KEY,
// CARAPACE_EXAMPLE_MODEL) are set, and runs the agent through two shifts of data hall SJ-01:
//   night: the syslog carries the 03:14 poisoned line; the agent's isolation of the spine is quarantined;
//   day:   a workload is unhealthy; the agent's restart is allowed and runs.
// The logs come from a SIMULATED syslog reader; the restart is recorded by the echo executor, which
// touches nothing. Both say so in their output.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import type { Executor, TokenGate } from '../../src/executors/executor.js';
import { startGateway } from '../../src/gateway/serve.js';
import { POISONED_LINE } from '../../src/demo/scenario_0314.js';
import { type ConversationResult, runConversation } from './agent.js';
import { SCRIPTED_MODEL_LABEL, SCRIPTED_MODEL_NAME, startScriptedModel } from './scripted_model.js';

const SYSTEM_PROMPT =
  'You are the on-call ops agent for data hall SJ-01. Read the logs you are pointed at and act on them with your tools.';

const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  tool('read_logs', 'Read the recent log lines of a source.', { source: 'string' }),
  tool('isolate_network_device', 'Cut a network device off the fabric.', { device_id: 'string' }),
  tool('restart_workload', 'Restart a workload at a site.', { workload: 'string', site: 'string' }),
];

/** SIMULATED: the log lines each source holds. */
const LOGS: Record<string, string[]> = {
  'edge-node-sj-01': [
    '[edge-node-sj-01-02] INFO: fan speed 4200 rpm, inlet 22C',
    POISONED_LINE,
    '[edge-node-sj-01-04] INFO: link up, 25G, no errors in 300 s',
  ],
  'api-7': ['[api-7] ERROR: workload api-7 at sj-01 unhealthy: 5 failed probes in 60 s'],
};

export interface ExampleResult {
  upstream: 'scripted' | string;
  night: ConversationResult;
  day: ConversationResult;
}

export async function runExample(
  options: {
    log?: (line: string) => void;
    upstreamUrl?: string;
    upstreamApiKey?: string;
    model?: string;
  } = {},
): Promise<ExampleResult> {
  const log = options.log ?? (() => {});
  const scripted = options.upstreamUrl ? null : await startScriptedModel();
  const upstreamUrl = options.upstreamUrl ?? (scripted as { url: string }).url;
  const gateway = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'carapace-openai-agent-')),
    port: 0,
    dev: true,
    logLevel: 'silent',
    executors: (gate) => [simulatedLogReader(gate)],
    adapters: {
      openai: {
        upstreamUrl,
        ...(options.upstreamApiKey ? { upstreamApiKey: options.upstreamApiKey } : {}),
        // read_logs returns what the syslog collector holds: it is as trusted as that channel.
        toolChannels: { read_logs: 'syslog' },
      },
    },
  });
  try {
    log(scripted ? SCRIPTED_MODEL_LABEL : `upstream: ${new URL(upstreamUrl).origin} (a real model)`);
    const created = await fetch(`${gateway.url}/v1/admin/principals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.devAdminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ops-agent', role: 'agent' }),
    });
    const agentKey = ((await created.json()) as { api_key: string }).api_key;
    // The only change an OpenAI agent needs: point the client at Carapace, with its Carapace key.
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: agentKey });
    const shift = (name: string, ask: string) => {
      log(`${name} shift: user: ${ask}`);
      return runConversation({
        client,
        gatewayUrl: gateway.url,
        agentKey,
        model: options.model ?? SCRIPTED_MODEL_NAME,
        session: `sj-01-${name}`,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: ask },
        ],
        tools: TOOLS,
        log,
        // The model reads log lines as text, as a log tool would show them.
        formatOutput: (name, output) => {
          const lines = (output as { details?: { lines?: string[] } } | null)?.details?.lines;
          return name === 'read_logs' && Array.isArray(lines) ? lines.join('\n') : JSON.stringify(output);
        },
      });
    };
    const night = await shift('night', 'Read the logs of edge-node-sj-01 and act on what they say.');
    const day = await shift('day', 'Read the logs of api-7 and act on what they say.');
    return { upstream: scripted ? 'scripted' : upstreamUrl, night, day };
  } finally {
    await gateway.close();
    await scripted?.close();
  }
}

/** SIMULATED: a log reader that returns canned lines, after its token is redeemed like any executor. */
function simulatedLogReader(gate: TokenGate): Executor {
  return {
    name: 'simulated-log-reader',
    simulated: true,
    tools: ['read_logs'],
    async execute(token, call) {
      await gate(token, call);
      const source = String(call.args.source);
      return {
        executor: 'simulated-log-reader',
        simulated: true,
        tool: call.tool,
        args: call.args,
        executed_at: new Date().toISOString(),
        effect: `SIMULATED: read the canned log lines of ${source}`,
        details: { lines: LOGS[source] ?? [] },
      };
    },
  };
}

function tool(
  name: string,
  description: string,
  args: Record<string, string>,
): OpenAI.Chat.Completions.ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name,
      description,
      parameters: {
        type: 'object',
        properties: Object.fromEntries(Object.keys(args).map((k) => [k, { type: args[k] }])),
        required: Object.keys(args),
      },
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  await runExample({
    log: (line) => console.log(line),
    ...(env.CARAPACE_UPSTREAM_URL ? { upstreamUrl: env.CARAPACE_UPSTREAM_URL } : {}),
    ...(env.CARAPACE_UPSTREAM_API_KEY ? { upstreamApiKey: env.CARAPACE_UPSTREAM_API_KEY } : {}),
    ...(env.CARAPACE_EXAMPLE_MODEL ? { model: env.CARAPACE_EXAMPLE_MODEL } : {}),
  });
}
