// One HTTP(S) request to an address resolved before: the connection goes to that address and no other
// (DNS is never asked again, so a rebinding answer cannot move it), while TLS still checks the
// certificate against the host name (SNI and Host are the name). No connection reuse, no redirects
// followed, one deadline over connecting, sending and reading, and a response larger than its cap is
// cut off and refused. A compressed answer is inflated under the same cap, so the secret cannot hide
// inside gzip from the stripper.

import type { LookupFunction } from 'node:net';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { HttpBrokerError } from './errors.js';

export interface PinnedRequest {
  url: URL;
  method: string;
  /** Every header sent, the injected one included; Host is set here from the URL. */
  headers: Record<string, string>;
  body: Buffer | null;
  /** The resolved address the connection must reach. */
  address: string;
  family: 4 | 6;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Certificates trusted instead of the system's roots (a private PKI; tests). */
  ca?: readonly (string | Buffer)[];
}

export interface PinnedResponse {
  status: number;
  statusText: string;
  /** Header lines as received (raw names), in order. */
  headers: [string, string][];
  body: Buffer;
  /** The address the socket was connected to. */
  remoteAddress: string;
}

export function sendPinned(req: PinnedRequest): Promise<PinnedResponse> {
  const https = req.url.protocol === 'https:';
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // Node asks with all: true when it races address families; the answer is the one address either way.
    if ((options as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: req.address, family: req.family },
      ]);
    else callback(null, req.address, req.family);
  };
  const hostname = req.url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RequestOptions & {
    servername?: string;
    ca?: (string | Buffer)[];
    rejectUnauthorized?: boolean;
  } = {
    protocol: req.url.protocol,
    hostname,
    port: req.url.port === '' ? (https ? 443 : 80) : Number(req.url.port),
    path: `${req.url.pathname}${req.url.search}`,
    method: req.method,
    headers: {
      ...req.headers,
      host: req.url.host,
      'accept-encoding': 'identity',
      ...(req.body ? { 'content-length': String(req.body.length) } : {}),
    },
    lookup: pinned,
    agent: false,
    ...(https ? { rejectUnauthorized: true, ...(req.ca ? { ca: [...req.ca] } : {}) } : {}),
  };
  return new Promise<PinnedResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: HttpBrokerError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(e);
    };
    const timer = setTimeout(
      () =>
        fail(
          new HttpBrokerError('E_HTTP_TIMEOUT', `${req.url.host} did not answer within ${req.timeoutMs} ms`),
        ),
      req.timeoutMs,
    );
    const outgoing = (https ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
      const remoteAddress = res.socket.remoteAddress ?? '';
      if (remoteAddress.replace(/^::ffff:/, '') !== req.address.replace(/^::ffff:/, '')) {
        fail(
          new HttpBrokerError(
            'E_HTTP_CONNECTION_FAILED',
            `connected to ${remoteAddress}, not the pinned ${req.address}`,
          ),
        );
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
        fail(tooLarge(req.maxResponseBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxResponseBytes) {
          fail(tooLarge(req.maxResponseBytes));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', () =>
        fail(new HttpBrokerError('E_HTTP_CONNECTION_FAILED', `${req.url.host}: the response broke off`)),
      );
      res.on('end', () => {
        if (settled) return;
        let body: Buffer;
        try {
          body = decode(Buffer.concat(chunks), res.headers['content-encoding'], req.maxResponseBytes);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          fail(
            e instanceof HttpBrokerError
              ? e
              : code === 'ERR_BUFFER_TOO_LARGE'
                ? tooLarge(req.maxResponseBytes)
                : new HttpBrokerError(
                    'E_HTTP_ENCODING_UNSUPPORTED',
                    'the compressed response does not inflate',
                  ),
          );
          return;
        }
        settled = true;
        clearTimeout(timer);
        const headers: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          headers.push([res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string]);
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers,
          body,
          remoteAddress,
        });
      });
    });
    outgoing.on('error', (e: NodeJS.ErrnoException) =>
      // The reason is the error's code (ECONNREFUSED, CERT_HAS_EXPIRED, ...): nothing the request carried.
      fail(
        new HttpBrokerError(
          'E_HTTP_CONNECTION_FAILED',
          `${req.url.host} (${req.address}): ${e.code ?? 'connection failed'}`,
        ),
      ),
    );
    outgoing.end(req.body ?? undefined);
  });
}

function tooLarge(max: number): HttpBrokerError {
  return new HttpBrokerError(
    'E_HTTP_RESPONSE_TOO_LARGE',
    `the response is larger than the policy's ${max} bytes`,
  );
}

function decode(body: Buffer, encoding: string | undefined, max: number): Buffer {
  const e = (encoding ?? 'identity').trim().toLowerCase();
  const limit = { maxOutputLength: max };
  if (e === '' || e === 'identity') return body;
  if (e === 'gzip' || e === 'x-gzip') return gunzipSync(body, limit);
  if (e === 'deflate') return inflateSync(body, limit);
  if (e === 'br') return brotliDecompressSync(body, limit);
  throw new HttpBrokerError(
    'E_HTTP_ENCODING_UNSUPPORTED',
    `content-encoding ${e.slice(0, 40)} cannot be inspected, so it is not passed on`,
  );
}
