// The SDK's connection to a gateway: the options checked once (a URL that would expose the key is
// refused), then each request made by the gateway's own bounded client and every failure turned into a
// CarapaceError that never holds the key. What a 2xx answer means is checked by the caller
// (remote_answer.ts).

import {
  checkGatewayUrl,
  GatewayClientError,
  type GatewayEndpoint,
  requestGateway,
} from '../gateway/http_client.js';
import { CarapaceError } from './errors.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export type GatewayConnection = Required<GatewayEndpoint>;

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
  const url = checkGatewayUrl(options.url);
  if (!url.ok)
    throw bad(`url: ${url.detail}${url.detail === 'must not carry credentials' ? '; give apiKey' : ''}`);
  if (url.plainRemote && options.allowInsecureHttp !== true)
    throw bad('url: plain http to a host other than this one would expose the API key; use https');
  const key = (options.apiKey ?? '').trim();
  if (key === '') throw bad('apiKey: give it, or set $CARAPACE_API_KEY');
  if (!/^[\x21-\x7e]{1,512}$/.test(key)) throw bad('apiKey: must be printable ASCII without spaces');
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw bad('timeoutMs: a positive whole number');
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw bad('fetch: a fetch function');
  return { base: url.base, key, timeoutMs, fetch: options.fetch ?? fetch };
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
  let reply: Awaited<ReturnType<typeof requestGateway>>;
  try {
    reply = await requestGateway(conn, method, path, body);
  } catch (e) {
    if (!(e instanceof GatewayClientError)) throw e;
    if (e.kind === 'timeout')
      throw new CarapaceError(
        'E_GATEWAY_TIMEOUT',
        'the gateway did not answer in time; the action was not run',
        `${where}: ${e.detail}`,
      );
    if (e.kind === 'too_large')
      throw new CarapaceError(
        'E_GATEWAY_ANSWER_INVALID',
        'the gateway answer is too large; the action was not run',
        `${where}: ${e.detail}`,
      );
    throw new CarapaceError(
      'E_GATEWAY_UNREACHABLE',
      'cannot reach the gateway; the action was not run',
      e.detail,
    );
  }
  const { status } = reply;
  const isObject = typeof reply.body === 'object' && reply.body !== null && !Array.isArray(reply.body);
  if (status >= 200 && status < 300) {
    if (!isObject)
      throw new CarapaceError(
        'E_GATEWAY_ANSWER_INVALID',
        'the gateway answered with something other than a JSON object; the action was not run',
        `${where}: HTTP ${status}`,
      );
    return { status, body: reply.body as Record<string, unknown> };
  }
  // The gateway's own {error, code, detail}, each bounded; the code goes first in `detail`.
  const error = isObject ? (reply.body as Record<string, unknown>) : {};
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
