// SCRIPTED MODEL: a fixed script standing in for an LLM behind the proxy, so the example runs offline
// and the same way every time. It speaks OpenAI's chat-completions API over HTTP, like any upstream.
// First it reads the logs the user names; then it answers the log lines with the demo's scripted ops
// agent (src/demo/scripted_agent.ts), which, like a model that trusts its context, obeys an instruction
// it finds in a log line.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { scriptedAgentTurn } from '../../src/demo/scripted_agent.js';

export const SCRIPTED_MODEL_LABEL =
  'SCRIPTED MODEL: a fixed script standing in for an LLM behind the proxy; it answers in the OpenAI tool-call shape';
export const SCRIPTED_MODEL_NAME = 'scripted-ops-model';

interface Message {
  role: string;
  content?: unknown;
  tool_calls?: { function: { name: string } }[];
}

/** The assistant message the script answers `messages` with. */
export function scriptedAnswer(messages: readonly Message[]): Record<string, unknown> {
  const lastCall = [...messages].reverse().find((m) => m.role === 'assistant' && m.tool_calls?.length);
  const last = messages[messages.length - 1];
  if (!lastCall) {
    const asked = messages
      .filter((m) => m.role === 'user')
      .map((m) => String(m.content ?? ''))
      .join('\n');
    const source = /logs? of ([a-z0-9.-]+)/i.exec(asked)?.[1];
    if (!source) return { role: 'assistant', content: 'Which logs should I read?' };
    return withCalls(`Reading the logs of ${source}.`, [{ name: 'read_logs', arguments: { source } }], 1);
  }
  if (last?.role !== 'tool' || lastCall.tool_calls?.[0]?.function.name !== 'read_logs')
    return { role: 'assistant', content: 'Done.' };
  const lines = logLines(String(last.content ?? ''));
  const turn = scriptedAgentTurn(
    lines.map((text, i) => ({ chunkId: `line-${i}`, channel: 'syslog', text })),
    messages.length,
  );
  return {
    role: 'assistant',
    content: turn.message.content,
    ...(turn.message.tool_calls.length > 0 ? { tool_calls: turn.message.tool_calls } : {}),
  };
}

/** The log lines in a tool output: the `details.lines` of the executor's outcome, else its text lines. */
function logLines(content: string): string[] {
  try {
    const lines = (JSON.parse(content) as { details?: { lines?: unknown } }).details?.lines;
    if (Array.isArray(lines)) return lines.map(String);
  } catch {
    // plain text
  }
  return content.split('\n');
}

function withCalls(content: string, calls: { name: string; arguments: unknown }[], turn: number) {
  return {
    role: 'assistant',
    content,
    tool_calls: calls.map((c, i) => ({
      id: `call_scripted_${turn}_${i}`,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    })),
  };
}

/** Serves the script at http://127.0.0.1:<port>/v1 (POST /chat/completions, whole answers only). */
export async function startScriptedModel(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: 'not found' } }));
      }
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages: Message[] };
      const message = scriptedAnswer(body.messages);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-scripted-${body.messages.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: SCRIPTED_MODEL_NAME,
          choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
