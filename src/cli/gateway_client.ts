// The CLI's connection to a running gateway: the URL from --url, $CARAPACE_CONTROL_URL or $CARAPACE_URL
// (the commands that use it are admin, approver and auditor ones: control plane), the API key from
// $CARAPACE_API_KEY only (never argv), requests made by the gateway's own bounded client, and every
// failure mapped to {error, code, detail} with exit 2.

import { checkGatewayUrl, errorBodyOf, GatewayClientError, requestGateway } from '../gateway/http_client.js';
import { failure, CliFailure } from './io.js';

/** The control plane of `carapace serve` (split planes, its default). With --planes single, use 8787. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8788';
export const CONTROL_URL_ENV = 'CARAPACE_CONTROL_URL';
export const KEY_ENV = 'CARAPACE_API_KEY';
export const URL_ENV = 'CARAPACE_URL';
const TIMEOUT_MS = 30_000;

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
  const base = parseBaseUrl(
    options.url ?? process.env[CONTROL_URL_ENV] ?? process.env[URL_ENV] ?? DEFAULT_GATEWAY_URL,
  );
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
  const url = checkGatewayUrl(text);
  if (url.ok) return url.base;
  const hint = url.problem === 'credentials' ? `; the key comes from $${KEY_ENV}` : '';
  throw failure('E_URL_INVALID', 'invalid gateway URL', `the URL: ${url.detail}${hint}`);
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
  let reply: Awaited<ReturnType<typeof requestGateway>>;
  try {
    reply = await requestGateway({ ...conn, timeoutMs: TIMEOUT_MS }, method, path, body);
  } catch (e) {
    if (!(e instanceof GatewayClientError)) throw e;
    if (e.kind === 'timeout')
      throw failure('E_GATEWAY_TIMEOUT', 'the gateway did not answer', `${conn.base}: ${e.detail}`);
    if (e.kind === 'too_large')
      throw failure('E_GATEWAY_RESPONSE_INVALID', 'the gateway answer is too large', e.detail);
    throw failure('E_GATEWAY_UNREACHABLE', 'cannot reach the gateway', e.detail);
  }
  if (reply.status >= 200 && reply.status < 300) {
    if (reply.body === undefined)
      throw failure(
        'E_GATEWAY_RESPONSE_INVALID',
        'the gateway answered with something other than JSON',
        `${method} ${path}: HTTP ${reply.status}`,
      );
    return reply.body;
  }
  const said = errorBodyOf(reply.body);
  if (said) throw new CliFailure(said);
  throw failure(
    'E_GATEWAY_HTTP',
    'the gateway refused the request',
    `${method} ${path}: HTTP ${reply.status}${reply.status >= 300 && reply.status < 400 ? ' (redirects are not followed)' : ''}`,
  );
}
