// A LOCAL HTTPS STAND-IN for a GitHub-style REST API (it is NOT GitHub and proves nothing about it):
// GET /user and POST /repos/:owner/:repo/issues, answered only with the right bearer token, 401
// otherwise. Like a careless real API, /user echoes the Authorization header it got in a debug field,
// so the example can show the broker stripping it. Its certificate comes from a throwaway local CA.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LocalPki } from './local_pki.js';

export interface GitHubStandIn {
  port: number;
  /** Issues created, as the stand-in stored them. */
  issues: { number: number; title: string; body: string }[];
  /** The Authorization header of every request, for the example's own check that the token was sent. */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startGitHubStandIn(pki: LocalPki, token: string): Promise<GitHubStandIn> {
  const issues: GitHubStandIn['issues'] = [];
  const authorizations: string[] = [];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-stand-in': 'LOCAL STAND-IN, not GitHub',
    });
    res.end(JSON.stringify(body));
  };
  const server = createServer(
    { cert: pki.cert, key: pki.key },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const auth = req.headers.authorization ?? '';
        authorizations.push(auth);
        if (auth !== `Bearer ${token}`) return send(res, 401, { message: 'Bad credentials' });
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        if (req.method === 'GET' && path === '/user')
          return send(res, 200, {
            login: 'scripted-octocat',
            id: 1,
            debug: { authorization_received: auth },
          });
        const repo = /^\/repos\/([\w.-]+)\/([\w.-]+)\/issues$/.exec(path);
        if (req.method === 'POST' && repo) {
          let input: { title?: unknown; body?: unknown };
          try {
            input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof input;
          } catch {
            return send(res, 400, { message: 'Problems parsing JSON' });
          }
          if (typeof input.title !== 'string') return send(res, 422, { message: 'title is required' });
          const issue = {
            number: issues.length + 1,
            title: input.title,
            body: typeof input.body === 'string' ? input.body : '',
          };
          issues.push(issue);
          return send(res, 201, {
            ...issue,
            html_url: `https://stand-in.invalid/${repo[1]}/${repo[2]}/issues/${issue.number}`,
          });
        }
        return send(res, 404, { message: 'Not Found' });
      });
    },
  );
  // Both loopbacks where IPv6 exists, since localhost may resolve to ::1 first; 127.0.0.1 where not.
  await new Promise<void>((resolve, reject) => {
    server.once('error', () => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    server.listen(0, '::', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    issues,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
