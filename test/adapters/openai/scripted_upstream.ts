// A SCRIPTED upstream: an HTTP server that speaks OpenAI's chat-completions API (whole and streamed),
// answering each request with what the test's script says, standing in for a model. It records every
// request it gets (headers and body), so tests can see exactly what the proxy forwarded.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const SCRIPTED_MODEL = 'scripted-model';

export interface ScriptedRequest {
  headers: http.IncomingHttpHeaders;
  path: string;
  method: string;
  body: Record<string, unknown>;
  raw: string;
}

export interface ToolCallSpec {
  id: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/** How the scripted upstream answers one request. */
export type ScriptedAnswer =
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'stream'; run: (send: StreamSender) => Promise<void> }
  | { kind: 'hang' };

export interface StreamSender {
  /** One `data:` event with this chunk (a chat.completion.chunk is filled in around `choices`). */
  chunk(choices: unknown[], extra?: Record<string, unknown>): void;
  text(content: string, index?: number): void;
  toolCallDelta(delta: Record<string, unknown>, index?: number): void;
  finish(reason: string, index?: number): void;
  raw(text: string): void;
  done(): void;
  /** Ends the response without [DONE]. */
  end(): void;
  /** Resolves when the proxy hangs up (or the response ends). */
  closed: Promise<void>;
}

export interface ScriptedUpstream {
  url: string;
  requests: ScriptedRequest[];
  /** TCP connections accepted so far. */
  connections: number;
  script: (request: ScriptedRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;
  close(): Promise<void>;
}

export function completion(
  content: string | null,
  toolCalls: ToolCallSpec[] = [],
  extra: Record<string, unknown> = {},
) {
  return {
    id: 'chatcmpl-scripted',
    object: 'chat.completion',
    created: 1_790_000_000,
    model: SCRIPTED_MODEL,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map(toolCall) } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    ...extra,
  };
}

export function toolCall(spec: ToolCallSpec) {
  return {
    id: spec.id,
    type: 'function',
    function: {
      name: spec.name,
      arguments: typeof spec.arguments === 'string' ? spec.arguments : JSON.stringify(spec.arguments),
    },
  };
}

export async function startScriptedUpstream(
  script: ScriptedUpstream['script'] = () => ({ kind: 'json', body: completion('Nothing to do.') }),
): Promise<ScriptedUpstream> {
  const upstream: ScriptedUpstream = {
    url: '',
    requests: [],
    connections: 0,
    script,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      const request: ScriptedRequest = {
        headers: req.headers,
        path: req.url ?? '',
        method: req.method ?? '',
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
        raw,
      };
      upstream.requests.push(request);
      void Promise.resolve(upstream.script(request)).then(
        (answer) => serve(answer, res),
        (e: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `scripted upstream failed: ${e.message}` } }));
        },
      );
    });
  });
  server.on('connection', () => upstream.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  upstream.url = `http://127.0.0.1:${port}/v1`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}

async function serve(answer: ScriptedAnswer, res: http.ServerResponse): Promise<void> {
  if (answer.kind === 'hang') return;
  if (answer.kind === 'json') {
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
    res.end(JSON.stringify(answer.body));
    return;
  }
  if (answer.kind === 'raw') {
    res.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
    res.end(answer.body);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const meta = {
    id: 'chatcmpl-scripted',
    object: 'chat.completion.chunk',
    created: 1_790_000_000,
    model: SCRIPTED_MODEL,
  };
  const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
  const write = (text: string) => {
    if (!res.destroyed && !res.writableEnded) res.write(text);
  };
  const sender: StreamSender = {
    closed,
    chunk: (choices, extra = {}) => write(`data: ${JSON.stringify({ ...meta, choices, ...extra })}\n\n`),
    text: (content, index = 0) =>
      sender.chunk([{ index, delta: { content }, logprobs: null, finish_reason: null }]),
    toolCallDelta: (delta, index = 0) =>
      sender.chunk([{ index, delta: { tool_calls: [delta] }, logprobs: null, finish_reason: null }]),
    finish: (reason, index = 0) =>
      sender.chunk([{ index, delta: {}, logprobs: null, finish_reason: reason }]),
    raw: (text) => write(text),
    done: () => {
      write('data: [DONE]\n\n');
      res.end();
    },
    end: () => res.end(),
  };
  sender.chunk([
    { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
  ]);
  await answer.run(sender);
}
