// The proxy's one way out to the upstream: keep-alive HTTP(S), the upstream key injected by Carapace
// (the agent's own Authorization never leaves), bounded in time and size, and every failure a GatewayError
// whose text never holds the key.

import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { isPlainObject } from '../../engine/index.js';
import { GatewayError } from '../../gateway/gateway_error.js';
import { redactSecrets } from '../../inspect/secrets/index.js';
import type { SecretStripper } from '../../executors/http/secret_stripper.js';
import type { ProxySettings } from './options.js';
import type { LentUpstreamKey } from './upstream_key.js';

export interface UpstreamAnswer {
  status: number;
  /** The media type, lower-cased, without parameters. */
  mediaType: string;
  /** The body, decoded when the upstream compressed it anyway. */
  body: Readable;
  /** Strips every form of the key this request was sent with from its answer; null when none was. */
  stripper: SecretStripper | null;
}

/** What an upstream error says, at most this long, is passed on (with the key and credentials removed). */
const ERROR_DETAIL_CHARS = 512;
const ERROR_BODY_BYTES = 64 * 1024;

export class UpstreamClient {
  readonly #agent: http.Agent;
  readonly #send: typeof http.request;
  /** Request options by path, made once: nothing is parsed per request. */
  readonly #targets = new Map<string, https.RequestOptions>();

  constructor(private readonly settings: ProxySettings) {
    const options = { keepAlive: true, maxSockets: 256, scheduling: 'lifo' as const };
    const tls = settings.upstream.protocol === 'https:';
    this.#agent = tls ? new https.Agent(options) : new http.Agent(options);
    this.#send = tls ? https.request : http.request;
  }

  /** The upstream's URL for `path` (under the configured base path, keeping its query). */
  urlFor(path: string): URL {
    const url = new URL(this.settings.upstream.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
    return url;
  }

  #target(path: string): https.RequestOptions {
    let target = this.#targets.get(path);
    if (!target) {
      const url = this.urlFor(path);
      target = {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        servername: url.hostname,
      };
      this.#targets.set(path, target);
    }
    return target;
  }

  /**
   * Sends one request and resolves with the answer's status and body stream once headers arrive.
   * Rejects with a 502 GatewayError when the upstream cannot be reached, or is silent longer than the
   * timeout (before its headers, and between any two reads after). `onCancel` is handed the way to
   * abandon the request (the agent went away).
   */
  open(
    method: 'GET' | 'POST',
    path: string,
    body: Buffer | null,
    accept: string,
    onCancel: (cancel: () => void) => void,
  ): Promise<UpstreamAnswer> {
    const timeoutMs = this.settings.upstreamTimeoutMs;
    const headers: Record<string, string> = {
      accept,
      // Lobster Trap cannot add its block to a compressed body; nothing here needs compression.
      'accept-encoding': 'identity',
      'user-agent': 'carapace-openai-proxy',
    };
    if (body !== null) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    // Lent for this request only: under the broker, unsealed now and zeroed in the vault at once.
    let lent: LentUpstreamKey | null;
    try {
      lent = this.settings.upstreamKey?.lend() ?? null;
    } catch (e) {
      return Promise.reject(
        new GatewayError(
          502,
          'E_UPSTREAM_KEY',
          "Carapace's upstream key cannot be used",
          `vault secret ${this.settings.upstreamKey?.id ?? ''}: ${(e as { code?: string }).code ?? 'error'}`,
        ),
      );
    }
    if (lent !== null) headers.authorization = lent.authorization;
    const stripper = lent?.stripper ?? null;
    const target = this.#target(path);
    return new Promise((resolve, reject) => {
      let settled = false;
      let answered: http.IncomingMessage | null = null;
      const fail = (e: GatewayError) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      const request = this.#send({ ...target, method, headers, agent: this.#agent }, (response) => {
        answered = response;
        if (settled) return void response.destroy();
        settled = true;
        let decoded: Readable = response;
        const encoding = (response.headers['content-encoding'] ?? 'identity').toLowerCase();
        if (encoding === 'gzip' || encoding === 'x-gzip') decoded = response.pipe(zlib.createGunzip());
        else if (encoding === 'deflate') decoded = response.pipe(zlib.createInflate());
        else if (encoding === 'br') decoded = response.pipe(zlib.createBrotliDecompress());
        else if (encoding !== 'identity') {
          response.destroy();
          return reject(upstreamInvalid(`content-encoding ${encoding} is not one the proxy reads`));
        }
        if (decoded !== response) response.on('error', (e) => decoded.destroy(e));
        resolve({
          status: response.statusCode ?? 0,
          mediaType: (response.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '',
          body: decoded,
          stripper,
        });
      });
      // One idle timer on the socket covers the wait for headers and every gap in the body.
      request.setTimeout(timeoutMs, () => {
        const silent = new GatewayError(
          502,
          'E_UPSTREAM_TIMEOUT',
          answered ? 'the upstream went silent' : 'the upstream did not answer in time',
          answered ? `no data for ${timeoutMs} ms` : `no response within ${timeoutMs} ms`,
        );
        fail(silent);
        if (answered) answered.destroy(silent);
        request.destroy();
      });
      request.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof GatewayError) return fail(e);
        fail(
          new GatewayError(
            502,
            'E_UPSTREAM_UNREACHABLE',
            'the upstream cannot be reached',
            `${e.code ?? e.name} on ${method} ${String(target.hostname)}:${String(target.port)}${String(target.path)}`,
          ),
        );
      });
      onCancel(() => {
        const gone = new GatewayError(
          499,
          'E_CLIENT_GONE',
          'the agent went away',
          'the request was abandoned',
        );
        fail(gone);
        if (answered) answered.destroy(gone);
        request.destroy(gone);
      });
      request.end(body ?? undefined);
    });
  }

  /** Reads a whole body up to `limit` bytes, within the timeout; a 502 otherwise. */
  async readAll(body: Readable, limit = this.settings.maxResponseBytes): Promise<Buffer> {
    const timeoutMs = this.settings.upstreamTimeoutMs;
    const parts: Buffer[] = [];
    let size = 0;
    const deadline = setTimeout(
      () =>
        body.destroy(
          new GatewayError(
            502,
            'E_UPSTREAM_TIMEOUT',
            'the upstream did not answer in time',
            `the body took longer than ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    try {
      for await (const part of body) {
        const buffer = part as Buffer;
        size += buffer.length;
        if (size > limit) {
          body.destroy();
          throw new GatewayError(
            502,
            'E_UPSTREAM_TOO_LARGE',
            'the upstream answer is too large',
            `more than ${limit} bytes`,
          );
        }
        parts.push(buffer);
      }
    } catch (e) {
      throw asUpstreamError(e);
    } finally {
      clearTimeout(deadline);
    }
    return Buffer.concat(parts);
  }

  /** The error the agent gets for an upstream answer that is not a success. */
  async failure(answer: UpstreamAnswer): Promise<GatewayError> {
    let text = '';
    try {
      text = (await this.readAll(answer.body, ERROR_BODY_BYTES)).toString('utf8');
    } catch {
      answer.body.destroy();
    }
    const said = this.scrub(upstreamMessage(text), answer.stripper);
    const detail = `HTTP ${answer.status}${said ? `: ${said}` : ''}`;
    if (answer.status === 401 || answer.status === 403)
      return new GatewayError(
        502,
        'E_UPSTREAM_AUTH',
        "the upstream refused Carapace's upstream credentials",
        detail,
      );
    // The agent's request was at fault: it learns the upstream's status and reason.
    if ([400, 404, 409, 413, 422, 429].includes(answer.status))
      return new GatewayError(
        answer.status,
        'E_UPSTREAM_REJECTED',
        'the upstream refused the request',
        detail,
      );
    return new GatewayError(502, 'E_UPSTREAM_ERROR', 'the upstream failed', detail);
  }

  /** Text from the upstream, without Carapace's key or anything that looks like a credential, bounded. */
  scrub(text: string, stripper: SecretStripper | null): string {
    let out = stripper ? stripper.stripText(text).text : text;
    out = redactSecrets(out).text;
    return out.length > ERROR_DETAIL_CHARS ? `${out.slice(0, ERROR_DETAIL_CHARS)}…` : out;
  }

  close(): void {
    this.#agent.destroy();
  }
}

export function upstreamInvalid(detail: string): GatewayError {
  return new GatewayError(502, 'E_UPSTREAM_INVALID', 'the upstream answer cannot be read', detail);
}

/** Any failure while reading from the upstream, as the GatewayError the agent gets. */
export function asUpstreamError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const err = e as NodeJS.ErrnoException;
  return new GatewayError(
    502,
    'E_UPSTREAM_BROKEN',
    'the upstream connection failed',
    `${err?.code ?? err?.name ?? 'error'} while reading the answer`,
  );
}

/** The message in an OpenAI-style error body ({error: {message}}), or the text itself. */
function upstreamMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (isPlainObject(body)) {
      const error = body.error;
      if (isPlainObject(error) && typeof error.message === 'string') return error.message;
      if (typeof error === 'string') return error;
      if (typeof body.message === 'string') return body.message;
    }
  } catch {
    // not JSON: the text as it is
  }
  return text.trim();
}
