// What an agent asked the broker to send, checked in two steps. planRequest needs no secret: the
// arguments' shape, the URL (no credentials in it, no fragment) and the agent's headers (none that
// route, frame, authenticate or carry cookies: Host, Proxy-*, Authorization, Cookie, Forwarded...).
// checkAgainstPolicy then holds the plan to the secret's authenticated policy: scheme, host, port,
// method, the injection header and the request size.

import { isPlainObject } from '../../engine/index.js';
import {
  HEADER_NAME,
  HTTP_METHODS,
  type HttpMethod,
  policyAllowsHost,
  SECRET_ID,
  type SecretPolicy,
} from '../../vault/secret_policy.js';
import { HttpBrokerError } from './errors.js';

export interface RequestPlan {
  secretId: string;
  method: HttpMethod;
  url: URL;
  scheme: 'http' | 'https';
  /** Lower case, without IPv6 brackets. */
  host: string;
  port: number;
  /** The agent's headers, names lower-cased. */
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Headers an agent may never set: they route, frame or authenticate the request, or carry a session. */
const REFUSED_HEADER =
  /^(?:host|authorization|proxy-.*|cookie|cookie2|forwarded|x-forwarded-.*|x-real-ip|via|content-length|transfer-encoding|connection|keep-alive|te|trailer|upgrade|expect|accept-encoding|http2-settings)$/;
const MAX_HEADERS = 64;
const MAX_HEADER_VALUE = 8192;

const argsInvalid = (detail: string) => new HttpBrokerError('E_HTTP_ARGS_INVALID', `http.request: ${detail}`);

export function planRequest(args: Record<string, unknown>): RequestPlan {
  const known = new Set(['secret_id', 'method', 'url', 'headers', 'body']);
  const unknown = Object.keys(args).find((k) => !known.has(k));
  if (unknown !== undefined) throw argsInvalid(`unknown argument "${unknown}"`);
  const { secret_id: secretId, method, url: urlText, headers, body } = args;
  if (typeof secretId !== 'string' || !SECRET_ID.test(secretId))
    throw argsInvalid('secret must name a secret id');
  if (typeof method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(method))
    throw argsInvalid(`method must be one of ${HTTP_METHODS.join(', ')}`);
  if (typeof urlText !== 'string' || urlText.length > 8192)
    throw argsInvalid('url must be a string of at most 8192 characters');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw argsInvalid('url is not an absolute URL');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https')
    throw new HttpBrokerError('E_HTTP_SCHEME_REFUSED', `http.request: scheme ${scheme} is never brokered`);
  if (url.username !== '' || url.password !== '')
    throw argsInvalid('url may not carry credentials (user:password@); the broker injects the secret');
  if (url.hash !== '') throw argsInvalid('url may not carry a fragment');
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw argsInvalid('url has no host');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);

  const checked: Record<string, string> = {};
  if (headers !== undefined) {
    if (!isPlainObject(headers)) throw argsInvalid('headers must be an object of header names to strings');
    const entries = Object.entries(headers);
    if (entries.length > MAX_HEADERS) throw argsInvalid(`at most ${MAX_HEADERS} headers`);
    for (const [name, value] of entries) {
      if (!HEADER_NAME.test(name))
        throw new HttpBrokerError(
          'E_HTTP_HEADER_REFUSED',
          'http.request: a header name is not an HTTP token',
        );
      const lower = name.toLowerCase();
      if (REFUSED_HEADER.test(lower))
        throw new HttpBrokerError(
          'E_HTTP_HEADER_REFUSED',
          `http.request: header ${lower} is set by the broker, never by the agent`,
        );
      if (Object.hasOwn(checked, lower))
        throw new HttpBrokerError('E_HTTP_HEADER_REFUSED', `http.request: header ${lower} is given twice`);
      if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE || !/^[\t\x20-\x7e]*$/.test(value))
        throw new HttpBrokerError(
          'E_HTTP_HEADER_REFUSED',
          `http.request: header ${lower} must be printable ASCII without line breaks, at most ${MAX_HEADER_VALUE} characters`,
        );
      checked[lower] = value;
    }
  }
  if (body !== undefined && typeof body !== 'string') throw argsInvalid('body must be a string');
  if (body !== undefined && (method === 'GET' || method === 'HEAD'))
    throw argsInvalid(`a ${method} request has no body`);
  return {
    secretId,
    method: method as HttpMethod,
    url,
    scheme,
    host,
    port,
    headers: checked,
    body: body === undefined ? null : Buffer.from(body, 'utf8'),
  };
}

/** Holds `plan` to the secret's policy (authenticated by unsealing): every mismatch is a refusal. */
export function checkAgainstPolicy(plan: RequestPlan, policy: SecretPolicy, secretId: string): void {
  const refuse = (code: ConstructorParameters<typeof HttpBrokerError>[0], what: string) =>
    new HttpBrokerError(code, `secret ${secretId}: its policy does not allow ${what}`);
  if (!policy.schemes.includes(plan.scheme)) throw refuse('E_HTTP_SCHEME_REFUSED', `scheme ${plan.scheme}`);
  if (!policyAllowsHost(policy, plan.host)) throw refuse('E_HTTP_HOST_REFUSED', `host ${plan.host}`);
  if (!policy.ports.includes(plan.port)) throw refuse('E_HTTP_PORT_REFUSED', `port ${plan.port}`);
  if (!policy.methods.includes(plan.method)) throw refuse('E_HTTP_METHOD_REFUSED', `method ${plan.method}`);
  if (Object.hasOwn(plan.headers, policy.inject.name))
    throw new HttpBrokerError(
      'E_HTTP_HEADER_REFUSED',
      `http.request: header ${policy.inject.name} is where the broker injects the secret`,
    );
  const size = plan.body?.length ?? 0;
  if (size > policy.limits.req_bytes)
    throw new HttpBrokerError(
      'E_HTTP_REQUEST_TOO_LARGE',
      `secret ${secretId}: the body is ${size} bytes, the policy allows ${policy.limits.req_bytes}`,
    );
}
