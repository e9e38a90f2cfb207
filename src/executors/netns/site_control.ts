// The parent's side of a site agent's control socket: one JSON request over HTTP on the unix socket in
// the run directory. A site whose socket does not answer is reported as not up.

import { request } from 'node:http';
import { HallError } from './errors.js';

export interface ControlAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Rejects with E_HALL_NOT_UP when nothing listens on the socket, E_HALL_COMMAND on anything else. */
export function siteRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs = 5000,
): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', (e) => reject(controlError(socketPath, path, e)));
      res.on('end', () => {
        clearTimeout(timer);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return reject(
            new HallError('E_HALL_COMMAND', `${socketPath} ${path}: the site agent answered non-JSON`),
          );
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          return reject(
            new HallError('E_HALL_COMMAND', `${socketPath} ${path}: the site agent answered ${text}`),
          );
        }
        resolve({ status: res.statusCode ?? 0, body: body as Record<string, unknown> });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(controlError(socketPath, path, e));
    });
    req.end();
  });
}

function controlError(socketPath: string, path: string, e: Error): HallError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new HallError('E_HALL_NOT_UP', `the site agent at ${socketPath} is not running (${code})`, {
      cause: e,
    });
  }
  return new HallError('E_HALL_COMMAND', `${socketPath} ${path}: ${e.message}`, { cause: e });
}
