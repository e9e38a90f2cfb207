// The host side of the sealed process's transport: a client that sends one frame and reads one answer
// at a time, and the executor the gateway registers when the broker runs sealed. That executor calls
// the gateway's own token gate first (redeemed and audited there), then hands the same token to the
// sealed process, which verifies and redeems it again before it unseals anything. The gateway reaches
// the sealed process through a SealedChannel, which names a loopback endpoint (tcp://127.0.0.1:PORT) and
// connects again after the sealed process restarted; nothing is retried on its own (a token is
// redeemed once in the sealed process, so a retry could only be refused).

import { connect, type Socket } from 'node:net';
import type { ActionCall, ExecutionOutcome, Executor, TokenGate } from '../../executor.js';
import { HTTP_REQUEST_TOOL } from '../http_catalog.js';
import { HttpBrokerError } from '../errors.js';
import { encodeFrame, FrameError, FrameReader } from './frame.js';

export class SealedTransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SealedTransportError';
  }
}

export class SealedClient {
  private readonly reader = new FrameReader();
  private waiting: ((m: Record<string, unknown> | Error) => void)[] = [];
  private queue = Promise.resolve() as Promise<unknown>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.reader.push(chunk)) this.waiting.shift()?.(item);
    });
    const gone = () => {
      for (const w of this.waiting.splice(0))
        w(new SealedTransportError('E_SEALED_CLOSED', 'the sealed process closed the connection'));
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<SealedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SealedTransportError('E_SEALED_UNREACHABLE', `no sealed process answered on ${host}:${port}`),
        );
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new SealedClient(socket));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SealedTransportError('E_SEALED_UNREACHABLE', `${host}:${port}: ${e.code ?? 'error'}`));
      });
    });
  }

  /** Sends `message` and resolves with the answer frame (type `error` included). */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const next = this.queue.then(
      () =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          if (this.socket.destroyed) {
            reject(new SealedTransportError('E_SEALED_CLOSED', 'the connection is closed'));
            return;
          }
          this.waiting.push((m) =>
            m instanceof Error
              ? reject(m instanceof FrameError ? new SealedTransportError(m.code, m.message) : m)
              : resolve(m),
          );
          this.socket.write(encodeFrame(message));
        }),
    );
    this.queue = next.catch(() => {});
    return next;
  }

  /** True once the connection is gone (the sealed process stopped, or close() was called). */
  get closed(): boolean {
    return this.socket.destroyed;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** What sends one frame to the sealed process and reads its answer. */
export interface SealedRequester {
  request(message: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface SealedEndpoint {
  host: string;
  port: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/**
 * `tcp://HOST:PORT` with HOST a loopback address: the transport is plain TCP, unauthenticated beyond
 * the execution tokens, so it stays on this machine. Anything else throws SealedTransportError.
 */
export function parseSealedEndpoint(text: string): SealedEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SealedTransportError('E_SEALED_ENDPOINT', `${text} is not tcp://127.0.0.1:PORT`);
  }
  const port = Number(url.port);
  if (
    url.protocol !== 'tcp:' ||
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '' && url.pathname !== '/') ||
    url.search !== '' ||
    url.hash !== '' ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535
  )
    throw new SealedTransportError('E_SEALED_ENDPOINT', `${text} is not tcp://127.0.0.1:PORT`);
  if (!LOOPBACK_HOSTS.has(url.hostname))
    throw new SealedTransportError(
      'E_SEALED_ENDPOINT',
      `${url.hostname} is not a loopback address: the sealed transport stays on this machine`,
    );
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** One connection to the sealed process, made again on the next request once it was lost. */
export class SealedChannel implements SealedRequester {
  private client: SealedClient | null = null;
  private connecting: Promise<SealedClient> | null = null;

  constructor(
    readonly endpoint: SealedEndpoint,
    private readonly timeoutMs = 5000,
    /** How long one answer may take; then the connection is dropped (answers must not shift). */
    private readonly answerTimeoutMs = 60_000,
  ) {}

  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const client = await this.connected();
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        // A late answer would be read as the next request's: the connection goes, the next one is new.
        client.close();
        reject(
          new SealedTransportError(
            'E_SEALED_TIMEOUT',
            `the sealed process did not answer within ${this.answerTimeoutMs} ms`,
          ),
        );
      }, this.answerTimeoutMs);
    });
    try {
      return await Promise.race([client.request(message), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connected(): Promise<SealedClient> {
    if (this.client && !this.client.closed) return this.client;
    this.connecting ??= SealedClient.connect(this.endpoint.port, this.endpoint.host, this.timeoutMs).finally(
      () => (this.connecting = null),
    );
    this.client = await this.connecting;
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}

/** The gateway's executor for http.request when the broker runs in the sealed process. */
export class SealedHttpExecutor implements Executor {
  readonly name = 'http-broker-sealed';
  readonly simulated = false;
  readonly tools = [HTTP_REQUEST_TOOL] as const;

  constructor(
    private readonly client: SealedRequester,
    private readonly gate: TokenGate,
  ) {}

  async execute(token: string, call: ActionCall): Promise<ExecutionOutcome> {
    if (call.tool !== HTTP_REQUEST_TOOL)
      throw new HttpBrokerError(
        'E_HTTP_TOOL_UNSUPPORTED',
        `the HTTP broker runs ${HTTP_REQUEST_TOOL}, not ${call.tool}`,
      );
    await this.gate(token, call);
    const answer = await this.client.request({ type: 'action', token, call });
    if (answer.type === 'response' && answer.status === 'ok') return answer.outcome as ExecutionOutcome;
    throw new SealedTransportError(
      typeof answer.code === 'string' ? answer.code : 'E_SEALED_ERROR',
      typeof answer.message === 'string' ? answer.message : 'the sealed process refused the action',
    );
  }
}
