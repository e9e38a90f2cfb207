// A throwaway PKI for the TLS tests, made with the openssl CLI: a CA, a server certificate for 127.0.0.1
// and localhost, and a client certificate from the same CA (for mutual TLS); plus a small HTTPS client
// that can present a client certificate, which fetch cannot.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

/** Why the TLS tests cannot run here, or null. */
export function opensslMissing(): string | null {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'the openssl CLI is not installed: the TLS tests make their certificates with it';
  }
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'carapace-pki-'));
  const at = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=carapace test CA',
  );
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=carapace-admin'],
  ] as const) {
    ssl('req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject);
    ssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      at(`${name}.ext`),
    );
  }
  return {
    dir,
    caFile: at('ca.pem'),
    certFile: at('server.pem'),
    keyFile: at('server.key'),
    clientCertFile: at('client.pem'),
    clientKeyFile: at('client.key'),
    ca: readFileSync(at('ca.pem')),
    clientCert: readFileSync(at('client.pem')),
    clientKey: readFileSync(at('client.key')),
  };
}

export interface HttpsReply {
  status: number;
  body: Record<string, unknown>;
}

/** One HTTPS JSON request trusting `ca`, with a client certificate when given. Rejects on a TLS refusal. */
export function httpsJson(
  url: string,
  options: {
    method?: string;
    key?: string | null;
    body?: unknown;
    ca: Buffer;
    clientCert?: Buffer;
    clientKey?: Buffer;
  },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        ...(options.clientCert ? { cert: options.clientCert, key: options.clientKey } : {}),
        headers: {
          ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
