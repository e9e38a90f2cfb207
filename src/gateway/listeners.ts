// The gateway's HTTP(S) listeners: one per plane when the planes are split, each plain HTTP or HTTPS from
// certificate and key files, the control one optionally requiring client certificates (mutual TLS). Every
// listener feeds the same Fastify router and marks each request with the plane it arrived on, so route
// plane checks (planes.ts) never depend on a Host header or a path the caller chose.

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { markListenerPlane, type Plane } from './planes.js';

/** A certificate chain and its private key (PEM files); with clientCaFile, client certificates are required. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle (PEM) client certificates must chain to: the listener refuses a TLS client without one. */
  clientCaFile?: string;
}

export interface ListenerConfig {
  host: string;
  port: number;
  tls?: TlsFiles;
}

/** A listener that cannot be made as configured (a certificate file missing or unreadable). */
export class ListenerConfigError extends Error {
  readonly code = 'E_TLS_CONFIG';
  constructor(detail: string) {
    super(detail);
    this.name = 'ListenerConfigError';
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
export type Listener = ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>;

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ListenerConfigError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/**
 * A server for one plane (null: a single listener serving both) on `handler`; HTTPS when `tls` is given.
 * With a client CA the TLS handshake itself refuses a client without a certificate from that CA.
 */
export function createListener(plane: Plane | null, tls: TlsFiles | undefined, handler: Handler): Listener {
  const tagged: Handler = plane
    ? (req, res) => {
        markListenerPlane(req, plane);
        handler(req, res);
      }
    : handler;
  if (!tls) return createHttpServer(tagged);
  return createHttpsServer(
    {
      cert: readPem(tls.certFile, 'TLS certificate'),
      key: readPem(tls.keyFile, 'TLS key'),
      minVersion: 'TLSv1.2',
      ...(tls.clientCaFile !== undefined
        ? { ca: readPem(tls.clientCaFile, 'client CA'), requestCert: true, rejectUnauthorized: true }
        : {}),
    },
    tagged,
  );
}

/** Listens on host:port; resolves with the URL it is reachable at. */
export async function listen(server: Listener, config: ListenerConfig): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return listenerUrl(server, config);
}

export function listenerUrl(server: Listener, config: ListenerConfig): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${config.tls ? 'https' : 'http'}://${host}:${address.port}`;
}

/** Stops accepting, then ends the connections still open (streams were ended by the app's preClose). */
export async function closeListener(server: Listener): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  server.closeAllConnections();
  await closed;
}
