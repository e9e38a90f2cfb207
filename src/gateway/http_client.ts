// The HTTP client of a running gateway, shared by the CLI and the SDK's remote mode: the base URL
// checked (http or https, no credentials, query or fragment), one request with the API key as a bearer
// token, bounded in time and size, never following a redirect (it would carry the key elsewhere). It
// prints nothing and exits nothing: each caller words the failures in its own errors, none with the key.

/** The largest answer read; a larger one is a failure, never a truncated success. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A gateway to talk to: its base URL without a trailing slash, and the key to talk with. */
export interface GatewayEndpoint {
  base: string;
  key: string;
  timeoutMs: number;
  /** Default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * `text` as a gateway's base URL, without a trailing slash, or why it is refused (never echoing it: it
 * may hold credentials). `plainRemote` says the key would cross the network in clear: plain http to a
 * host other than this one.
 */
export function checkGatewayUrl(
  text: string,
):
  | { ok: true; base: string; plainRemote: boolean }
  | { ok: false; problem: 'not_url' | 'scheme' | 'credentials' | 'query'; detail: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'not_url', detail: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, problem: 'scheme', detail: `${url.protocol} is not http: or https:` };
  if (url.username || url.password)
    return { ok: false, problem: 'credentials', detail: 'must not carry credentials' };
  if (url.search || url.hash)
    return { ok: false, problem: 'query', detail: 'must not have a query or fragment' };
  return {
    ok: true,
    base: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    plainRemote: url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname),
  };
}

/** No answer in time, no connection, or an answer larger than MAX_ANSWER_BYTES. */
export class GatewayClientError extends Error {
  constructor(
    readonly kind: 'timeout' | 'unreachable' | 'too_large',
    /** What happened, naming the URL's base or the limit: never the key. */
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'GatewayClientError';
  }
}

/** An answer of any status: its JSON body, or undefined when it has none or it is not JSON. */
export interface GatewayReply {
  status: number;
  body: unknown;
}

/** One request; throws GatewayClientError when there is no whole answer to read. */
export async function requestGateway(
  endpoint: GatewayEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<GatewayReply> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${endpoint.key}`,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signal = AbortSignal.timeout(endpoint.timeoutMs);
  const request = body !== undefined ? JSON.stringify(body) : undefined;
  try {
    const response = await (endpoint.fetch ?? fetch)(`${endpoint.base}${path}`, {
      method,
      headers,
      redirect: 'manual',
      signal,
      ...(request !== undefined ? { body: request } : {}),
    });
    return { status: response.status, body: parseJson(await readBounded(response)) };
  } catch (e) {
    if (e instanceof GatewayClientError) throw e;
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (signal.aborted || err.name === 'TimeoutError' || err.name === 'AbortError')
      throw new GatewayClientError('timeout', `no answer within ${endpoint.timeoutMs} ms`);
    const reason = err.cause?.code ?? err.cause?.message ?? err.message ?? 'error';
    throw new GatewayClientError('unreachable', `${endpoint.base}: ${reason}`);
  }
}

async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new GatewayClientError('too_large', `more than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The gateway's own `{error, code, detail}` in an answer, when it is one. */
export function errorBodyOf(value: unknown): { error: string; code: string; detail: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && typeof v.code === 'string' && typeof v.detail === 'string'
    ? { error: v.error, code: v.code, detail: v.detail }
    : null;
}
