// A local HTTPS server for the broker's tests (NOT any real API): it answers with what it received,
// the Authorization header included, so a test can see whether the broker stripped the secret before
// the agent saw it. Some paths echo the credential in other forms, redirect, stall or answer too much.
// Its certificate comes from a throwaway CA that only the broker under test is told to trust.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { makeLocalPki } from '../../../examples/brokered-http/local_pki.js';

export const pki = makeLocalPki(['api.github.test', 'localhost']);

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface EchoServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

function credentialOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? req.headers['x-api-key'] ?? '';
  return (Array.isArray(auth) ? auth.join(',') : auth).replace(/^Bearer /, '');
}

function answer(req: IncomingMessage, res: ServerResponse, body: string, port: number): void {
  const secret = credentialOf(req);
  const path = (req.url ?? '/').split('?')[0];
  const echo = { method: req.method, url: req.url, headers: req.headers, body };
  switch (path) {
    case '/status-line':
      res.writeHead(200, `OK ${secret}`, { 'content-type': 'text/plain' });
      res.end('see the status line');
      return;
    case '/header':
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': secret, [`x-${secret}`]: 'name' });
      res.end('see the headers');
      return;
    case '/encoded': {
      const b = Buffer.from(secret);
      const forms = {
        base64: b.toString('base64'),
        base64url: b.toString('base64url'),
        url: encodeURIComponent(`${secret} /`),
        url_every_byte: [...b].map((x) => `%${x.toString(16).toUpperCase()}`).join(''),
        hex: b.toString('hex').toUpperCase(),
        basic: Buffer.from(`x-access-token:${secret}`).toString('base64'),
        sha256: createHash('sha256').update(secret).digest('hex'),
      };
      // JSON.stringify escapes nothing in a plain token; this one adds the \u-escaped spelling by hand.
      const unicode = [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(forms).slice(0, -1)},"unicode":"${unicode}"}`);
      return;
    }
    case '/gzip':
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(echo)));
      return;
    case '/binary':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(secret), Buffer.from([0x80])]));
      return;
    case '/redirect':
      res.writeHead(302, {
        location: `https://api.github.test:${port}/landed?token=${encodeURIComponent(secret)}`,
      });
      res.end();
      return;
    case '/big':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(64 * 1024));
      return;
    case '/stall':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return; // never ends
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
  }
}

export async function startEchoServer(): Promise<EchoServer> {
  const received: Received[] = [];
  let port = 0;
  const server: Server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res, body, port);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
