// A gateway with the console's routes for the console tests: a fresh data directory, `--dev` principals,
// and the demo data hall (real where this machine allows it and the test asks for it, else SIMULATED)
// wired as its executor; a JSON client and an event-stream reader that speak to it as the console does.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataHall, createHallExecutor, type DataHall } from '../../src/executors/netns/index.js';
import { type RunningGateway, startGateway } from '../../src/gateway/serve.js';

export interface ConsoleHarness {
  gateway: RunningGateway;
  hall: DataHall | null;
  dataDir: string;
  adminKey: string;
  call(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> & { [k: string]: unknown } }>;
  principal(name: string, role: string, channel?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleHarness(
  options: { hall?: 'simulated' | 'auto' | 'none'; prefix?: string } = {},
): Promise<ConsoleHarness> {
  const choice = options.hall ?? 'simulated';
  const hall =
    choice === 'none'
      ? null
      : createDataHall({
          prefix: options.prefix ?? 'cpcons',
          probeIntervalMs: 250,
          simulated: choice === 'simulated',
        });
  const wasUp = hall ? (await hall.status()).up : false;
  if (hall) await hall.up();
  const dataDir = mkdtempSync(join(tmpdir(), 'carapace-console-'));
  const gateway = await startGateway({
    dataDir,
    port: 0,
    dev: true,
    logLevel: 'silent',
    hall,
    executors: (gate) => (hall ? [createHallExecutor(hall, gate)] : []),
  });
  const h: ConsoleHarness = {
    gateway,
    hall,
    dataDir,
    adminKey: gateway.devAdminKey as string,
    async call(method, path, key, body, headers = {}) {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: {
          ...headers,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: response.status, body: parsed };
    },
    async principal(name, role, channel) {
      const reply = await h.call('POST', '/v1/admin/principals', h.adminKey, {
        name,
        role,
        ...(channel ? { channel } : {}),
      });
      if (reply.status !== 201) throw new Error(`cannot create ${name}: ${JSON.stringify(reply.body)}`);
      return reply.body.api_key as string;
    },
    async close() {
      await gateway.close();
      if (hall && !wasUp) await hall.down();
    },
  };
  return h;
}

export interface SseEvent {
  event: string;
  id: string | null;
  data: unknown;
}

/** An open event stream read as the console reads it (fetch + ReadableStream). */
export interface OpenStream {
  status: number;
  /** The next event, waiting up to `timeoutMs`; null when the stream ended. */
  next(timeoutMs?: number): Promise<SseEvent | null>;
  close(): void;
}

export async function openStream(
  url: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseEvent[] = [];
  let ended = false;
  const fill = async (deadline: number): Promise<void> => {
    while (queue.length === 0 && !ended) {
      if (!reader) {
        ended = true;
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no event in time');
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event in time')), left)),
      ]);
      if (chunk.done) {
        ended = true;
        return;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let id: string | null = null;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) queue.push({ event, id, data: JSON.parse(data.join('\n')) });
      }
    }
  };
  return {
    status: response.status,
    async next(timeoutMs = 5000) {
      await fill(Date.now() + timeoutMs);
      return queue.shift() ?? null;
    },
    close: () => controller.abort(),
  };
}

export async function waitUntil<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
