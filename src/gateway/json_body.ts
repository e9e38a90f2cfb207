// The gateway's JSON body parser: UTF-8 only (RFC 8259), as sent. A body declared in another charset is
// refused (415), and bytes that are not UTF-8 or strings with a lone surrogate (which the audit log
// cannot record) are refused (400) instead of being taken; prototype keys are refused as Fastify's own
// parser refuses them.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from './gateway_error.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Replaces the app's application/json parser with one that takes UTF-8 only. */
export function parseJsonBodiesAsUtf8(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
        return done(
          new GatewayError(415, 'E_UNSUPPORTED_MEDIA_TYPE', 'unsupported charset', 'JSON bodies are UTF-8'),
        );
      let text: string;
      try {
        text = UTF8.decode(body);
      } catch {
        return done(
          new GatewayError(400, 'E_REQUEST_INVALID', 'the body is not UTF-8', 'JSON bodies are UTF-8'),
        );
      }
      parseJson(request, text, (err: Error | null, value?: unknown) => {
        // Only a \u escape can make a lone surrogate out of UTF-8: the walk runs for those bodies only.
        if (!err && text.includes('\\u') && !wellFormed(value))
          return done(
            new GatewayError(
              400,
              'E_REQUEST_INVALID',
              'a string holds a lone UTF-16 surrogate',
              'the audit log cannot record it, so the gateway does not take it',
            ),
          );
        done(err, value);
      });
    },
  );
}

/** Every string of a parsed JSON value (keys too) is well-formed UTF-16; iterative, so any depth. */
function wellFormed(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return false;
    } else if (Array.isArray(v)) for (const item of v) stack.push(item);
    else if (typeof v === 'object' && v !== null)
      for (const [key, item] of Object.entries(v)) {
        if (!key.isWellFormed()) return false;
        stack.push(item);
      }
  }
  return true;
}
