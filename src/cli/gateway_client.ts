// The CLI's HTTP client for a running gateway: the URL from --url or $CARAPACE_URL, the API key from
// $CARAPACE_API_KEY only (never argv), and every failure mapped to {error, code, detail} with exit 2.

import { failure, CliFailure } from './io.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8787';
export const KEY_ENV = 'CARAPACE_API_KEY';
export const URL_ENV = 'CARAPACE_URL';
const TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface GatewayConnection {
  /** The base URL without a trailing slash. */
  base: string;
  key: string;
}

/** Options every gateway command takes. */
export interface ConnectionOptions {
  url?: string;
  /** Only set when someone tried to pass the key as a flag: refused, never used. */
  apiKey?: string | boolean;
}

/**
 * The gateway to talk to and the key to talk with. Checks the options first so that a refused flag
 * or a bad URL fails before the key is even looked at, and nothing here ever echoes the key.
 */
export function resolveConnection(options: ConnectionOptions): GatewayConnection {
  if (options.apiKey !== undefined)
    throw failure(
      'E_KEY_FLAG_REFUSED',
      'the API key is not taken as a flag',
      `set $${KEY_ENV} instead: keys on the command line leak into shell history and ps`,
    );
  const base = parseBaseUrl(options.url ?? process.env[URL_ENV] ?? DEFAULT_GATEWAY_URL);
  const key = (process.env[KEY_ENV] ?? '').trim();
  if (key === '')
    throw failure('E_KEY_MISSING', 'no API key', `set $${KEY_ENV} to the API key of a principal`);
  if (!/^[\x21-\x7e]+$/.test(key))
    throw failure(
      'E_KEY_INVALID',
      'the API key is malformed',
      `$${KEY_ENV} must be printable ASCII without spaces`,
    );
  return { base, key };
}

function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw failure('E_URL_INVALID', 'invalid gateway URL', `${text} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw failure('E_URL_INVALID', 'invalid gateway URL', `${url.protocol} is not http: or https:`);
  if (url.username || url.password)
    throw failure(
      'E_URL_INVALID',
      'invalid gateway URL',
      `the URL must not carry credentials; the key comes from $${KEY_ENV}`,
    );
  if (url.search || url.hash)
    throw failure('E_URL_INVALID', 'invalid gateway URL', 'the URL must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * One request to the gateway. Resolves with the parsed JSON body of a 2xx answer; throws a CliFailure
 * carrying the gateway's own {error, code, detail} for anything else, so 401/403/409 keep their codes.
 */
export async function gatewayRequest(
  conn: GatewayConnection,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${conn.base}${path}`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${conn.key}`,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      // A redirect would carry the key to wherever it points: never follow one.
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw connectionFailure(conn.base, e);
  }
  const text = await readBounded(conn.base, response);
  const parsed = parseBody(text);
  if (response.status >= 200 && response.status < 300) {
    if (parsed === undefined)
      throw failure(
        'E_GATEWAY_RESPONSE_INVALID',
        'the gateway answered with something other than JSON',
        `${method} ${path}: HTTP ${response.status}`,
      );
    return parsed;
  }
  if (isErrorBody(parsed))
    throw new CliFailure({ error: parsed.error, code: parsed.code, detail: parsed.detail });
  throw failure(
    'E_GATEWAY_HTTP',
    'the gateway refused the request',
    `${method} ${path}: HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`,
  );
}

function connectionFailure(base: string, e: unknown): CliFailure {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError')
    return failure(
      'E_GATEWAY_TIMEOUT',
      'the gateway did not answer',
      `${base}: no answer within ${TIMEOUT_MS} ms`,
    );
  const reason = err.cause?.code ?? err.cause?.message ?? err.message ?? 'error';
  return failure('E_GATEWAY_UNREACHABLE', 'cannot reach the gateway', `${base}: ${reason}`);
}

async function readBounded(base: string, response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        await response.body.cancel().catch(() => {});
        throw failure(
          'E_GATEWAY_RESPONSE_INVALID',
          'the gateway answer is too large',
          `more than ${MAX_RESPONSE_BYTES} bytes`,
        );
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof CliFailure) throw e;
    throw connectionFailure(base, e);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isErrorBody(value: unknown): value is { error: string; code: string; detail: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && typeof v.code === 'string' && typeof v.detail === 'string';
}
