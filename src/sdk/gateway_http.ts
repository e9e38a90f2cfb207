// The SDK's HTTP connection to a gateway: one request at a time, bounded in time and size, never
// following a redirect (it would carry the key elsewhere), and every failure a CarapaceError that
// never holds the key. What a 2xx answer means is checked by the caller (remote_answer.ts).

import { CarapaceError } from './errors.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface GatewayConnection {
  /** The base URL, without a trailing slash. */
  base: string;
  key: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

/**
 * Checks the URL and key: http(s) only, no credentials, query or fragment in the URL, and plain http
 * only to a loopback address unless `allowInsecureHttp` (the key is a bearer secret).
 */
export function gatewayConnection(options: {
  url: string | undefined;
  apiKey: string | undefined;
  timeoutMs?: number;
  allowInsecureHttp?: boolean;
  fetch?: typeof fetch;
}): GatewayConnection {
  const bad = (detail: string) =>
    new CarapaceError('E_OPTIONS_INVALID', 'invalid gateway connection', detail);
  if (typeof options.url !== 'string' || options.url === '') throw bad('url: give it, or set $CARAPACE_URL');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw bad('url: not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad(`url: ${url.protocol} is not http: or https:`);
  if (url.username || url.password) throw bad('url: must not carry credentials; give apiKey');
  if (url.search || url.hash) throw bad('url: must not have a query or fragment');
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && options.allowInsecureHttp !== true)
    throw bad('url: plain http to a host other than this one would expose the API key; use https');
  const key = (options.apiKey ?? '').trim();
  if (key === '') throw bad('apiKey: give it, or set $CARAPACE_API_KEY');
  if (!/^[\x21-\x7e]{1,512}$/.test(key)) throw bad('apiKey: must be printable ASCII without spaces');
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw bad('timeoutMs: a positive whole number');
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw bad('fetch: a fetch function');
  return {
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    key,
    timeoutMs,
    fetch: options.fetch ?? fetch,
  };
}

/** A 2xx answer: its status and JSON object body. */
export interface GatewayAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One request. Resolves with a 2xx JSON object answer; throws CarapaceError for no answer in time
 * (E_GATEWAY_TIMEOUT), no connection (E_GATEWAY_UNREACHABLE), an error status (E_GATEWAY_REFUSED, with
 * the gateway's own code first in `detail`), or anything that is not a JSON object (E_GATEWAY_ANSWER_INVALID).
 */
export async function gatewayRequest(
  conn: GatewayConnection,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<GatewayAnswer> {
  const where = `${method} ${path}`;
  const headers: Record<string, string> = { authorization: `Bearer ${conn.key}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signal = AbortSignal.timeout(conn.timeoutMs);
  let text: string;
  let status: number;
  try {
    const response = await conn.fetch(`${conn.base}${path}`, {
      method,
      headers,
      redirect: 'manual',
      signal,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    status = response.status;
    text = await readBounded(response, where);
  } catch (e) {
    if (e instanceof CarapaceError) throw e;
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (signal.aborted || err.name === 'TimeoutError' || err.name === 'AbortError')
      throw new CarapaceError(
        'E_GATEWAY_TIMEOUT',
        'the gateway did not answer in time; the action was not run',
        `${where}: no answer within ${conn.timeoutMs} ms`,
      );
    const reason = err.cause?.code ?? err.cause?.message ?? err.message ?? 'error';
    throw new CarapaceError(
      'E_GATEWAY_UNREACHABLE',
      'cannot reach the gateway; the action was not run',
      `${conn.base}: ${reason}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (status >= 200 && status < 300) {
    if (!isObject)
      throw new CarapaceError(
        'E_GATEWAY_ANSWER_INVALID',
        'the gateway answered with something other than a JSON object; the action was not run',
        `${where}: HTTP ${status}`,
      );
    return { status, body: parsed as Record<string, unknown> };
  }
  const error = isObject ? (parsed as Record<string, unknown>) : {};
  const code = typeof error.code === 'string' ? error.code.slice(0, 64) : `HTTP_${status}`;
  const detail = typeof error.detail === 'string' ? error.detail.slice(0, 1024) : '';
  const said =
    typeof error.error === 'string' ? error.error.slice(0, 256) : 'the gateway refused the request';
  throw new CarapaceError(
    'E_GATEWAY_REFUSED',
    `${said}; the action was not run`,
    `${code}: ${where}: HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${detail ? `: ${detail}` : ''}`,
  );
}

async function readBounded(response: Response, where: string): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new CarapaceError(
        'E_GATEWAY_ANSWER_INVALID',
        'the gateway answer is too large; the action was not run',
        `${where}: more than ${MAX_ANSWER_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
